"""The demo's machine, declared as a gem5 config script would: one CPU on a bus
with RAM, a COM1 UART, and the PC timer and interrupt controllers the guest SDK
programs at boot (8254 PIT, cascaded 8259 PICs feeding LAPIC LINT0)."""

from __future__ import annotations

from typing import Any


def build_system(guest: str, cpu: str = "kvm", switch_to: str | None = None) -> Any:
    """The Root of a machine running `guest` on `cpu` ("kvm" or "reference").

    With `switch_to`, a switched-out CPU of that kind is added as
    `system.switch_cpus` (gem5's configs/common/Simulation.py layout).
    """
    from m5.objects import (
        I8254,
        I8259,
        AddrRange,
        KvmVM,
        Root,
        SimpleMemory,
        SrcClockDomain,
        System,
        SystemXBar,
        Terminal,
        Uart8250,
        VoltageDomain,
        X86BareMetalWorkload,
        x86IOAddress,
    )

    kinds = {cpu} | ({switch_to} if switch_to else set())
    # the running CPU's memory mode; m5.switchCpus changes it at each switch (gem5's way)
    mode = "atomic_noncaching" if cpu == "kvm" else "atomic"
    system = System(mem_mode=mode)
    system.clk_domain = SrcClockDomain(clock="2GHz", voltage_domain=VoltageDomain())
    system.mem_ranges = [AddrRange("128MiB")]
    system.membus = SystemXBar()
    system.system_port = system.membus.cpu_side_ports
    system.mem_ctrl = SimpleMemory(range=system.mem_ranges[0], port=system.membus.mem_side_ports)
    if "kvm" in kinds:
        system.kvm_vm = KvmVM()

    system.cpu = _cpu(cpu, switched_out=False)
    system.cpu.createInterruptController()
    system.cpu.icache_port = system.membus.cpu_side_ports
    system.cpu.dcache_port = system.membus.cpu_side_ports

    # The SDK initialises both 8259s (as a PC BIOS would) and may start the PIT.
    system.pic2 = I8259(pio_addr=x86IOAddress(0xA0), mode="I8259Slave")
    system.pic = I8259(pio_addr=x86IOAddress(0x20), mode="I8259Master", slave=system.pic2)
    system.pit = I8254(pio_addr=x86IOAddress(0x40))
    for dev in (system.pic, system.pic2, system.pit):
        dev.pio = system.membus.mem_side_ports
    system.pit.int_pin = system.pic.inputs[0]
    system.pic2.output = system.pic.inputs[2]
    system.cpu.interrupts[0].lint0 = system.pic.output

    system.terminal = Terminal(outfile="both")
    system.uart = Uart8250(pio_addr=x86IOAddress(0x3F8), pio=system.membus.mem_side_ports)
    system.workload = X86BareMetalWorkload(object_file=str(guest))
    system.cpu.createThreads()
    root = Root(full_system=True, system=system)  # before the switch CPUs name `system`

    if switch_to:
        other = _cpu(switch_to, switched_out=True)
        other.system = system
        other.clk_domain = system.cpu.clk_domain
        other.isa = system.cpu.isa
        other.createThreads()
        system.switch_cpus = [other]
    return root


def _cpu(kind: str, switched_out: bool) -> Any:
    from m5.objects import X86AtomicSimpleCPU, X86KvmCPU

    cls = {"kvm": X86KvmCPU, "reference": X86AtomicSimpleCPU}[kind]
    return cls(cpu_id=0, switched_out=switched_out)
