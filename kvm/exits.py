"""Typed, immutable values for every KVM_RUN exit. Decoding lives in vcpu.py;
handling is the caller's business.

Exits are NamedTuples (cheap to build on the hot path) whose equality also
compares the type, so `HltExit() != IntrExit()` although both are empty.
"""

from __future__ import annotations

from typing import NamedTuple

from kvm._kvm_ffi import lib

IO_IN = lib.KVM_EXIT_IO_IN
IO_OUT = lib.KVM_EXIT_IO_OUT


class IoExit(NamedTuple):
    """Port I/O (KVM_EXIT_IO). `data` holds size*count bytes for an OUT, None
    for an IN (complete it with Vcpu.complete_io_in before the next run)."""

    direction: int
    size: int
    port: int
    count: int
    data: bytes | None

    @property
    def is_write(self) -> bool:
        return self.direction == IO_OUT


class MmioExit(NamedTuple):
    """MMIO access (KVM_EXIT_MMIO). `data` holds `length` bytes for a write,
    None for a read (complete it with Vcpu.complete_mmio_read)."""

    phys_addr: int
    data: bytes | None
    length: int
    is_write: bool


class HltExit(NamedTuple):
    """The guest executed HLT (KVM_EXIT_HLT)."""


class IntrExit(NamedTuple):
    """KVM_RUN returned EINTR: a signal (timer, kick) or immediate_exit."""


class ShutdownExit(NamedTuple):
    """Triple fault or similar (KVM_EXIT_SHUTDOWN)."""


class IrqWindowOpenExit(NamedTuple):
    """The guest can take an interrupt now (KVM_EXIT_IRQ_WINDOW_OPEN)."""


class NmiExit(NamedTuple):
    """KVM_EXIT_NMI."""


class FailEntryExit(NamedTuple):
    """The hardware refused to enter the guest (KVM_EXIT_FAIL_ENTRY)."""

    hardware_entry_failure_reason: int
    cpu: int


class InternalErrorExit(NamedTuple):
    """KVM could not handle something (KVM_EXIT_INTERNAL_ERROR), e.g. emulation failure."""

    suberror: int
    data: tuple[int, ...]


class ExceptionExit(NamedTuple):
    """KVM_EXIT_EXCEPTION."""

    exception: int
    error_code: int


class HypercallExit(NamedTuple):
    """KVM_EXIT_HYPERCALL (args has six entries)."""

    nr: int
    args: tuple[int, ...]
    ret: int
    longmode: int


class DebugExit(NamedTuple):
    """A guest-debug event (KVM_EXIT_DEBUG): single step or breakpoint."""

    exception: int
    pc: int
    dr6: int
    dr7: int


class SystemEventExit(NamedTuple):
    """KVM_EXIT_SYSTEM_EVENT (shutdown, reset, crash, ...)."""

    type: int
    data: tuple[int, ...]


class MsrExit(NamedTuple):
    """KVM_EXIT_X86_RDMSR / WRMSR (only with KVM_CAP_X86_USER_SPACE_MSR)."""

    index: int
    data: int
    is_write: bool


class UnknownExit(NamedTuple):
    """KVM_EXIT_UNKNOWN or a reason this binding does not decode."""

    reason: int
    hardware_exit_reason: int


Exit = (
    IoExit
    | MmioExit
    | HltExit
    | IntrExit
    | ShutdownExit
    | IrqWindowOpenExit
    | NmiExit
    | FailEntryExit
    | InternalErrorExit
    | ExceptionExit
    | HypercallExit
    | DebugExit
    | SystemEventExit
    | MsrExit
    | UnknownExit
)

ALL_EXITS = Exit.__args__


def _typed_eq(self, other):
    return type(self) is type(other) and tuple.__eq__(self, other)


def _typed_ne(self, other):
    return not _typed_eq(self, other)


def _typed_hash(self):
    return hash((type(self).__name__, tuple(self)))


for _cls in ALL_EXITS:
    _cls.__eq__ = _typed_eq
    _cls.__ne__ = _typed_ne
    _cls.__hash__ = _typed_hash

# Field-less exits are shared singletons: decoding them allocates nothing.
HLT = HltExit()
INTR = IntrExit()
SHUTDOWN = ShutdownExit()
IRQ_WINDOW_OPEN = IrqWindowOpenExit()
NMI = NmiExit()


_REASONS = {
    IoExit: lib.KVM_EXIT_IO,
    MmioExit: lib.KVM_EXIT_MMIO,
    HltExit: lib.KVM_EXIT_HLT,
    IntrExit: lib.KVM_EXIT_INTR,
    ShutdownExit: lib.KVM_EXIT_SHUTDOWN,
    IrqWindowOpenExit: lib.KVM_EXIT_IRQ_WINDOW_OPEN,
    NmiExit: lib.KVM_EXIT_NMI,
    FailEntryExit: lib.KVM_EXIT_FAIL_ENTRY,
    InternalErrorExit: lib.KVM_EXIT_INTERNAL_ERROR,
    ExceptionExit: lib.KVM_EXIT_EXCEPTION,
    HypercallExit: lib.KVM_EXIT_HYPERCALL,
    DebugExit: lib.KVM_EXIT_DEBUG,
    SystemEventExit: lib.KVM_EXIT_SYSTEM_EVENT,
}
EXIT_UNKNOWN = lib.KVM_EXIT_UNKNOWN
EXIT_SHUTDOWN = lib.KVM_EXIT_SHUTDOWN


def exit_reason(exit_: Exit) -> int:
    """The KVM_EXIT_* number of a decoded exit (what gem5's debug output prints)."""
    if isinstance(exit_, UnknownExit):
        return exit_.reason
    if isinstance(exit_, MsrExit):
        return lib.KVM_EXIT_X86_WRMSR if exit_.is_write else lib.KVM_EXIT_X86_RDMSR
    return _REASONS[type(exit_)]


class CoalescedWrite(NamedTuple):
    """One write taken from the coalesced MMIO/PIO ring (address is the port if pio)."""

    phys_addr: int
    data: bytes
    is_pio: bool
