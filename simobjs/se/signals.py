"""Linux signals for SE processes: numbers, default actions, the handler table, and
the x86-64 `rt_sigframe` a handler runs on (built on the program's stack, read
back by rt_sigreturn), as arch/x86/kernel/signal.c lays it out.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from simobjs.arch.x86.state import X86State

NSIG = 64
SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE = 1, 2, 3, 4, 5, 6, 7, 8
SIGKILL, SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM = 9, 10, 11, 12, 13, 14, 15
SIGSTKFLT, SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU = 16, 17, 18, 19, 20, 21, 22
SIGURG, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPWR, SIGSYS = (
    23,
    24,
    25,
    26,
    27,
    28,
    29,
    30,
    31,
)

SIG_DFL, SIG_IGN = 0, 1
SA_NOCLDSTOP, SA_NOCLDWAIT, SA_SIGINFO = 1, 2, 4
SA_RESTORER, SA_ONSTACK, SA_RESTART = 0x04000000, 0x08000000, 0x10000000
SA_NODEFER, SA_RESETHAND = 0x40000000, 0x80000000
SS_ONSTACK, SS_DISABLE = 1, 2
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2

SI_USER, SI_KERNEL, SI_TKILL = 0, 0x80, -6
SEGV_MAPERR, SEGV_ACCERR, ILL_ILLOPN, FPE_INTDIV, TRAP_BRKPT = 1, 2, 2, 1, 1
CLD_EXITED, CLD_KILLED = 1, 2

CORE = frozenset(
    {SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS}
)
IGNORE = frozenset({SIGCHLD, SIGCONT, SIGURG, SIGWINCH})
STOP = frozenset({SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU})
UNBLOCKABLE = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))
NAMES = {
    1: "SIGHUP",
    2: "SIGINT",
    3: "SIGQUIT",
    4: "SIGILL",
    5: "SIGTRAP",
    6: "SIGABRT",
    7: "SIGBUS",
    8: "SIGFPE",
    9: "SIGKILL",
    10: "SIGUSR1",
    11: "SIGSEGV",
    12: "SIGUSR2",
    13: "SIGPIPE",
    14: "SIGALRM",
    15: "SIGTERM",
    16: "SIGSTKFLT",
    17: "SIGCHLD",
    18: "SIGCONT",
    19: "SIGSTOP",
    20: "SIGTSTP",
    21: "SIGTTIN",
    22: "SIGTTOU",
    23: "SIGURG",
    24: "SIGXCPU",
    25: "SIGXFSZ",
    26: "SIGVTALRM",
    27: "SIGPROF",
    28: "SIGWINCH",
    29: "SIGIO",
    30: "SIGPWR",
    31: "SIGSYS",
}


def bit(sig: int) -> int:
    return 1 << (sig - 1)


def name(sig: int) -> str:
    return NAMES.get(sig, f"SIGRT{sig - 32}" if sig > 31 else f"signal {sig}")


def lowest(mask: int) -> int:
    """The lowest signal number in `mask` (0 if none): Linux delivers the lowest first."""
    return (mask & -mask).bit_length()


@dataclass
class SigAction:
    handler: int = SIG_DFL
    flags: int = 0
    restorer: int = 0
    mask: int = 0

    _LAYOUT = struct.Struct("<QQQQ")  # the kernel's struct sigaction on x86-64

    def pack(self) -> bytes:
        return self._LAYOUT.pack(self.handler, self.flags, self.restorer, self.mask)

    @classmethod
    def unpack(cls, raw: bytes) -> SigAction:
        return cls(*cls._LAYOUT.unpack(raw))


def default_action(sig: int) -> str:
    """term, core, ignore or stop."""
    if sig in IGNORE:
        return "ignore"
    if sig in STOP:
        return "stop"
    return "core" if sig in CORE else "term"


def siginfo(
    sig: int,
    code: int = SI_USER,
    pid: int = 0,
    uid: int = 0,
    addr: int | None = None,
    status: int | None = None,
) -> bytes:
    """A 128-byte siginfo_t."""
    raw = bytearray(128)
    struct.pack_into("<iii", raw, 0, sig, 0, code)
    if addr is not None:
        struct.pack_into("<Q", raw, 16, addr)
    else:
        struct.pack_into("<iI", raw, 16, pid, uid)
        if status is not None:
            struct.pack_into("<i", raw, 24, status)
    return bytes(raw)


# -- the frame ----------------------------------------------------------------------------
_SC_GPRS = (
    "r8",
    "r9",
    "r10",
    "r11",
    "r12",
    "r13",
    "r14",
    "r15",
    "rdi",
    "rsi",
    "rbp",
    "rbx",
    "rdx",
    "rax",
    "rcx",
    "rsp",
)
FRAME_SIZE = 8 + 304 + 128  # pretcode, ucontext, siginfo
UC_AT, MCONTEXT_AT, INFO_AT = 8, 48, 8 + 304  # uc_sigmask is at MCONTEXT_AT + 256
FPSTATE_SIZE = 512
REDZONE = 128
UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS = 2, 4
_RESTORE_FLAGS = 0x40DD5  # AC OF DF TF SF ZF AF PF CF RF (what sigreturn takes back)


@dataclass
class Frame:
    """Where a handler frame went and the registers the handler starts with."""

    address: int
    data: bytes
    fp_address: int
    fp_data: bytes


def build_frame(
    st: X86State,
    sig: int,
    action: SigAction,
    info: bytes,
    old_mask: int,
    sp: int,
    altstack: tuple[int, int, int],
) -> Frame:
    """The rt_sigframe for delivering `sig` to a thread in state `st` (user mode), with
    the stack pointer to build it below (`sp`: RSP, or the top of the alternate stack)."""
    fp_at = ((sp - REDZONE if sp == st.reg("rsp") else sp) - FPSTATE_SIZE) & ~63
    frame_at = ((fp_at - FRAME_SIZE) & ~15) - 8
    raw = bytearray(FRAME_SIZE)
    struct.pack_into("<Q", raw, 0, action.restorer)
    struct.pack_into("<QQ", raw, UC_AT, UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS, 0)
    ss_sp, ss_flags, ss_size = altstack
    struct.pack_into("<QiiQ", raw, UC_AT + 16, ss_sp, ss_flags, 0, ss_size)
    regs = [st.reg(n) for n in _SC_GPRS] + [st.rip, st.rflags]
    struct.pack_into("<18Q", raw, MCONTEXT_AT, *regs)
    struct.pack_into(
        "<HHHH",
        raw,
        MCONTEXT_AT + 144,
        st.seg["cs"].selector,
        st.seg["gs"].selector,
        st.seg["fs"].selector,
        st.seg["ss"].selector,
    )
    struct.pack_into("<QQQQQ", raw, MCONTEXT_AT + 152, 0, 0, old_mask, st.cr2, fp_at)
    struct.pack_into("<Q", raw, MCONTEXT_AT + 256, old_mask)  # uc_sigmask
    raw[INFO_AT : INFO_AT + 128] = info
    return Frame(frame_at, bytes(raw), fp_at, bytes(st.to_fxsave()))


def enter_handler(st: X86State, frame: Frame, sig: int, action: SigAction) -> None:
    """Registers at the handler's first instruction."""
    st.set_reg("rsp", frame.address)
    st.set_reg("rdi", sig)
    st.set_reg("rsi", frame.address + INFO_AT)
    st.set_reg("rdx", frame.address + UC_AT)
    st.set_reg("rax", 0)
    st.rip = action.handler
    st.rflags &= ~((1 << 8) | (1 << 10) | (1 << 16))  # TF DF RF


def restore_frame(st: X86State, frame_at: int, raw: bytes, fp: bytes | None) -> int:
    """Registers back from a frame (rt_sigreturn); returns the signal mask to restore."""
    regs = struct.unpack_from("<18Q", raw, MCONTEXT_AT)
    for n, v in zip(_SC_GPRS, regs[:16], strict=True):
        st.set_reg(n, v)
    st.rip = regs[16]
    st.rflags = (st.rflags & ~_RESTORE_FLAGS) | (regs[17] & _RESTORE_FLAGS) | 2
    if fp is not None:
        st.load_fxsave(fp)
    return struct.unpack_from("<Q", raw, MCONTEXT_AT + 256)[0]
