"""Several simulations from one script with gem5.utils.multisim: a sweep of
X86 SE runs of a print-this program (it prints its first argument as many
times as its second says) over the SimpleProcessor's CPU type and the count.

The binary is the resource "x86-print-this", found in the local resources
JSON files (GEM5_RESOURCE_JSON, GEM5_RESOURCE_JSON_APPEND, GEM5_CONFIG or
./gem5-config.json); tests/gem5/programs/print_this.c is such a program.

Run them all, two at a time on this machine (each in m5out/<id>/, the
results side by side in m5out/multisim.json and multisim.csv):

    simobjs -m gem5.utils.multisim configs/gem5_library/multisim/multisim-print-this.py

The same on a Dask cluster (the binary and the resources JSON are shipped to
the workers, the outputs come back here):

    DASK_SCHEDULER_ADDRESS=tcp://host:8786 simobjs -m gem5.utils.multisim \\
        configs/gem5_library/multisim/multisim-print-this.py

List the ids, or run one of them:

    simobjs configs/gem5_library/multisim/multisim-print-this.py -l
    simobjs configs/gem5_library/multisim/multisim-print-this.py timing-2
"""

import gem5.utils.multisim as multisim
from gem5.components.boards.simple_board import SimpleBoard
from gem5.components.cachehierarchies.classic.no_cache import NoCache
from gem5.components.memory import SingleChannelDDR3_1600
from gem5.components.processors.cpu_types import CPUTypes
from gem5.components.processors.simple_processor import SimpleProcessor
from gem5.isas import ISA
from gem5.resources.resource import obtain_resource
from gem5.simulate.simulator import Simulator

# at most two simulations at once on this machine (a cluster runs as many as it has workers)
multisim.set_num_processes(2)

for cpu_type in (CPUTypes.ATOMIC, CPUTypes.TIMING):
    for times in (1, 2):
        name = f"{cpu_type.value}-{times}"
        board = SimpleBoard(
            clk_freq="1GHz",
            processor=SimpleProcessor(cpu_type=cpu_type, isa=ISA.X86, num_cores=1),
            memory=SingleChannelDDR3_1600(size="32MiB"),
            cache_hierarchy=NoCache(),
        )
        board.set_se_binary_workload(
            binary=obtain_resource("x86-print-this"),
            arguments=[f"Hello from {name}", times],
        )
        multisim.add_simulator(Simulator(board=board, id=name))
