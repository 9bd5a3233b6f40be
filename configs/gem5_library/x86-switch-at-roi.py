"""Fast-forward on KVM to the program's region of interest, then switch to the
timing CPU (or `--switch-to atomic`): a SimpleSwitchableProcessor switches at the first work-begin exit
(m5_work_begin), the stats are dumped at each work-end, and the run ends when
the program exits.

    GEM5_RESOURCE_JSON=resources.json simobjs configs/gem5_library/x86-switch-at-roi.py \
        --resource x86-m5-work --arguments addr
"""

import argparse

import m5
from gem5.components.boards.simple_board import SimpleBoard
from gem5.components.cachehierarchies.classic.private_l1_private_l2_cache_hierarchy import (
    PrivateL1PrivateL2CacheHierarchy,
)
from gem5.components.memory import SingleChannelDDR3_1600
from gem5.components.processors.cpu_types import CPUTypes, get_cpu_type_from_str
from gem5.components.processors.simple_switchable_processor import SimpleSwitchableProcessor
from gem5.isas import ISA
from gem5.resources.resource import obtain_resource
from gem5.simulate.exit_event import ExitEvent
from gem5.simulate.simulator import Simulator
from gem5.utils.requires import requires

parser = argparse.ArgumentParser()
parser.add_argument("--resource", default="x86-m5-work")
parser.add_argument("--arguments", nargs="*", default=[])
parser.add_argument("--switch-to", default="timing", choices=["timing", "atomic"])
args = parser.parse_args()

requires(isa_required=ISA.X86, kvm_required=True)

processor = SimpleSwitchableProcessor(
    starting_core_type=CPUTypes.KVM,
    switch_core_type=get_cpu_type_from_str(args.switch_to),
    isa=ISA.X86,
    num_cores=1,
)
board = SimpleBoard(
    clk_freq="3GHz",
    processor=processor,
    memory=SingleChannelDDR3_1600(size="512MiB"),
    cache_hierarchy=PrivateL1PrivateL2CacheHierarchy(
        l1d_size="32KiB", l1i_size="32KiB", l2_size="256KiB"
    ),
)
board.set_se_binary_workload(obtain_resource(args.resource), arguments=args.arguments)


def at_work_begin():
    """Switch CPUs at the first region; reset the stats at every one."""
    switched = False
    while True:
        if not switched:
            print(f"Switching to the {args.switch_to} CPU at tick {m5.curTick()}")
            processor.switch()
            switched = True
        m5.stats.reset()
        yield False


def at_work_end():
    while True:
        m5.stats.dump()
        yield False


simulator = Simulator(
    board=board,
    on_exit_event={ExitEvent.WORKBEGIN: at_work_begin(), ExitEvent.WORKEND: at_work_end()},
)
simulator.run()

tick, cause = simulator.get_current_tick(), simulator.get_last_exit_event_cause()
print(f"Exiting @ tick {tick} because {cause}.")
print(f"Regions of interest (ticks): {simulator.get_roi_ticks()}")
