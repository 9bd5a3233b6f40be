"""The system-call entry page of SE mode (source and slot layout: stub.S).

A system call enters the page at the trampoline of its hardware context (IA32_LSTAR
of that context). Where a host thread serves calls while the vCPU runs
(simobjs.se.inrun), the call is posted in the context's slot of this page and
served without leaving the guest; otherwise, and whenever the host withdraws it, it
leaves through `slow` (OUT to SYSCALL_PORT), the exit every CPU understands.

A vCPU stopped inside the page (a timer, a drain) is brought back to a plain state
by `finish_in_host` before anything else looks at it: to the program after its
SYSCALL if the call was served, or back to the SYSCALL instruction if it was not,
so that switches, checkpoints, signal delivery and thread moves never see a thread
half way through the stub.
"""

from __future__ import annotations

import struct

from simobjs.errors import SimulationError

PAGE = 4096
# offsets in the page (labels of stub.S)
SLOW, SYSRET = 0x00, 0x02
COMMON, OFF_JMP, POST = 0x10, 0x1E, 0x3B
WITHDRAWN_JMP, ON_SLOT_STACK, OFF_SLOT_STACK = 0x9F, 0xBE, 0xC9
RETURN3, RETURN0, CODE_END = 0xCD, 0xD7, 0xDA
TRAMPOLINES, TRAMPOLINE_SIZE = 0x200, 24
SLOTS, SLOT_SIZE = 0x800, 64
SPIN_BOUND = 0xF80
TIMEOUTS = 0xF88  # calls the stub withdrew itself (the host thread came too late)
CONTEXTS = (SPIN_BOUND - SLOTS) // SLOT_SIZE  # contexts with a slot (30)

# slot states (stub.S)
IDLE, POSTED, CLAIMED, DONE, WITHDRAWN = 0, 1, 2, 3, 4

# as stub.S assembles (tests/se/test_stub.py compares)
CODE = bytes.fromhex(
    "e65e480f07000000000000000000000048833d680f0000007506488b4008ebe04889781048897018"
    "488950204c8950284c8940304c8948384889c748c707010000000f3148c1e2204809c2488b352e0f"
    "00004801d6f3908b0783f803744683f804742c83f80175ed0f3148c1e2204809c24839f272dfb801"
    "000000ba04000000f0480fb11775cef048ff05f90e0000488b4708488b7718488b5720488b7f10e9"
    "5cffffff8ccef7c603000000488b4708488b57207419488b771848896730488d673041539d488b24"
    "24488b7f10ffe1488b7718488b7f10480f07"
)
_SLOT = struct.Struct("<8Q")  # state, nr, rdi, rsi, rdx, r10, r8, r9


def trampoline(k: int) -> int:
    """Offset of context k's entry (its IA32_LSTAR is the page's address plus this)."""
    return TRAMPOLINES + TRAMPOLINE_SIZE * k


def slot(k: int) -> int:
    return SLOTS + SLOT_SIZE * k


def _trampoline_code(k: int) -> bytes:
    """mov %rax, slot_k.nr(%rip); lea slot_k(%rip), %rax; jmp common."""
    at = trampoline(k)
    nr = slot(k) + 8 - (at + 7)
    base = slot(k) - (at + 14)
    to_common = COMMON - (at + 19)
    return (
        b"\x48\x89\x05"
        + struct.pack("<i", nr)
        + b"\x48\x8d\x05"
        + struct.pack("<i", base)
        + b"\xe9"
        + struct.pack("<i", to_common)
    )


def page() -> bytes:
    """The page's initial bytes: code, trampolines, idle slots, spin bound 0 (off)."""
    out = bytearray(PAGE)
    out[: len(CODE)] = CODE
    for k in range(CONTEXTS):
        code = _trampoline_code(k)
        out[trampoline(k) : trampoline(k) + len(code)] = code
    return bytes(out)


def read_slot(page_bytes, k: int) -> tuple[int, ...]:
    return _SLOT.unpack_from(page_bytes, slot(k))


def inside(rip: int, page_va: int) -> bool:
    """Is `rip` in the stub's own code (not at the slow OUT or its SYSRETQ)?"""
    off = rip - page_va
    return COMMON <= off < CODE_END or TRAMPOLINES <= off < trampoline(CONTEXTS)


def finish_in_host(regs, page_va: int, page_bytes, set_state, ring3: bool) -> None:
    """Bring the registers of a thread stopped inside the stub (attributes rax, rdi,
    rsi, rdx, rcx, r11, rsp, rip, rflags: kvm.Regs) to a plain state (see the module
    text). `page_bytes` is the page's content, `set_state(k, value)` writes slot k's
    state (a call still posted is withdrawn here). `ring3`: the stub runs in ring 3
    (PVM); in ring 0 the thread is left at the slow exit's OUT (call not made) or its
    SYSRETQ (call made) instead, where the exit path and `layout.to_user_mode` know it."""
    off = regs.rip - page_va

    def slot_at(va: int) -> int:
        k, rest = divmod(va - page_va - SLOTS, SLOT_SIZE)
        if rest or not 0 <= k < CONTEXTS:
            raise SimulationError(
                f"SE: a thread stopped in the system-call stub at {regs.rip:#x} "
                f"with a bad slot pointer {va:#x}"
            )
        return k

    def back_to_syscall(nr: int, args: tuple | None = None) -> None:
        regs.rax = nr
        if args is not None:
            regs.rdi, regs.rsi, regs.rdx = args
        if ring3:
            regs.rip = regs.rcx - 2
            regs.rflags = (regs.r11 & 0x3C7FD7) | 2
        else:
            regs.rip = page_va + SLOW

    def to_program() -> None:
        if ring3:
            regs.rip = regs.rcx
            regs.rflags = (regs.r11 & 0x3C7FD7) | 2
        else:
            regs.rip = page_va + SYSRET

    if TRAMPOLINES <= off < trampoline(CONTEXTS):
        k, at = divmod(off - TRAMPOLINES, TRAMPOLINE_SIZE)
        return back_to_syscall(regs.rax if at < 14 else read_slot(page_bytes, k)[1])
    if off == OFF_JMP or off == WITHDRAWN_JMP:  # every register is the program's again
        return back_to_syscall(regs.rax)
    if off in (RETURN3, RETURN0):
        return to_program()
    if COMMON <= off <= POST:  # not posted yet: RAX holds the slot (RDI too at POST)
        fields = read_slot(page_bytes, slot_at(regs.rax))
        if off == POST:
            regs.rdi = fields[2]
        return back_to_syscall(fields[1])
    k = slot_at(regs.rdi)
    state, nr_or_ret, rdi, rsi, rdx, _r10, saved_rsp, _r9 = read_slot(page_bytes, k)
    if state == POSTED:
        set_state(k, WITHDRAWN)
        state = WITHDRAWN
    if state == WITHDRAWN:
        return back_to_syscall(nr_or_ret, (rdi, rsi, rdx))
    if state != DONE:
        raise SimulationError(
            f"SE: a thread stopped in the system-call stub at {regs.rip:#x} while the "
            f"host still serves its call (slot {k} state {state})"
        )
    if ON_SLOT_STACK < off < OFF_SLOT_STACK:  # RSP points into the slot
        regs.rsp = saved_rsp
    regs.rax, regs.rdi, regs.rsi, regs.rdx = nr_or_ret, rdi, rsi, rdx
    return to_program()
