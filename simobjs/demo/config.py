"""The demo's machine, declared as a gem5 config script would: one CPU on a bus
with RAM, a COM1 UART, and the PC timer and interrupt controllers the guest SDK
programs at boot (8254 PIT, cascaded 8259 PICs feeding LAPIC LINT0)."""

from __future__ import annotations

from typing import Any

MEMORY_MODES = {"kvm": "atomic_noncaching", "reference": "atomic", "timing": "timing"}


def build_system(
    guest: str,
    cpu: str = "kvm",
    switch_to: str | None = None,
    caches: bool = False,
    dram: bool = False,
    clock: str = "2GHz",
    num_cpus: int = 1,
) -> Any:
    """The Root of a machine running `guest` on `cpu` ("kvm", "reference" or "timing").

    With `switch_to`, a switched-out CPU of that kind is added as
    `system.switch_cpus` (gem5's configs/common/Simulation.py layout). `caches`
    puts learning_gem5's L1I/L1D/L2 (on an L2XBar) between the CPU and the
    memory bus; `dram` makes the memory a MemCtrl with DDR3_1600_8x8 instead of
    a SimpleMemory. `num_cpus` > 1 makes system.cpu a list (system.cpu0, ...), all on
    event queue 0, each with its local APIC; the 8259 feeds the first one's LINT0, and
    the guest starts the others with INIT and startup IPIs (no caches then).
    """
    from m5.objects import (
        I8254,
        I8259,
        AddrRange,
        DDR3_1600_8x8,
        KvmVM,
        L2XBar,
        MemCtrl,
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
    system = System(mem_mode=MEMORY_MODES[cpu])
    system.clk_domain = SrcClockDomain(clock=clock, voltage_domain=VoltageDomain())
    system.mem_ranges = [AddrRange("128MiB")]
    system.membus = SystemXBar()
    system.system_port = system.membus.cpu_side_ports
    if dram:
        system.mem_ctrl = MemCtrl(dram=DDR3_1600_8x8(range=system.mem_ranges[0]))
        system.mem_ctrl.port = system.membus.mem_side_ports
    else:
        system.mem_ctrl = SimpleMemory(
            range=system.mem_ranges[0], port=system.membus.mem_side_ports
        )
    if "kvm" in kinds:
        system.kvm_vm = KvmVM()

    if num_cpus > 1 and caches:
        raise ValueError("build_system: caches are for one CPU only")
    cpus = [_cpu(cpu, switched_out=False, cpu_id=i) for i in range(num_cpus)]
    system.cpu = cpus if num_cpus > 1 else cpus[0]
    for c in cpus:
        c.createInterruptController()
    if caches:
        l1i, l1d, l2 = _caches()
        system.cpu.icache, system.cpu.dcache = l1i, l1d
        l1i.cpu_side = system.cpu.icache_port
        l1d.cpu_side = system.cpu.dcache_port
        system.l2bus = L2XBar()
        l1i.mem_side = system.l2bus.cpu_side_ports
        l1d.mem_side = system.l2bus.cpu_side_ports
        system.l2cache = l2
        l2.cpu_side = system.l2bus.mem_side_ports
        l2.mem_side = system.membus.cpu_side_ports
    else:
        for c in cpus:
            c.icache_port = system.membus.cpu_side_ports
            c.dcache_port = system.membus.cpu_side_ports

    # The SDK initialises both 8259s (as a PC BIOS would) and may start the PIT.
    system.pic2 = I8259(pio_addr=x86IOAddress(0xA0), mode="I8259Slave")
    system.pic = I8259(pio_addr=x86IOAddress(0x20), mode="I8259Master", slave=system.pic2)
    system.pit = I8254(pio_addr=x86IOAddress(0x40))
    for dev in (system.pic, system.pic2, system.pit):
        dev.pio = system.membus.mem_side_ports
    system.pit.int_pin = system.pic.inputs[0]
    system.pic2.output = system.pic.inputs[2]
    cpus[0].interrupts[0].lint0 = system.pic.output

    system.terminal = Terminal(outfile="both")
    system.uart = Uart8250(pio_addr=x86IOAddress(0x3F8), pio=system.membus.mem_side_ports)
    system.workload = X86BareMetalWorkload(object_file=str(guest))
    for c in cpus:
        c.createThreads()
    root = Root(full_system=True, system=system)  # before the switch CPUs name `system`

    if switch_to:
        others = []
        for c in cpus:
            other = _cpu(switch_to, switched_out=True, cpu_id=int(c.cpu_id))
            other.system = system
            other.clk_domain = c.clk_domain
            other.isa = c.isa
            other.createThreads()
            others.append(other)
        system.switch_cpus = others
    return root


def _cpu(kind: str, switched_out: bool, cpu_id: int = 0) -> Any:
    from m5.objects import X86AtomicSimpleCPU, X86KvmCPU, X86TimingSimpleCPU

    cls = {"kvm": X86KvmCPU, "reference": X86AtomicSimpleCPU, "timing": X86TimingSimpleCPU}
    return cls[kind](cpu_id=cpu_id, switched_out=switched_out)


def _caches() -> tuple[Any, Any, Any]:
    """learning_gem5's L1I (16 KiB), L1D (64 KiB), both 2-way with 2-cycle latencies, and
    L2 (256 KiB, 8-way, 20 cycles)."""
    from m5.objects import Cache

    def l1(size: str) -> Any:
        return Cache(
            size=size,
            assoc=2,
            tag_latency=2,
            data_latency=2,
            response_latency=2,
            mshrs=4,
            tgts_per_mshr=20,
        )

    l2 = Cache(
        size="256kB",
        assoc=8,
        tag_latency=20,
        data_latency=20,
        response_latency=20,
        mshrs=20,
        tgts_per_mshr=12,
    )
    return l1("16kB"), l1("64kB"), l2
