"""x86 pieces: ISA, MMU, decoder, local APIC, the 8254 PIT and 8259 PIC, the
X86CPU mixin, the reference (atomic simple) CPU, and `x86IOAddress`."""

from __future__ import annotations

from simobjs.base.addr_range import x86IOAddress  # noqa: F401 - gem5 scripts import it from m5.objects
from simobjs.objects.cpu import (
    BaseAtomicSimpleCPU,
    BaseInterrupts,
    BaseISA,
    BaseMMU,
    BaseTimingSimpleCPU,
    InstDecoder,
)
from simobjs.objects.dev import BasicPioDevice
from simobjs.objects.sim import CONFIG_ONLY, DerivedClockDomain
from simobjs.params import (
    NULL,
    DeprecatedParam,
    Enum,
    IntSinkPin,
    IntSourcePin,
    Param,
    Parent,
    RequestPort,
    ResponsePort,
    VectorIntSinkPin,
    VectorParam,
)


class X86ISA(BaseISA):
    type = "X86ISA"
    cxx_class = "gem5::X86ISA::ISA"
    _model = CONFIG_ONLY
    vendor_string = Param.String("HygonGenuine", "Vendor string for CPUID instruction")
    name_string = Param.String("Fake gem5 x86_64 CPU", "Processor name for CPUID instruction")
    FamilyModelStepping = VectorParam.UInt32(
        [0x00020F51, 0x00000805, 0xEFDBFBFF, 0x00000209],
        "type/family/model/stepping and feature flags",
    )
    CacheParams = VectorParam.UInt32([0, 0, 0, 0], "cache configuration descriptors")
    ExtendedFeatures = VectorParam.UInt32(
        [0x00000000, 0x01800000, 0x00000000, 0x00000000], "feature flags"
    )
    ExtendedState = VectorParam.UInt32([0] * 8, "extended state enumeration")
    FamilyModelSteppingBrandFeatures = VectorParam.UInt32(
        [0x00020F51, 0x00000405, 0xEBD3FBFF, 0x00020001], "family/model/stepping and features flags"
    )
    L1CacheAndTLB = VectorParam.UInt32(
        [0xFF08FF08, 0xFF20FF20, 0x40020140, 0x40020140],
        "L1 cache and L1 TLB configuration descriptors",
    )
    L2L3CacheAndL2TLB = VectorParam.UInt32(
        [0x00000000, 0x42004200, 0x00000000, 0x04008140],
        "L2/L3 cache and L2 TLB configuration descriptors",
    )
    APMInfo = VectorParam.UInt32(
        [0x80000018, 0x68747541, 0x69746E65, 0x444D4163], "processor feedback capabilities"
    )
    LongModeAddressSize = VectorParam.UInt32([0x00003030, 0, 0, 0], "miscellaneous information")


class X86MMU(BaseMMU):
    """Config-only: gem5's TLB and walker children are not modelled."""

    type = "X86MMU"
    cxx_class = "gem5::X86ISA::MMU"
    _model = CONFIG_ONLY


class X86Decoder(InstDecoder):
    type = "X86Decoder"
    cxx_class = "gem5::X86ISA::Decoder"
    _model = CONFIG_ONLY


class X86LocalApic(BaseInterrupts):
    """The local APIC: its register page at 0xFEE00000 for its CPU, IPIs, the
    timer on a private DerivedClockDomain (1/16 of the CPU clock, the "bus
    clock")."""

    type = "X86LocalApic"
    cxx_class = "gem5::X86ISA::Interrupts"
    _model = "simobjs.arch.x86.interrupts:X86LocalApic"
    int_requestor = RequestPort("Port for sending interrupt messages")
    int_master = DeprecatedParam(int_requestor, "`int_master` is now called `int_requestor`")
    int_responder = ResponsePort("Port for receiving interrupt messages")
    int_slave = DeprecatedParam(int_responder, "`int_slave` is now called `int_responder`")
    lint0 = IntSinkPin("Local interrupt pin 0 (the 8259's output)")
    lint1 = IntSinkPin("Local interrupt pin 1")
    int_latency = Param.Latency("1ns", "Latency for an interrupt to propagate through this device.")
    pio = ResponsePort("Programmed I/O port")
    system = Param.System(Parent.any, "System this device is part of")
    pio_latency = Param.Latency("100ns", "Programmed IO latency")
    clk_domain = Param.DerivedClockDomain(
        DerivedClockDomain(clk_domain=Parent.clk_domain, clk_divider=16),
        "The clock for the local APIC. Should not be modified.",
    )


class X86CPU:
    """Mixin naming the x86 classes a CPU creates (gem5's X86CPU)."""

    ArchDecoder = X86Decoder
    ArchMMU = X86MMU
    ArchInterrupts = X86LocalApic
    ArchISA = X86ISA


class X86AtomicSimpleCPU(BaseAtomicSimpleCPU, X86CPU):
    """The reference CPU: an instruction-accurate x86 emulator."""

    _model = "simobjs.cpu.reference.cpu:X86AtomicSimpleCPU"
    mmu = X86MMU()


AtomicSimpleCPU = X86AtomicSimpleCPU


class X86TimingSimpleCPU(BaseTimingSimpleCPU, X86CPU):
    """The reference CPU in the timing memory mode: a blocking in-order CPU whose
    fetches and data accesses wait for the compiled memory system below it."""

    _model = "simobjs.cpu.reference.timing:X86TimingSimpleCPU"
    mmu = X86MMU()


TimingSimpleCPU = X86TimingSimpleCPU


class I8254(BasicPioDevice):
    type = "I8254"
    cxx_class = "gem5::X86ISA::I8254"
    _model = "simobjs.dev.pit:I8254"
    int_pin = IntSourcePin("Pin to signal timer interrupts to")

    def _addr_ranges(self) -> list:
        from simobjs.params.types import AddrRange

        addr = self._values.get("pio_addr")
        return [AddrRange(int(addr), size=4)] if addr is not None and hasattr(addr, "value") else []


class X86I8259CascadeMode(Enum):
    map = {"I8259Master": 0, "I8259Slave": 1, "I8259Single": 2}


class I8259(BasicPioDevice):
    type = "I8259"
    cxx_class = "gem5::X86ISA::I8259"
    _model = "simobjs.dev.pic:I8259"
    output = IntSourcePin("The pin this I8259 drives")
    inputs = VectorIntSinkPin("The pins that drive this I8259")
    mode = Param.X86I8259CascadeMode("How this I8259 is cascaded")
    slave = Param.I8259(NULL, "Slave I8259, if any")

    def _addr_ranges(self) -> list:
        from simobjs.params.types import AddrRange

        addr = self._values.get("pio_addr")
        return [AddrRange(int(addr), size=2)] if addr is not None and hasattr(addr, "value") else []


__all__ = [
    "AtomicSimpleCPU",
    "I8254",
    "I8259",
    "TimingSimpleCPU",
    "X86AtomicSimpleCPU",
    "X86CPU",
    "X86Decoder",
    "X86I8259CascadeMode",
    "X86ISA",
    "X86LocalApic",
    "X86MMU",
    "X86TimingSimpleCPU",
    "x86IOAddress",
]
