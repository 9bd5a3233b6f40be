"""Guest faults of SE programs, as a kernel's trap handlers do: a page fault the
address space can satisfy (demand paging, stack growth) resumes the program; any
other fault becomes a signal (SIGSEGV, SIGILL, SIGFPE, SIGTRAP, SIGBUS), forced
as Linux forces it (unblocked; a default action kills). An invalid-opcode fault on
gem5's m5op instruction (0f 04 <func:16>) performs the m5op instead, so that form
works on every CPU.

Both CPUs reach this through the guest IDT and a ring-0 stub that pushes the
vector and leaves through FAULT_PORT (`layout.fault_stub`); the program's state
is in the frame on the context's fault stack.
"""

from __future__ import annotations

from simobjs.errors import SimulationError
from simobjs.se import layout as L
from simobjs.se import signals as S
from simobjs.se.mm import EFault

PF, UD, DE, BP, DB, GP, SS_, NP, TS, MF, XM, AC = 14, 6, 0, 3, 1, 13, 12, 11, 10, 16, 19, 17
M5OP_OPCODE = b"\x0f\x04"


def _signal_of(vector: int, error: int, rip: int, cr2: int) -> tuple[int, bytes]:
    if vector == PF:
        code = S.SEGV_ACCERR if error & 1 else S.SEGV_MAPERR
        return S.SIGSEGV, S.siginfo(S.SIGSEGV, code, addr=cr2)
    if vector == UD:
        return S.SIGILL, S.siginfo(S.SIGILL, S.ILL_ILLOPN, addr=rip)
    if vector == DE:
        return S.SIGFPE, S.siginfo(S.SIGFPE, S.FPE_INTDIV, addr=rip)
    if vector in (MF, XM):
        return S.SIGFPE, S.siginfo(S.SIGFPE, 0, addr=rip)
    if vector in (BP, DB):
        return S.SIGTRAP, S.siginfo(S.SIGTRAP, S.TRAP_BRKPT if vector == BP else 0, addr=rip)
    if vector == AC:
        return S.SIGBUS, S.siginfo(S.SIGBUS, 1, addr=rip)
    return S.SIGSEGV, S.siginfo(S.SIGSEGV, S.SI_KERNEL)


def handle(k, th) -> None:
    ctx = th.context
    task = k.current.get(ctx)
    vector, error, rip, cs, rflags, rsp, _ss = th.fault_frame()
    if task is None or cs & 3 != 3:
        raise SimulationError(
            f"SE: fault (vector {vector}, error {error:#x}) at {rip:#x} outside user mode",
            th.cpu.name(),
            rip,
        )
    st = th.user_state()
    cr2 = st.cr2
    st.rip, st.rflags = rip, rflags
    st.set_reg("rsp", rsp)
    L.set_user_segments(st)
    mm = task.proc.mm
    if vector == PF and mm.fault(cr2, bool(error & 2), bool(error & 0x10)):
        th.set_user_state(st)
        _flush(k)
        return
    if vector == UD and _m5op(k, th, task, st):
        return
    if vector == UD and getattr(th, "lacks_avx", False):
        _avx_hint(k, task, rip)
    sig, info = _signal_of(vector, error, rip, cr2)
    th.set_user_state(st)
    _force(k, task, sig, info)
    k.after_call(ctx)
    _flush(k)


def _flush(k) -> None:
    if k.dirty.tlb or k.dirty.code:
        k.flush_translations()


def _force(k, task, sig: int, info: bytes) -> None:
    """A synchronous fault's signal: blocked or ignored, it still kills (force_sig)."""
    act = task.proc.action(sig)
    if task.sigmask & S.bit(sig) or act.handler == S.SIG_IGN:
        task.sigmask &= ~S.bit(sig)
        task.proc.actions[sig - 1] = S.SigAction()
    task.pending |= S.bit(sig)
    task.pending_info[sig] = info


def _avx_hint(k, task, rip: int) -> None:
    """A VEX/EVEX instruction on the reference CPU: say why, once."""
    try:
        code = task.proc.mm.read(rip, 4)
    except EFault:
        return
    i = 0
    while i < 3 and code[i] in (0x66, 0xF2, 0xF3, 0x2E, 0x3E, 0x26, 0x64, 0x65, 0x36):
        i += 1
    if code[i] in (0xC4, 0xC5, 0x62):
        k._warn_once(
            "avx",
            f"SE: {task.proc.exe_guest} executed an AVX instruction at {rip:#x}, "
            "which the reference CPU lacks: glibc picked it on KVM, where this host "
            "shows its own CPUID, because the program started without the "
            "GLIBC_TUNABLES hwcaps simobjs sets on KVM (a checkpoint of an older "
            "simobjs, or a glibc.cpu.hwcaps of your own). Take the checkpoint again, "
            "or restore onto X86KvmCPU (see the guide, SE mode)",
        )


def _m5op(k, th, task, st) -> bool:
    """gem5's m5op instruction (0f 04 <func:16>) at RIP: perform it, go on after it."""
    try:
        code = task.proc.mm.read(st.rip, 4)
    except EFault:
        return False
    if code[:2] != M5OP_OPCODE:
        return False
    from simobjs.sim.pseudo_inst import pseudo_inst

    func = int.from_bytes(code[2:4], "little") & 0xFF
    result = pseudo_inst(th.tc, func)  # its arguments are in the registers still
    st.rip += 4
    if result is not None:
        st.set_reg("rax", int(result))
    th.set_user_state(st)
    return True
