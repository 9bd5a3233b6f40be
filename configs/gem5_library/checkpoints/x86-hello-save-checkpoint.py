"""Run an X86 program in SE mode and save a checkpoint at its m5_checkpoint()
(gem5's save_checkpoint_generator writes <dir>/cpt.<tick>), then let it finish.

    GEM5_RESOURCE_JSON=resources.json simobjs \
        configs/gem5_library/checkpoints/x86-hello-save-checkpoint.py --checkpoint-dir cpts
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
from gem5.simulate.exit_event import ExitEvent
from gem5.simulate.exit_event_generators import save_checkpoint_generator
from gem5.simulate.simulator import Simulator
from gem5.utils.requires import requires

parser = argparse.ArgumentParser()
parser.add_argument("--resource", default="x86-checkpoint-hello")
parser.add_argument("--cpu", default="kvm", choices=["kvm", "atomic", "timing"])
parser.add_argument("--checkpoint-dir", default="x86-hello-checkpoints")
parser.add_argument("--arguments", nargs="*", default=[])
args = parser.parse_args()

requires(isa_required=ISA.X86)

board = SimpleBoard(
    clk_freq="3GHz",
    processor=SimpleProcessor(cpu_type=get_cpu_type_from_str(args.cpu), isa=ISA.X86, num_cores=1),
    memory=SingleChannelDDR3_1600(size="512MiB"),
    cache_hierarchy=NoCache(),
)
board.set_se_binary_workload(obtain_resource(args.resource), arguments=args.arguments)

simulator = Simulator(
    board=board,
    on_exit_event={ExitEvent.CHECKPOINT: save_checkpoint_generator(Path(args.checkpoint_dir))},
)
simulator.run()
tick, cause = simulator.get_current_tick(), simulator.get_last_exit_event_cause()
print(f"Exiting @ tick {tick} because {cause}.")
