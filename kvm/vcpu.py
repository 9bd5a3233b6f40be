"""The vCPU fd: KVM_RUN with typed exits, pending-I/O completion, the coalesced
ring, and register/state access."""

from __future__ import annotations

import errno
import mmap
import os
import struct
from collections.abc import Iterable

from kvm._kvm_ffi import ffi, lib
from kvm.errors import KvmError, check
from kvm.exits import (
    HLT,
    INTR,
    IO_OUT,
    IRQ_WINDOW_OPEN,
    NMI,
    SHUTDOWN,
    CoalescedWrite,
    DebugExit,
    ExceptionExit,
    Exit,
    FailEntryExit,
    HypercallExit,
    InternalErrorExit,
    IoExit,
    MmioExit,
    MsrExit,
    SystemEventExit,
    UnknownExit,
)
from kvm.state import (
    REGS_SIZE,
    SREGS_SIZE,
    CpuidEntry,
    DebugRegs,
    Fpu,
    Regs,
    Sregs,
    Xsave,
    cpuid_from_c,
    cpuid_to_c,
    fpu_from_c,
    fpu_to_c,
    regs_from_buffer,
    regs_from_c,
    regs_to_buffer,
    regs_to_c,
    sregs_from_buffer,
    sregs_from_c,
    sregs_to_buffer,
    sregs_to_c,
)

GUESTDBG_ENABLE = lib.KVM_GUESTDBG_ENABLE
GUESTDBG_SINGLESTEP = lib.KVM_GUESTDBG_SINGLESTEP
GUESTDBG_USE_SW_BP = lib.KVM_GUESTDBG_USE_SW_BP
GUESTDBG_USE_HW_BP = lib.KVM_GUESTDBG_USE_HW_BP

PAGE_SIZE = mmap.PAGESIZE
_EINTR = -errno.EINTR
_run_ioctl = lib.so_kvm_run
# what enable_sync_regs can ask KVM to leave in kvm_run at each exit
SYNC_REGS = lib.KVM_SYNC_X86_REGS
SYNC_SREGS = lib.KVM_SYNC_X86_SREGS
SYNC_STATE = lib.KVM_SYNC_X86_REGS | lib.KVM_SYNC_X86_SREGS | lib.KVM_SYNC_X86_EVENTS
_EVENTS_SIZE = lib.so_vcpu_events_size()
_run_bounded = lib.so_kvm_run_bounded
_run_armed = lib.so_kvm_run_armed
_run_lockstep = lib.so_kvm_run_lockstep
thread_cpu_ns = lib.so_thread_cpu_ns  # this thread's CPU time (CLOCK_THREAD_CPUTIME_ID)


def _layout(fields: list[tuple[int, str]]) -> tuple[int, struct.Struct]:
    """A Struct reading `fields` (offset, code) in one call, padding the gaps;
    returns (offset of the first field, Struct)."""
    fields = sorted(fields)
    base = pos = fields[0][0]
    fmt = "<"
    for off, code in fields:
        if off < pos:
            raise AssertionError("overlapping fields in layout")
        fmt += "x" * (off - pos) + code
        pos = off + struct.calcsize("<" + code)
    return base, struct.Struct(fmt)


_EXIT_REASON_WORD = lib.SO_RUN_EXIT_REASON // 4
assert lib.SO_RUN_EXIT_REASON % 4 == 0
_IO_AT, _IO = _layout(
    [
        (lib.SO_RUN_IO_DIRECTION, "B"),
        (lib.SO_RUN_IO_SIZE, "B"),
        (lib.SO_RUN_IO_PORT, "H"),
        (lib.SO_RUN_IO_COUNT, "I"),
        (lib.SO_RUN_IO_DATA_OFFSET, "Q"),
    ]
)
_MMIO_AT, _MMIO = _layout(
    [
        (lib.SO_RUN_MMIO_PHYS_ADDR, "Q"),
        (lib.SO_RUN_MMIO_LEN, "I"),
        (lib.SO_RUN_MMIO_IS_WRITE, "B"),
    ]
)
_MMIO_DATA = lib.SO_RUN_MMIO_DATA
_DEBUG_AT, _DEBUG = _layout(
    [
        (lib.SO_RUN_DEBUG_EXCEPTION, "I"),
        (lib.SO_RUN_DEBUG_PC, "Q"),
        (lib.SO_RUN_DEBUG_DR6, "Q"),
        (lib.SO_RUN_DEBUG_DR7, "Q"),
    ]
)
_U8, _U32, _U64 = struct.Struct("<B"), struct.Struct("<I"), struct.Struct("<Q")
_RING_AT = lib.KVM_COALESCED_MMIO_PAGE_OFFSET * PAGE_SIZE
_RING_MAX = (PAGE_SIZE - lib.SO_RING_ENTRIES) // lib.SO_RING_ENTRY_SIZE
_RING_ENTRY_AT, _RING_ENTRY = _layout(
    [
        (lib.SO_RING_ENTRY_PHYS_ADDR, "Q"),
        (lib.SO_RING_ENTRY_LEN, "I"),
        (lib.SO_RING_ENTRY_PIO, "I"),
    ]
)


class Vcpu:
    """A virtual CPU (KVM_CREATE_VCPU). Created by Vm.create_vcpu()."""

    def __init__(self, vm, fd: int, vcpu_id: int) -> None:
        self.vm = vm
        self.fd = fd
        self.id = vcpu_id
        size = vm.kvm.vcpu_mmap_size()
        self._mm = mmap.mmap(fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        self._mmap_size = size
        # Word view used only for exit_reason, which lies inside page 0 of the mapping.
        self._words = memoryview(self._mm).cast("I")
        # kvm_run.s.regs.regs (struct kvm_regs: 18 u64), inside page 0 of the mapping
        self._sync = memoryview(self._mm)[
            lib.SO_RUN_SYNC_REGS : lib.SO_RUN_SYNC_REGS + REGS_SIZE
        ].cast("Q")
        self._pending: tuple[int, int] | None = None
        self._synced = 0  # KVM_SYNC_X86_* kvm_run holds a copy of (enable_sync_regs)
        self._synced_fresh = False  # that copy is KVM's state: no write since the exit
        self._tsc = ffi.new("unsigned long long[2]")
        self._cpu_ns = ffi.new("long long[2]")
        self.run_cycles = 0  # TSC cycles of the last run_bounded()
        self.run_cpu_ns = 0  # this thread's CPU time in the last run_bounded()
        self.has_ring = (
            vm.kvm.check_extension(lib.KVM_CAP_COALESCED_MMIO) > 0 and _RING_AT + PAGE_SIZE <= size
        )

    def close(self) -> None:
        if self.fd < 0:
            return
        self._words.release()
        self._sync.release()
        self._mm.close()
        os.close(self.fd)
        self.fd = -1

    # ------------------------------------------------------------------ run
    def run(self) -> Exit:
        """KVM_RUN once and decode why it returned. EINTR becomes IntrExit."""
        r = _run_ioctl(self.fd)
        self._synced_fresh = True
        if r:
            if r == _EINTR:
                return INTR
            raise KvmError("KVM_RUN", -r)
        return self.decode()

    def _timed_exit(self, r: int) -> Exit:
        """After a timed C run: the readings (run_cycles, run_cpu_ns) and the exit."""
        tsc, cpu = self._tsc, self._cpu_ns
        self.run_cycles = tsc[1] - tsc[0]
        self.run_cpu_ns = cpu[1] - cpu[0]
        self._synced_fresh = True
        if r:
            if r == _EINTR:
                return INTR
            raise KvmError("KVM_RUN", -r)
        return self.decode()

    def run_bounded(self, timer, ns: int, signo: int) -> Exit:
        """KVM_RUN bounded by the one-shot POSIX `timer` (a timer_t from
        kvm.timers) armed for `ns` nanoseconds, in one C call that also disarms it and
        consumes a late `signo`. `run_cycles` gets the TSC cycles the run took, and
        `run_cpu_ns` the CPU time this thread spent in it (in the guest, or in the
        kernel for it: never time the host gave to other tasks)."""
        tsc, cpu = self._tsc, self._cpu_ns
        r = _run_bounded(self.fd, timer, ns, signo, tsc, cpu)
        return self._timed_exit(r)

    def run_lockstep(
        self, timer, ns: int, quantum_ns: int, floor_ns: int, signo: int, ls, member: int
    ):
        """Quanta in lockstep with other threads (`ls`: a so_lockstep they share, this
        thread its `member`), all in C: run_armed to the quantum's end `ns` from now,
        meet the others there, go on by `quantum_ns` while `ls.limit[member]` allows
        (see so_kvm_run_lockstep in _build.py). The meets completed are the high half
        of `ls.state`."""
        tsc, cpu = self._tsc, self._cpu_ns
        r = _run_lockstep(self.fd, timer, ns, quantum_ns, floor_ns, signo, tsc, cpu, ls, member)
        return self._timed_exit(r)

    def run_armed(self, timer, ns: int, signo: int) -> Exit:
        """run_bounded, but the timer stays armed after an exit the guest made: `ns` > 0
        arms it, 0 keeps the deadline of an earlier call. A late `signo` is consumed only
        when the run was cut by a signal (IntrExit), as then the timer is spent."""
        tsc, cpu = self._tsc, self._cpu_ns
        r = _run_armed(self.fd, timer, ns, signo, tsc, cpu)
        return self._timed_exit(r)

    def decode(self) -> Exit:
        """Decode the exit currently described by kvm_run (run() calls this; tests
        may call it on a kvm_run they filled in themselves)."""
        mm = self._mm
        reason = self._words[_EXIT_REASON_WORD]
        if reason == _EXIT_IO:
            direction, size, port, count, off = _IO.unpack_from(mm, _IO_AT)
            n = size * count
            # (tuple.__new__ builds the NamedTuple without its Python-level __new__)
            if direction == IO_OUT:
                # KVM places PIO data inside the vCPU mapping (page 1); the slice is bounded.
                return _new(IoExit, (direction, size, port, count, mm[off : off + n]))
            self._pending = (off, n)
            return _new(IoExit, (direction, size, port, count, None))
        if reason == _EXIT_MMIO:
            addr, length, is_write = _MMIO.unpack_from(mm, _MMIO_AT)
            if is_write:
                # mmio.data is 8 bytes inside page 0; length <= 8 by the KVM ABI.
                return _new(MmioExit, (addr, mm[_MMIO_DATA : _MMIO_DATA + length], length, True))
            self._pending = (_MMIO_DATA, length)
            return _new(MmioExit, (addr, None, length, False))
        return self._decode_other(reason)

    def _decode_other(self, reason: int) -> Exit:
        mm = self._mm
        # All offsets below are union members of struct kvm_run, inside page 0.
        if reason == lib.KVM_EXIT_HLT:
            return HLT
        if reason == lib.KVM_EXIT_INTR:
            return INTR
        if reason == lib.KVM_EXIT_SHUTDOWN:
            return SHUTDOWN
        if reason == lib.KVM_EXIT_IRQ_WINDOW_OPEN:
            return IRQ_WINDOW_OPEN
        if reason == lib.KVM_EXIT_NMI:
            return NMI
        if reason == lib.KVM_EXIT_DEBUG:
            return DebugExit(*_DEBUG.unpack_from(mm, _DEBUG_AT))
        if reason == lib.KVM_EXIT_FAIL_ENTRY:
            return FailEntryExit(
                _U64.unpack_from(mm, lib.SO_RUN_FAIL_ENTRY_REASON)[0],
                _U32.unpack_from(mm, lib.SO_RUN_FAIL_ENTRY_CPU)[0],
            )
        if reason == lib.KVM_EXIT_INTERNAL_ERROR:
            sub = _U32.unpack_from(mm, lib.SO_RUN_INTERNAL_SUBERROR)[0]
            n = min(_U32.unpack_from(mm, lib.SO_RUN_INTERNAL_NDATA)[0], 16)
            data = struct.unpack_from(f"<{n}Q", mm, lib.SO_RUN_INTERNAL_DATA)
            return InternalErrorExit(sub, data)
        if reason == lib.KVM_EXIT_EXCEPTION:
            return ExceptionExit(
                _U32.unpack_from(mm, lib.SO_RUN_EX_EXCEPTION)[0],
                _U32.unpack_from(mm, lib.SO_RUN_EX_ERROR_CODE)[0],
            )
        if reason == lib.KVM_EXIT_HYPERCALL:
            return HypercallExit(
                _U64.unpack_from(mm, lib.SO_RUN_HYPERCALL_NR)[0],
                struct.unpack_from("<6Q", mm, lib.SO_RUN_HYPERCALL_ARGS),
                _U64.unpack_from(mm, lib.SO_RUN_HYPERCALL_RET)[0],
                _U32.unpack_from(mm, lib.SO_RUN_HYPERCALL_LONGMODE)[0],
            )
        if reason == lib.KVM_EXIT_SYSTEM_EVENT:
            n = min(_U32.unpack_from(mm, lib.SO_RUN_SYSTEM_EVENT_NDATA)[0], 16)
            return SystemEventExit(
                _U32.unpack_from(mm, lib.SO_RUN_SYSTEM_EVENT_TYPE)[0],
                struct.unpack_from(f"<{n}Q", mm, lib.SO_RUN_SYSTEM_EVENT_DATA),
            )
        if reason in (lib.KVM_EXIT_X86_RDMSR, lib.KVM_EXIT_X86_WRMSR):
            return MsrExit(
                _U32.unpack_from(mm, lib.SO_RUN_MSR_INDEX)[0],
                _U64.unpack_from(mm, lib.SO_RUN_MSR_DATA)[0],
                reason == lib.KVM_EXIT_X86_WRMSR,
            )
        return UnknownExit(reason, _U64.unpack_from(mm, lib.SO_RUN_HW_REASON)[0])

    @property
    def run_mapping(self) -> mmap.mmap:
        """The raw vCPU mapping (kvm_run, PIO data page, coalesced ring)."""
        return self._mm

    @property
    def pending_read(self) -> bool:
        """True after an IN or MMIO-read exit whose data has not been supplied yet."""
        return self._pending is not None

    def complete_io_in(self, data: bytes) -> None:
        """Supply the data of the last IN exit (size*count bytes); it reaches the
        guest register on the next KVM_RUN."""
        self._complete(data, "complete_io_in")

    def complete_mmio_read(self, data: bytes) -> None:
        """Supply the data of the last MMIO-read exit (length bytes)."""
        self._complete(data, "complete_mmio_read")

    def _complete(self, data: bytes, what: str) -> None:
        if self._pending is None:
            raise RuntimeError(f"{what}: no pending read")
        off, n = self._pending
        if len(data) != n:
            raise ValueError(f"{what}: expected {n} bytes, got {len(data)}")
        # off/n came from kvm_run for this exit; they lie inside the vCPU mapping.
        self._mm[off : off + n] = data
        self._pending = None

    def run_immediate_exit(self) -> Exit:
        """KVM_RUN with immediate_exit set: completes a pending I/O read (the
        data must be supplied first) and returns without running guest code."""
        ie = lib.SO_RUN_IMMEDIATE_EXIT
        self._mm[ie] = 1  # one byte inside page 0
        try:
            return self.run()
        finally:
            self._mm[ie] = 0
            self._pending = None
            self._synced_fresh = False  # (completing the I/O changed what the exit left)

    # ------------------------------------------------------- kvm_run fields
    @property
    def immediate_exit(self) -> bool:
        return bool(self._mm[lib.SO_RUN_IMMEDIATE_EXIT])

    @immediate_exit.setter
    def immediate_exit(self, value: bool) -> None:
        self._mm[lib.SO_RUN_IMMEDIATE_EXIT] = int(bool(value))

    @property
    def request_interrupt_window(self) -> bool:
        return bool(self._mm[lib.SO_RUN_REQUEST_INTERRUPT_WINDOW])

    @request_interrupt_window.setter
    def request_interrupt_window(self, value: bool) -> None:
        self._mm[lib.SO_RUN_REQUEST_INTERRUPT_WINDOW] = int(bool(value))

    @property
    def ready_for_interrupt_injection(self) -> bool:
        return bool(self._mm[lib.SO_RUN_READY_FOR_INJECTION])

    @property
    def if_flag(self) -> bool:
        return bool(self._mm[lib.SO_RUN_IF_FLAG])

    @property
    def cr8(self) -> int:
        return _U64.unpack_from(self._mm, lib.SO_RUN_CR8)[0]

    @cr8.setter
    def cr8(self, value: int) -> None:
        _U64.pack_into(self._mm, lib.SO_RUN_CR8, value)

    @property
    def apic_base(self) -> int:
        return _U64.unpack_from(self._mm, lib.SO_RUN_APIC_BASE)[0]

    @apic_base.setter
    def apic_base(self, value: int) -> None:
        _U64.pack_into(self._mm, lib.SO_RUN_APIC_BASE, value)

    # ------------------------------------------------- synced registers
    def enable_sync_regs(self, what: int = lib.KVM_SYNC_X86_REGS) -> None:
        """KVM_CAP_SYNC_REGS: KVM stores `what` (KVM_SYNC_X86_*) in kvm_run at every exit,
        and takes back at the next KVM_RUN what mark_regs_dirty() flagged."""
        _U64.pack_into(self._mm, lib.SO_RUN_VALID_REGS, what)
        self._synced = what
        self._synced_fresh = False

    def synced_state(self) -> tuple[Regs, Sregs, bytes] | None:
        """The registers, special registers and raw kvm_vcpu_events KVM stored in kvm_run
        at the last exit, without an ioctl: while nothing was written into the vCPU
        since (every write below forgets them) and all three are synced; else None.
        The general registers include any staged with mark_regs_dirty()."""
        raw = self.synced_raw()
        if raw is None:
            return None
        regs, sregs, events = raw
        return regs_from_buffer(regs), sregs_from_buffer(sregs), events

    def synced_raw(self) -> tuple[bytes, bytes, bytes] | None:
        """synced_state() as the raw struct kvm_regs, kvm_sregs and kvm_vcpu_events."""
        if not self._synced_fresh or self._synced & SYNC_STATE != SYNC_STATE:
            return None
        mm = self._mm
        r, s, e = lib.SO_RUN_SYNC_REGS, lib.SO_RUN_SYNC_SREGS, lib.SO_RUN_SYNC_EVENTS
        return mm[r : r + REGS_SIZE], mm[s : s + SREGS_SIZE], mm[e : e + _EVENTS_SIZE]

    def stage_raw(self, regs: bytes, sregs: bytes) -> None:
        """stage_regs and stage_sregs from raw struct kvm_regs and kvm_sregs."""
        mm = self._mm
        r, s = lib.SO_RUN_SYNC_REGS, lib.SO_RUN_SYNC_SREGS
        mm[r : r + REGS_SIZE] = regs
        mm[s : s + SREGS_SIZE] = sregs
        self._set_dirty(self._dirty() | SYNC_REGS | SYNC_SREGS)

    @property
    def sync_regs(self) -> memoryview:
        """kvm_run.s.regs.regs as 18 u64 in struct kvm_regs order (rax rbx rcx rdx rsi
        rdi rsp rbp r8-r15 rip rflags): read after an exit, written before a run."""
        return self._sync

    def _dirty(self) -> int:
        return _U64.unpack_from(self._mm, lib.SO_RUN_DIRTY_REGS)[0]

    def _set_dirty(self, bits: int) -> None:
        _U64.pack_into(self._mm, lib.SO_RUN_DIRTY_REGS, bits)

    def mark_regs_dirty(self) -> None:
        """The next KVM_RUN loads the general registers from sync_regs."""
        self._set_dirty(self._dirty() | SYNC_REGS)

    def clear_regs_dirty(self) -> None:
        """Forget general registers staged in sync_regs (special registers staged with
        stage_sregs stay: they are what the vCPU holds from the next KVM_RUN on)."""
        self._set_dirty(self._dirty() & ~SYNC_REGS)

    @property
    def regs_dirty(self) -> bool:
        return bool(self._dirty() & SYNC_REGS)

    def can_stage(self) -> bool:
        """KVM syncs the general and special registers through kvm_run (stage_regs and
        stage_sregs can replace KVM_SET_REGS and KVM_SET_SREGS)."""
        return self._synced & (SYNC_REGS | SYNC_SREGS) == SYNC_REGS | SYNC_SREGS

    def stage_regs(self, regs: Regs) -> None:
        """KVM_SET_REGS without the ioctl: the next KVM_RUN loads `regs` from kvm_run
        (KVM applies the general registers before the special ones: where setting the
        special registers changes the CPL, use the ioctls, special registers first). Reads
        (get_regs, synced_state) see them from now on."""
        regs_to_buffer(regs, self._mm, lib.SO_RUN_SYNC_REGS)
        self.mark_regs_dirty()

    def stage_sregs(self, sregs: Sregs) -> None:
        """KVM_SET_SREGS without the ioctl: the next KVM_RUN loads `sregs` from kvm_run."""
        sregs_to_buffer(sregs, self._mm, lib.SO_RUN_SYNC_SREGS)
        self._set_dirty(self._dirty() | SYNC_SREGS)

    # ------------------------------------------------------ coalesced ring
    def drain_coalesced(self) -> list[CoalescedWrite]:
        """Take every entry of the coalesced MMIO/PIO ring, oldest first."""
        if not self.has_ring:
            return []
        mm = self._mm
        words = self._words
        first_w = (_RING_AT + lib.SO_RING_FIRST) // 4
        last_w = (_RING_AT + lib.SO_RING_LAST) // 4
        first = words[first_w]
        last = words[last_w]
        out = []
        while first != last:
            # first < _RING_MAX, so the entry lies inside the ring page.
            at = _RING_AT + lib.SO_RING_ENTRIES + first * lib.SO_RING_ENTRY_SIZE
            addr, length, pio = _RING_ENTRY.unpack_from(mm, at + _RING_ENTRY_AT)
            d = at + lib.SO_RING_ENTRY_DATA
            out.append(CoalescedWrite(addr, mm[d : d + min(length, 8)], bool(pio)))
            first = (first + 1) % _RING_MAX
            words[first_w] = first
        return out

    # ------------------------------------------------------------ registers
    def _get(self, request: int, name: str, ctype: str):
        c = ffi.new(ctype)
        check(lib.so_ioctl(self.fd, request, c), name)
        return c

    def get_regs(self) -> Regs:
        """KVM_GET_REGS (registers staged in kvm_run for the next run, if any)."""
        if self._dirty() & SYNC_REGS:
            return Regs(*self._sync)
        return regs_from_c(self._get(lib.KVM_GET_REGS, "KVM_GET_REGS", "struct kvm_regs *"))

    def set_regs(self, regs: Regs) -> None:
        """KVM_SET_REGS (replaces registers staged in kvm_run)."""
        self._synced_fresh = False
        self._set_dirty(self._dirty() & ~SYNC_REGS)
        check(lib.so_ioctl(self.fd, lib.KVM_SET_REGS, regs_to_c(regs)), "KVM_SET_REGS")

    def get_sregs(self) -> Sregs:
        """KVM_GET_SREGS (special registers staged in kvm_run for the next run, if any)."""
        if self._dirty() & SYNC_SREGS:
            return sregs_from_buffer(self._mm, lib.SO_RUN_SYNC_SREGS)
        return sregs_from_c(self._get(lib.KVM_GET_SREGS, "KVM_GET_SREGS", "struct kvm_sregs *"))

    def set_sregs(self, sregs: Sregs) -> None:
        """KVM_SET_SREGS (replaces special registers staged in kvm_run)."""
        self._synced_fresh = False
        self._set_dirty(self._dirty() & ~SYNC_SREGS)
        check(lib.so_ioctl(self.fd, lib.KVM_SET_SREGS, sregs_to_c(sregs)), "KVM_SET_SREGS")

    def get_fpu(self) -> Fpu:
        """KVM_GET_FPU."""
        return fpu_from_c(self._get(lib.KVM_GET_FPU, "KVM_GET_FPU", "struct kvm_fpu *"))

    def set_fpu(self, fpu: Fpu) -> None:
        """KVM_SET_FPU."""
        self._synced_fresh = False
        check(lib.so_ioctl(self.fd, lib.KVM_SET_FPU, fpu_to_c(fpu)), "KVM_SET_FPU")

    def get_xsave(self) -> Xsave:
        """KVM_GET_XSAVE (the 4096-byte legacy-size area)."""
        c = self._get(lib.KVM_GET_XSAVE, "KVM_GET_XSAVE", "struct kvm_xsave *")
        return Xsave(bytes(ffi.buffer(c)))

    def set_xsave(self, xsave: Xsave) -> None:
        """KVM_SET_XSAVE."""
        self._synced_fresh = False
        c = ffi.new("struct kvm_xsave *")
        ffi.buffer(c)[:] = bytes(xsave.raw)
        check(lib.so_ioctl(self.fd, lib.KVM_SET_XSAVE, c), "KVM_SET_XSAVE")

    def get_xcrs(self) -> dict[int, int]:
        """KVM_GET_XCRS -> {xcr index: value}."""
        c = self._get(lib.KVM_GET_XCRS, "KVM_GET_XCRS", "struct kvm_xcrs *")
        return {c.xcrs[i].xcr: c.xcrs[i].value for i in range(c.nr_xcrs)}

    def set_xcrs(self, xcrs: dict[int, int]) -> None:
        """KVM_SET_XCRS."""
        self._synced_fresh = False
        c = ffi.new("struct kvm_xcrs *")
        if len(xcrs) > len(c.xcrs):
            raise ValueError(f"at most {len(c.xcrs)} XCRs")
        c.nr_xcrs = len(xcrs)
        for i, (index, value) in enumerate(sorted(xcrs.items())):
            c.xcrs[i].xcr = index
            c.xcrs[i].value = value
        check(lib.so_ioctl(self.fd, lib.KVM_SET_XCRS, c), "KVM_SET_XCRS")

    def get_msrs(self, indices: Iterable[int]) -> dict[int, int]:
        """KVM_GET_MSRS -> {index: value}; raises naming the first unreadable MSR."""
        idx = list(indices)
        ci = ffi.new("unsigned int[]", idx or [0])
        cv = ffi.new("unsigned long long[]", max(len(idx), 1))
        n = check(lib.so_get_msrs(self.fd, 0, len(idx), ci, cv), "KVM_GET_MSRS")
        if n < len(idx):
            raise KvmError("KVM_GET_MSRS", errno.EINVAL, f"MSR {idx[n]:#x} cannot be read")
        return {i: cv[k] for k, i in enumerate(idx)}

    def set_msrs(self, msrs: dict[int, int]) -> None:
        """KVM_SET_MSRS; raises naming the first MSR the kernel refused."""
        self._synced_fresh = False
        items = list(msrs.items())
        ci = ffi.new("unsigned int[]", [i for i, _ in items] or [0])
        cv = ffi.new("unsigned long long[]", [v for _, v in items] or [0])
        n = check(lib.so_get_msrs(self.fd, 1, len(items), ci, cv), "KVM_SET_MSRS")
        if n < len(items):
            index, value = items[n]
            raise KvmError("KVM_SET_MSRS", errno.EINVAL, f"MSR {index:#x} refused value {value:#x}")

    def set_cpuid(self, entries: list[CpuidEntry]) -> None:
        """KVM_SET_CPUID2."""
        self._synced_fresh = False
        arr = cpuid_to_c(entries)
        n = ffi.new("unsigned int *")
        check(lib.so_cpuid2(self.fd, lib.KVM_SET_CPUID2, len(entries), arr, n), "KVM_SET_CPUID2")

    def get_cpuid(self, max_entries: int = 256) -> list[CpuidEntry]:
        """KVM_GET_CPUID2 (the table set by set_cpuid)."""
        arr = ffi.new("struct kvm_cpuid_entry2[]", max_entries)
        n = ffi.new("unsigned int *")
        check(lib.so_cpuid2(self.fd, lib.KVM_GET_CPUID2, max_entries, arr, n), "KVM_GET_CPUID2")
        return [cpuid_from_c(arr[i]) for i in range(n[0])]

    def get_vcpu_events(self) -> bytes:
        """KVM_GET_VCPU_EVENTS as the raw struct kvm_vcpu_events."""
        buf = ffi.new("unsigned char[]", lib.so_vcpu_events_size())
        check(lib.so_vcpu_events(self.fd, 0, buf, len(buf)), "KVM_GET_VCPU_EVENTS")
        return bytes(ffi.buffer(buf))

    def set_vcpu_events(self, raw: bytes) -> None:
        """KVM_SET_VCPU_EVENTS from a raw struct kvm_vcpu_events."""
        self._synced_fresh = False
        buf = ffi.new("unsigned char[]", bytes(raw))
        check(lib.so_vcpu_events(self.fd, 1, buf, len(buf)), "KVM_SET_VCPU_EVENTS")

    def get_debugregs(self) -> DebugRegs:
        """KVM_GET_DEBUGREGS."""
        c = self._get(lib.KVM_GET_DEBUGREGS, "KVM_GET_DEBUGREGS", "struct kvm_debugregs *")
        return DebugRegs(tuple(c.db), c.dr6, c.dr7, c.flags)

    def set_debugregs(self, regs: DebugRegs) -> None:
        """KVM_SET_DEBUGREGS."""
        self._synced_fresh = False
        c = ffi.new("struct kvm_debugregs *")
        for i, v in enumerate(regs.db):
            c.db[i] = v
        c.dr6, c.dr7, c.flags = regs.dr6, regs.dr7, regs.flags
        check(lib.so_ioctl(self.fd, lib.KVM_SET_DEBUGREGS, c), "KVM_SET_DEBUGREGS")

    def get_one_reg(self, reg_id: int) -> int:
        """KVM_GET_ONE_REG for a 64-bit register (needs KVM_CAP_ONE_REG)."""
        value = ffi.new("unsigned long long *")
        r = ffi.new(
            "struct kvm_one_reg *", {"id": reg_id, "addr": int(ffi.cast("uintptr_t", value))}
        )
        check(lib.so_ioctl(self.fd, lib.KVM_GET_ONE_REG, r), "KVM_GET_ONE_REG")
        return value[0]

    def set_one_reg(self, reg_id: int, value: int) -> None:
        """KVM_SET_ONE_REG for a 64-bit register."""
        self._synced_fresh = False
        v = ffi.new("unsigned long long *", value)
        r = ffi.new("struct kvm_one_reg *", {"id": reg_id, "addr": int(ffi.cast("uintptr_t", v))})
        check(lib.so_ioctl(self.fd, lib.KVM_SET_ONE_REG, r), "KVM_SET_ONE_REG")

    def get_tsc_khz(self) -> int:
        """KVM_GET_TSC_KHZ: the guest TSC frequency."""
        return check(lib.so_ioctl_int(self.fd, lib.KVM_GET_TSC_KHZ, 0), "KVM_GET_TSC_KHZ")

    # ------------------------------------------------------------ events
    def interrupt(self, vector: int) -> None:
        """KVM_INTERRUPT: queue an external interrupt (userspace irqchip only)."""
        self._synced_fresh = False
        check(lib.so_interrupt(self.fd, vector), "KVM_INTERRUPT")

    def nmi(self) -> None:
        """KVM_NMI."""
        self._synced_fresh = False
        check(lib.so_ioctl_int(self.fd, lib.KVM_NMI, 0), "KVM_NMI")

    def set_signal_mask(self, blocked: Iterable[int] | None) -> None:
        """KVM_SET_SIGNAL_MASK: the signals blocked while inside KVM_RUN
        (None removes the special mask)."""
        if blocked is None:
            check(lib.so_set_signal_mask(self.fd, 0, 1), "KVM_SET_SIGNAL_MASK")
            return
        mask = 0
        for sig in blocked:
            mask |= 1 << (int(sig) - 1)
        check(lib.so_set_signal_mask(self.fd, mask, 0), "KVM_SET_SIGNAL_MASK")

    def set_guest_debug(
        self,
        enable: bool = True,
        single_step: bool = False,
        sw_breakpoints: bool = False,
        hw_breakpoints: bool = False,
        debugreg: tuple[int, ...] = (0,) * 8,
    ) -> None:
        """KVM_SET_GUEST_DEBUG (debugreg: DR0-3, 4 and 5 unused, DR6, DR7)."""
        self._synced_fresh = False
        control = 0
        if enable:
            control |= GUESTDBG_ENABLE
            if single_step:
                control |= GUESTDBG_SINGLESTEP
            if sw_breakpoints:
                control |= GUESTDBG_USE_SW_BP
            if hw_breakpoints:
                control |= GUESTDBG_USE_HW_BP
        regs = ffi.new("unsigned long long[8]", list(debugreg)[:8] + [0] * (8 - len(debugreg)))
        check(lib.so_guest_debug(self.fd, control, regs), "KVM_SET_GUEST_DEBUG")


_EXIT_IO = lib.KVM_EXIT_IO
_new = tuple.__new__
_EXIT_MMIO = lib.KVM_EXIT_MMIO
