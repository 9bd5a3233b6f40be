"""Run an X86 "hello world" binary in SE mode with gem5's standard library, as
gem5's configs/example/gem5_library/*-hello.py scripts do.

The binary is a resource: `obtain_resource` finds it in the local resources
JSON files named by GEM5_RESOURCE_JSON (or GEM5_RESOURCE_JSON_APPEND,
GEM5_CONFIG, ./gem5-config.json); simobjs never downloads.

    GEM5_RESOURCE_JSON=resources.json simobjs configs/gem5_library/x86-hello.py
    ... x86-hello.py --cpu timing --cache l1l2 --resource x86-hello64-static
"""

import argparse

from gem5.components.boards.simple_board import SimpleBoard
from gem5.components.cachehierarchies.classic.no_cache import NoCache
from gem5.components.cachehierarchies.classic.private_l1_private_l2_cache_hierarchy import (
    PrivateL1PrivateL2CacheHierarchy,
)
from gem5.components.memory import SingleChannelDDR3_1600
from gem5.components.processors.cpu_types import CPUTypes, get_cpu_type_from_str
from gem5.components.processors.simple_processor import SimpleProcessor
from gem5.isas import ISA
from gem5.resources.resource import obtain_resource
from gem5.simulate.simulator import Simulator
from gem5.utils.requires import requires

parser = argparse.ArgumentParser(description="X86 hello in SE mode (gem5 standard library)")
parser.add_argument("--cpu", default="kvm", choices=["kvm", "atomic", "timing"])
parser.add_argument("--cache", default="none", choices=["none", "l1l2"])
parser.add_argument("--resource", default="x86-hello64-static")
parser.add_argument("--arguments", nargs="*", default=[])
args = parser.parse_args()

cpu_type = get_cpu_type_from_str(args.cpu)
requires(isa_required=ISA.X86, kvm_required=cpu_type == CPUTypes.KVM)

if args.cache == "none":
    cache_hierarchy = NoCache()
else:
    cache_hierarchy = PrivateL1PrivateL2CacheHierarchy(
        l1d_size="32KiB", l1i_size="32KiB", l2_size="256KiB"
    )
memory = SingleChannelDDR3_1600(size="512MiB")
processor = SimpleProcessor(cpu_type=cpu_type, isa=ISA.X86, num_cores=1)

board = SimpleBoard(
    clk_freq="3GHz",
    processor=processor,
    memory=memory,
    cache_hierarchy=cache_hierarchy,
)
board.set_se_binary_workload(obtain_resource(args.resource), arguments=args.arguments)

simulator = Simulator(board=board)
simulator.run()

tick, cause = simulator.get_current_tick(), simulator.get_last_exit_event_cause()
print(f"Exiting @ tick {tick} because {cause}.")
