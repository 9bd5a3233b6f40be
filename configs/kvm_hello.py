"""Run a bare-metal guest on the KVM CPU, gem5-style.

    simobjs configs/kvm_hello.py [--guest ELF] [--host-factor F] [--clock 2GHz] [--cpus N]

The machine is a small PC: X86KvmCPUs with their local APICs, RAM on a
SystemXBar, the cascaded 8259 PICs and the 8254 PIT that the guest SDK
programs at boot, and a COM1 8250 UART whose Terminal writes
m5out/system.terminal and stdout. Without --guest it builds and runs the
shipped `hello` example. `build()` returns the Root for other scripts.
With --cpus N > 1 the CPUs are system.cpu0 ... and the guest starts on the
first: the others wait until it sends them INIT and a startup IPI through the
local APIC (the SDK's sdk_smp_start(); try --guest with the smp example).
A guest's m5_checkpoint() writes m5out/cpt.<tick> and the run goes on.
"""

import argparse
import os

import m5
from m5.objects import *


def build(guest, clock="2GHz", host_factor=1.0, mem_size="128MiB", outfile="both", cpus=1):
    system = System(mem_mode="atomic_noncaching")  # what the KVM CPU requires
    system.clk_domain = SrcClockDomain(clock=clock, voltage_domain=VoltageDomain())
    system.mem_ranges = [AddrRange(mem_size)]

    system.membus = SystemXBar()
    system.system_port = system.membus.cpu_side_ports
    system.mem_ctrl = SimpleMemory(range=system.mem_ranges[0])
    system.mem_ctrl.port = system.membus.mem_side_ports

    system.kvm_vm = KvmVM()
    cpu_list = [X86KvmCPU(cpu_id=i, hostFactor=host_factor) for i in range(cpus)]
    system.cpu = cpu_list if cpus > 1 else cpu_list[0]  # system.cpu, or cpu0, cpu1, ...
    for cpu in cpu_list:
        cpu.createThreads()
        cpu.createInterruptController()
        cpu.icache_port = system.membus.cpu_side_ports
        cpu.dcache_port = system.membus.cpu_side_ports

    # PC interrupt path: PIT -> master 8259 IR0, slave 8259 -> master IR2,
    # master output -> LINT0 of the first CPU's local APIC.
    system.pic2 = I8259(pio_addr=x86IOAddress(0xA0), mode="I8259Slave")
    system.pic = I8259(pio_addr=x86IOAddress(0x20), mode="I8259Master", slave=system.pic2)
    system.pit = I8254(pio_addr=x86IOAddress(0x40))
    system.pic.pio = system.membus.mem_side_ports
    system.pic2.pio = system.membus.mem_side_ports
    system.pit.pio = system.membus.mem_side_ports
    system.pit.int_pin = system.pic.inputs[0]
    system.pic2.output = system.pic.inputs[2]
    cpu_list[0].interrupts[0].lint0 = system.pic.output

    system.terminal = Terminal(outfile=outfile)
    system.uart = Uart8250(pio_addr=x86IOAddress(0x3F8), device=system.terminal)
    system.uart.pio = system.membus.mem_side_ports

    system.workload = X86BareMetalWorkload(object_file=str(guest))
    return Root(full_system=True, system=system)


def default_guest():
    from simobjs.guest import example_guest

    return example_guest("hello")


if __name__ == "__m5_main__" or __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guest", help="a static x86-64 ELF (default: the hello example)")
    parser.add_argument("--host-factor", type=float, default=1.0)
    parser.add_argument("--clock", default="2GHz")
    parser.add_argument(
        "--cpus", type=int, default=1, help="KVM CPUs (the guest starts on the first)"
    )
    args = parser.parse_args()
    root = build(args.guest or default_guest(), args.clock, args.host_factor, cpus=args.cpus)
    m5.instantiate()
    event = m5.simulate()
    while event.getCause() == "checkpoint":  # the guest's m5_checkpoint(): take it, go on
        m5.checkpoint(os.path.join(m5.options.outdir, f"cpt.{m5.curTick()}"))
        event = m5.simulate()
    print(f"Exiting @ tick {m5.curTick()} because {event.getCause()}")
