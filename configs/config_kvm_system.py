"""A gem5-style configuration: a KVM x86 system with a UART on COM1, with one or
more X86KvmCPUs (the config layer's showcase: see its config.ini with
`simobjs --config-only configs/config_kvm_system.py --cpus 2`).

It has no interrupt controllers or timer, which the guest SDK programs at boot:
to run the example guests, use configs/kvm_hello.py. `build(num_cpus)` returns
the Root without simulating.
"""

import argparse
import os

import m5
from m5.objects import *

HERE = os.path.dirname(os.path.abspath(__file__))


def build(num_cpus=1, guest=None):
    system = System()
    system.clk_domain = SrcClockDomain()
    system.clk_domain.clock = "1GHz"
    system.clk_domain.voltage_domain = VoltageDomain()
    system.mem_mode = "atomic_noncaching"
    system.mem_ranges = [AddrRange("512MB")]
    system.m5ops_base = 0xFFFF0000

    system.membus = SystemXBar()
    system.system_port = system.membus.cpu_side_ports

    system.mem_ctrl = SimpleMemory()
    system.mem_ctrl.range = system.mem_ranges[0]
    system.mem_ctrl.port = system.membus.mem_side_ports

    system.kvm_vm = KvmVM()
    system.cpu = [X86KvmCPU(cpu_id=i, hostFreq="2GHz") for i in range(num_cpus)]
    for cpu in system.cpu:
        cpu.createThreads()
        cpu.createInterruptController()
        cpu.icache_port = system.membus.cpu_side_ports
        cpu.dcache_port = system.membus.cpu_side_ports

    system.terminal = Terminal(outfile="stdout")
    system.uart = Uart8250(pio_addr=x86IOAddress(0x3F8))
    system.uart.pio = system.membus.mem_side_ports

    system.workload = X86BareMetalWorkload()
    system.workload.object_file = guest or os.path.join(
        HERE, "..", "examples", "guests", "hello.elf"
    )
    return Root(full_system=True, system=system)


if __name__ == "__m5_main__" or __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--cpus", type=int, default=1)
    parser.add_argument("--guest", default=None, help="a static ELF using only COM1 and m5ops")
    args = parser.parse_args()
    if args.guest is None and not m5.options.config_only:
        raise SystemExit(
            "config_kvm_system.py declares a machine without the 8259s and the 8254 that the "
            "SDK's guests program at boot: inspect it with `simobjs --config-only "
            "configs/config_kvm_system.py`, give --guest a guest that uses only COM1 and "
            "m5ops, or run the examples with configs/kvm_hello.py"
        )
    root = build(args.cpus, args.guest)
    m5.instantiate()
    event = m5.simulate()
    print(f"Exiting @ tick {m5.curTick()} because {event.getCause()}")
