"""A gem5-style configuration with the PC interrupt path and a switch CPU:
a KVM CPU runs the guest, an X86AtomicSimpleCPU (switched out) can take over,
and the 8254 timer drives the 8259 PIC, whose output feeds LAPIC LINT0.

`build()` returns the Root; run it with the simobjs command.
"""

import argparse
import os

import m5
from m5.objects import *

HERE = os.path.dirname(os.path.abspath(__file__))


def build(guest=None, switch_cpus=True):
    system = System(mem_mode="atomic_noncaching")
    system.clk_domain = SrcClockDomain(clock="2GHz", voltage_domain=VoltageDomain())
    system.mem_ranges = [AddrRange("256MiB")]
    system.membus = SystemXBar()
    system.system_port = system.membus.cpu_side_ports
    system.mem_ctrl = SimpleMemory(range=system.mem_ranges[0], port=system.membus.mem_side_ports)
    system.kvm_vm = KvmVM()

    system.cpu = X86KvmCPU(cpu_id=0)
    system.cpu.createThreads()
    system.cpu.createInterruptController()
    system.cpu.icache_port = system.membus.cpu_side_ports
    system.cpu.dcache_port = system.membus.cpu_side_ports

    system.pic = I8259(pio_addr=x86IOAddress(0x20), mode="I8259Single")
    system.pic.pio = system.membus.mem_side_ports
    system.pit = I8254(pio_addr=x86IOAddress(0x40))
    system.pit.pio = system.membus.mem_side_ports
    system.pit.int_pin = system.pic.inputs
    system.cpu.interrupts[0].lint0 = system.pic.output

    system.terminal = Terminal(outfile="stdout")
    system.uart = Uart8250(pio_addr=x86IOAddress(0x3F8), pio=system.membus.mem_side_ports)
    system.workload = X86BareMetalWorkload(
        object_file=guest or os.path.join(HERE, "..", "examples", "guests", "hello.elf")
    )
    root = Root(full_system=True, system=system)

    if switch_cpus:
        # As configs/common/Simulation.py builds them: same id, system, ISA.
        cpu = X86AtomicSimpleCPU(switched_out=True, cpu_id=0)
        cpu.system = system
        cpu.workload = system.cpu.workload
        cpu.clk_domain = system.cpu.clk_domain
        cpu.isa = system.cpu.isa
        cpu.createThreads()
        system.switch_cpus = [cpu]
    return root


if __name__ == "__m5_main__" or __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--guest", default=None)
    args = parser.parse_args()
    root = build(args.guest)
    m5.instantiate()
    event = m5.simulate()
    print(f"Exiting @ tick {m5.curTick()} because {event.getCause()}")
