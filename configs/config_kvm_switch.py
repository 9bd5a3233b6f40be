"""A gem5-style configuration with switch CPUs, as configs/common/Simulation.py
builds them: the PC of kvm_hello.py runs the guest on an X86KvmCPU, and a
switched-out X86AtomicSimpleCPU (same cpu_id, system, ISA and clock) takes over at
every m5_switch_cpu() of the guest, and hands back at the next.

    simobjs configs/config_kvm_switch.py [--guest ELF]   (default: the switch example)

`build()` returns the Root.
"""

import argparse
import os
import sys

import m5
from m5.objects import *

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kvm_hello  # noqa: E402 - the PC this script extends


def build(guest, switch_cpus=True):
    root = kvm_hello.build(guest, outfile="stdout")
    system = root.system
    if switch_cpus:
        cpu = X86AtomicSimpleCPU(switched_out=True, cpu_id=0)
        cpu.system = system
        cpu.workload = system.cpu.workload
        cpu.clk_domain = system.cpu.clk_domain
        cpu.isa = system.cpu.isa
        cpu.createThreads()
        system.switch_cpus = [cpu]
    return root


def run(root):
    system = root.system
    running, spare = system.cpu, system.switch_cpus[0]
    m5.instantiate()
    while True:
        event = m5.simulate()
        if event.getCause() != "switchcpu":
            break
        m5.switchCpus(system, [(running, spare)])
        running, spare = spare, running
        print(f"now running on {running.path()} ({type(running).__name__})")
    print(f"Exiting @ tick {m5.curTick()} because {event.getCause()}")


if __name__ == "__m5_main__" or __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guest", help="a static x86-64 ELF (default: the switch example)")
    args = parser.parse_args()
    if args.guest is None:
        from simobjs.guest import example_guest

        args.guest = example_guest("switch")
    run(build(args.guest))
