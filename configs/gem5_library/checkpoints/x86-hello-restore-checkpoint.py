"""Restore a checkpoint taken by x86-hello-save-checkpoint.py and run the
program to its end (the checkpoint is given to the workload, gem5 v23+'s way).

    GEM5_RESOURCE_JSON=resources.json simobjs \
        configs/gem5_library/checkpoints/x86-hello-restore-checkpoint.py \
        --checkpoint x86-hello-checkpoints/cpt.1234
"""

import argparse
from pathlib import Path

from gem5.components.boards.simple_board import SimpleBoard
from gem5.components.cachehierarchies.classic.no_cache import NoCache
from gem5.components.memory import SingleChannelDDR3_1600
from gem5.components.processors.cpu_types import get_cpu_type_from_str
from gem5.components.processors.simple_processor import SimpleProcessor
from gem5.isas import ISA
from gem5.resources.resource import obtain_resource
from gem5.simulate.simulator import Simulator
from gem5.utils.requires import requires

parser = argparse.ArgumentParser()
parser.add_argument("--resource", default="x86-checkpoint-hello")
parser.add_argument("--cpu", default="atomic", choices=["kvm", "atomic", "timing"])
parser.add_argument("--checkpoint", required=True, help="a checkpoint directory (cpt.<tick>)")
args = parser.parse_args()

requires(isa_required=ISA.X86)

board = SimpleBoard(
    clk_freq="3GHz",
    processor=SimpleProcessor(cpu_type=get_cpu_type_from_str(args.cpu), isa=ISA.X86, num_cores=1),
    memory=SingleChannelDDR3_1600(size="512MiB"),
    cache_hierarchy=NoCache(),
)
board.set_se_binary_workload(obtain_resource(args.resource), checkpoint=Path(args.checkpoint))

simulator = Simulator(board=board)
simulator.run()
tick, cause = simulator.get_current_tick(), simulator.get_last_exit_event_cause()
print(f"Exiting @ tick {tick} because {cause}.")
