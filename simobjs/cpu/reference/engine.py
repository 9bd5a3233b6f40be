"""The reference execution engine: one Unicorn x86-64 instance over shared guest RAM.

`run(n)` executes at most `n` instructions exactly (a C code hook counts and
stops; no Python runs per instruction) and says why it stopped. Port I/O and
MMIO go to the callbacks given at construction. Unicorn never delivers
events through the IDT, so exceptions, INT n, SYSCALL and external interrupts
are delivered here by hand (`delivery.py`).

Counting: every retired instruction counts one, and so does every iteration
of a REP-prefixed string instruction (a count may stop in the middle of a
REP, with RIP at the instruction and RCX partly decremented, which is
architecturally valid). A faulting instruction does not count; INT n does.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from unicorn import (
    UC_ARCH_X86,
    UC_ERR_INSN_INVALID,
    UC_HOOK_CODE,
    UC_HOOK_INSN,
    UC_HOOK_INTR,
    UC_HOOK_MEM_READ,
    UC_HOOK_MEM_WRITE,
    UC_MODE_64,
    UC_PROT_ALL,
    Uc,
    UcError,
)
from unicorn import x86_const as X
from unicorn.unicorn_py3.unicorn import uc_hook_h, uclib

from simobjs.arch.x86.state import X86State
from simobjs.cpu.reference import delivery, regs
from simobjs.cpu.reference.blob import HF_INHIBIT_IRQ, Blob, probe_layout
from simobjs.cpu.reference.paging import PageFault, PhysMem, read_linear, write_linear

IO_SPACE = 0x8000000000000000
FOUR_GIB = 1 << 32

IoRead = Callable[[int, int], int]
IoWrite = Callable[[int, int, int], None]


class Instrument(Protocol):
    """C hooks that replace the counting code hook (e.g. a compiled memory system).

    `user_data` points at a structure whose first member has the layout of
    `struct ref_counter`: the engine counts and stops through it as usual.
    `mem_hook` (0 for none) is installed for data reads and writes.
    `translations_changed()` is called after every exception, interrupt or
    syscall the engine delivers.
    """

    code_hook: int
    mem_hook: int
    user_data: int

    def translations_changed(self) -> None: ...


class HooksNotBuilt(ImportError):
    """The cffi hook module is missing: run `python simobjs/cpu/reference/_build_hooks.py`."""


def _load_hooks():
    try:
        from simobjs.cpu.reference import _hooks
    except ImportError as exc:
        raise HooksNotBuilt(
            "simobjs.cpu.reference._hooks is not built; reinstall the package or run "
            "`python simobjs/cpu/reference/_build_hooks.py` from the source tree"
        ) from exc
    return _hooks


@dataclass(frozen=True)
class StopInfo:
    """Why `run` returned: reason is count, halt, io, syscall, triple-fault or error."""

    reason: str
    instructions: int
    rip: int
    detail: str = ""
    dump: str = ""


def _no_io_read(addr: int, size: int) -> int:
    raise LookupError(f"no device at {addr:#x} ({size}-byte read)")


def _no_io_write(addr: int, size: int, value: int) -> None:
    raise LookupError(f"no device at {addr:#x} ({size}-byte write of {value:#x})")


def ram_gaps(ram: Sequence[tuple[int, int, int]], limit: int = FOUR_GIB) -> list[tuple[int, int]]:
    """The (start, size) holes below `limit` not covered by RAM: the default MMIO space."""
    gaps, pos = [], 0
    for start, size, _host in sorted(ram):
        if start > pos:
            gaps.append((pos, start - pos))
        pos = max(pos, start + size)
    if pos < limit:
        gaps.append((pos, limit - pos))
    return gaps


class ReferenceEngine:
    """Exact x86-64 execution on Unicorn with hand-made event delivery."""

    def __init__(
        self,
        ram: Sequence[object],
        io_read: IoRead | None = None,
        io_write: IoWrite | None = None,
        mmio: Sequence[tuple[int, int]] | None = None,
        instrument: Instrument | None = None,
    ) -> None:
        hooks = _load_hooks()
        self.layout = probe_layout()
        self.io_read = io_read or _no_io_read
        self.io_write = io_write or _no_io_write
        ranges = [_ram_range(r) for r in ram]
        self.mem = PhysMem(ranges)
        self.uc = uc = Uc(UC_ARCH_X86, UC_MODE_64)
        for start, size, host in ranges:
            uc.mem_map_ptr(start, size, UC_PROT_ALL, host)
        for start, size in mmio if mmio is not None else ram_gaps(ranges):
            uc.mmio_map(start, size, self._mmio_read, start, self._mmio_write, start)
        self._ffi, self._lib = hooks.ffi, hooks.lib
        self.instrument = instrument
        if instrument is None:
            self.counter = self._ffi.new("struct ref_counter *")
            fn = int(self._ffi.cast("uintptr_t", self._ffi.addressof(self._lib, "ref_code_hook")))
        else:
            # the instrument's structure starts with a ref_counter (kept alive by it)
            self.counter = self._ffi.cast("struct ref_counter *", instrument.user_data)
            fn = instrument.code_hook
        stop = ctypes.cast(uclib.uc_emu_stop, ctypes.c_void_p).value
        self.counter.emu_stop = self._ffi.cast("int (*)(void *)", stop)
        ptr = int(self._ffi.cast("uintptr_t", self.counter))
        self._c_hooks = [self._add_c_hook(UC_HOOK_CODE, fn, ptr)]
        if instrument is not None and instrument.mem_hook:
            for kind in (UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE):
                self._c_hooks.append(self._add_c_hook(kind, instrument.mem_hook, ptr))
        uc.hook_add(UC_HOOK_INTR, self._on_intr)
        uc.hook_add(UC_HOOK_INSN, self._on_in, None, 1, 0, X.UC_X86_INS_IN)
        uc.hook_add(UC_HOOK_INSN, self._on_out, None, 1, 0, X.UC_X86_INS_OUT)
        uc.hook_add(UC_HOOK_INSN, self._on_syscall, None, 1, 0, X.UC_X86_INS_SYSCALL)
        uc.hook_add(UC_HOOK_INSN, self._on_cpuid, None, 1, 0, X.UC_X86_INS_CPUID)
        uc.ctl_flush_tb()  # hooks never reach code translated before they were added
        self.blob = Blob(uc, self.layout)
        self.cpuid_table: dict[tuple[int, int], tuple[int, int, int, int]] | None = None
        self.halted = False
        self.shutdown: str | None = None  # set by a triple fault
        self.pending_exception: tuple[int, int | None] | None = None
        self.carry = regs.Carry()
        self._stop_request = False
        self.syscall_exits = False  # SE mode: SYSCALL stops the run (reason "syscall")
        self._event: tuple | None = None
        self._callback_error: BaseException | None = None
        # (kind, address, size) of the I/O access whose callback raised in the last run
        self.failed_access: tuple[str, int, int] | None = None
        self.load_state(X86State())

    def _add_c_hook(self, kind: int, fn: int, user_data: int) -> uc_hook_h:
        handle = uc_hook_h()
        status = uclib.uc_hook_add(
            self.uc._uch,
            ctypes.byref(handle),
            kind,
            ctypes.c_void_p(fn),
            ctypes.c_void_p(user_data),
            1,
            0,
        )
        if status:
            raise UcError(status)
        return handle

    def detach_c_hooks(self) -> None:
        """Remove the C code (and memory) hooks: plain Unicorn from here on, for benches that
        compare with it. Counting stops with them; the engine is not usable for run() after."""
        for handle in self._c_hooks:
            uclib.uc_hook_del(self.uc._uch, handle)
        self._c_hooks = []
        self.uc.ctl_flush_tb()  # translated code still calls the hooks
        self.uc.reg_write(X.UC_X86_REG_CR3, self.uc.reg_read(X.UC_X86_REG_CR3))  # and the TLB

    # -- state -----------------------------------------------------------------------------
    def load_state(self, state: X86State) -> None:
        """Make `state` the engine's state, exactly (flushes TBs and the TLB)."""
        regs.load(self, state)
        self.halted = state.halted
        self.pending_exception = state.exception
        self.shutdown = None

    def save_state(self) -> X86State:
        st = regs.save(self)
        st.halted = self.halted
        st.exception = self.pending_exception
        return st

    def reg(self, reg_id: int) -> int:
        return self.uc.reg_read(reg_id)

    @property
    def rip(self) -> int:
        return self.uc.reg_read(X.UC_X86_REG_RIP)

    def hflags(self) -> int:
        self.blob.read()
        return self.blob.u32(self.layout.hflags)

    def read_linear(self, address: int, length: int) -> bytes:
        cr0, cr3 = self.uc.reg_read(X.UC_X86_REG_CR0), self.uc.reg_read(X.UC_X86_REG_CR3)
        return read_linear(self.mem, cr0, cr3, address, length)

    def write_linear(self, address: int, data: bytes) -> None:
        cr0, cr3 = self.uc.reg_read(X.UC_X86_REG_CR0), self.uc.reg_read(X.UC_X86_REG_CR3)
        write_linear(self.mem, cr0, cr3, address, data)

    def set_cpuid(self, entries: Sequence[object] | None) -> None:
        """Answer CPUID from `entries` (function, index, flags, eax, ebx, ecx, edx)."""
        if entries is None:
            self.cpuid_table = None
            return
        table = {}
        for e in entries:
            fn, idx, flags, eax, ebx, ecx, edx = tuple(e)[:7]
            table[(fn, idx if flags & 1 else -1)] = (eax, ebx, ecx, edx)
        self.cpuid_table = table

    # -- events ----------------------------------------------------------------------------
    def can_take_interrupt(self) -> bool:
        """IF set, no STI/MOV-SS shadow, no exception waiting, not shut down."""
        if self.shutdown or self.pending_exception is not None:
            return False
        if not self.uc.reg_read(X.UC_X86_REG_EFLAGS) & (1 << 9):
            return False
        return not self.hflags() & HF_INHIBIT_IRQ

    def deliver_interrupt(self, vector: int) -> bool:
        """Deliver external interrupt `vector` through the IDT if it can be taken now."""
        if not self.can_take_interrupt():
            return False
        self.halted = False
        self.shutdown = delivery.deliver(self, vector, None, delivery.EXTERNAL)
        return True

    def request_stop(self) -> None:
        """From an I/O callback: stop right after the current instruction."""
        self._stop_request = True
        self.counter.stop_next = 1

    # -- running ---------------------------------------------------------------------------
    def run(self, max_insts: int) -> StopInfo:
        """Run at most `max_insts` instructions; stops early on HLT, I/O stop, fault."""
        c = self.counter
        c.count, c.limit, c.limit_hit, c.stop_next = 0, max_insts, 0, 0
        self._stop_request = False
        self.failed_access = None
        if self.pending_exception is not None and not self.shutdown:
            vector, error = self.pending_exception
            self.pending_exception = None
            self.halted = False
            self.shutdown = delivery.deliver(self, vector, error, delivery.EXCEPTION)
        if self.shutdown:
            return StopInfo("triple-fault", 0, self.rip, self.shutdown, self.dump())
        if self.halted:
            return StopInfo("halt", 0, self.rip)
        while c.count < max_insts:
            self._event = None
            rip = self.rip
            try:
                self.uc.emu_start(rip, 0, 0, 0)
            except UcError as exc:
                if exc.errno != UC_ERR_INSN_INVALID:
                    return self._stop("error", f"unicorn: {exc}")
                self._event = ("ud",)
            if self._callback_error is not None:
                err, self._callback_error = self._callback_error, None
                raise err
            if self._event is not None:
                if self.syscall_exits and self._event[0] == "syscall":
                    return self._stop("syscall")
                self.shutdown = delivery.handle_event(self, self._event)
                if self.instrument is not None:
                    # a handler (a syscall, a page fault) may have changed the mappings
                    self.instrument.translations_changed()
                if self.shutdown:
                    return self._stop("triple-fault", self.shutdown)
                if self._stop_request:
                    return self._stop("io")
                continue
            if self._stop_request:
                return self._stop("io")
            if c.limit_hit:
                break
            if self._halted_at_last():
                self.halted = True
                return self._stop("halt")
            return self._stop("error", "emulation stopped for no known reason")
        return self._stop("count")

    def _stop(self, reason: str, detail: str = "") -> StopInfo:
        dump = self.dump() if reason in ("error", "triple-fault") else ""
        return StopInfo(reason, int(self.counter.count), self.rip, detail, dump)

    def _halted_at_last(self) -> bool:
        c = self.counter
        if c.count == 0 or c.last_size != 1 or self.rip != c.last_pc + 1:
            return False
        try:
            return self.read_linear(c.last_pc, 1) == b"\xf4"
        except (PageFault, IndexError):
            return False

    def dump(self) -> str:
        """A register dump for error reports."""
        return regs.dump(self.save_state())

    # -- hooks (Python; none runs per instruction) -------------------------------------------
    def _guard(self, fn: Callable[[], int | None], kind: str, addr: int, size: int) -> int:
        if self._callback_error is not None:
            # Unicorn goes on with the rest of a split access (an 8-byte MMIO read comes
            # as two 4-byte reads): after a failed part nothing more is performed, and
            # the failed access grows to the whole access
            k, a, s = self.failed_access or (None, 0, 0)
            if k == kind and a + s == addr:
                self.failed_access = (kind, a, s + size)
            return 0
        try:
            return fn() or 0
        except BaseException as exc:  # noqa: BLE001 - re-raised from run() after the stop
            self._callback_error = exc
            self.failed_access = (kind, addr, size)
            self.uc.emu_stop()
            return 0

    def _on_in(self, uc: Uc, port: int, size: int, _ud: object) -> int:
        mask = (1 << (8 * size)) - 1
        addr = IO_SPACE | port
        return self._guard(lambda: self.io_read(addr, size) & mask, "read", addr, size)

    def _on_out(self, uc: Uc, port: int, size: int, value: int, _ud: object) -> None:
        mask = (1 << (8 * size)) - 1
        addr = IO_SPACE | port
        self._guard(lambda: self.io_write(addr, size, value & mask), "write", addr, size)

    def _mmio_read(self, uc: Uc, offset: int, size: int, base: int) -> int:
        addr = base + offset
        return self._guard(lambda: self.io_read(addr, size), "read", addr, size)

    def _mmio_write(self, uc: Uc, offset: int, size: int, value: int, base: int) -> None:
        addr = base + offset
        self._guard(lambda: self.io_write(addr, size, value), "write", addr, size)

    def _on_intr(self, uc: Uc, intno: int, _ud: object) -> None:
        blob = self.blob.read()
        lay = self.layout
        is_int = self.blob.i32(lay.is_int)
        next_eip = int.from_bytes(blob[lay.next_eip : lay.next_eip + 8], "little")
        error = self.blob.i32(lay.error_code)
        self._event = ("intr", intno, is_int, next_eip, error, self.rip)
        uc.emu_stop()

    def _on_syscall(self, uc: Uc, _ud: object) -> None:
        self._event = ("syscall",)
        uc.emu_stop()

    def _on_cpuid(self, uc: Uc, _ud: object) -> int:
        table = self.cpuid_table
        if table is None:
            return 0
        fn, idx = uc.reg_read(X.UC_X86_REG_EAX) & 0xFFFFFFFF, uc.reg_read(X.UC_X86_REG_ECX)
        values = table.get((fn, idx & 0xFFFFFFFF)) or table.get((fn, -1)) or (0, 0, 0, 0)
        for reg, v in zip(
            (X.UC_X86_REG_RAX, X.UC_X86_REG_RBX, X.UC_X86_REG_RCX, X.UC_X86_REG_RDX),
            values,
            strict=True,
        ):
            uc.reg_write(reg, v)
        return 1

    def close(self) -> None:
        """Unmap guest RAM from Unicorn (before the RAM itself is unmapped)."""
        if self.uc is None:
            return
        # uc_close now, not at garbage collection (hooks make a cycle through this
        # engine); mem_unmap after a run can crash Unicorn 2.1.4, uc_close does not
        # touch the (caller-owned) RAM
        self.uc._Uc__finalizer()
        self.uc._callbacks.clear()
        self.uc._mmio_callbacks.clear()
        self.mem.release()
        self.uc = None


def _ram_range(r: object) -> tuple[int, int, int]:
    if isinstance(r, tuple):
        return r
    return (r.start, r.size, r.host_address)
