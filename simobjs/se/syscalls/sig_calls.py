"""Signal system calls: handlers, masks, rt_sigreturn, waiting, sending."""

from __future__ import annotations

import errno
import struct

from simobjs.se import signals as S
from simobjs.se.files import Block
from simobjs.se.mm import EFault, SysError
from simobjs.se.syscalls import NORETURN, syscall


def _sig_ok(sig: int) -> None:
    if not 1 <= sig <= S.NSIG:
        raise SysError(errno.EINVAL)


@syscall("rt_sigaction")
def sys_rt_sigaction(k, task, sig, act, oact, size, *_):
    _sig_ok(sig)
    if size != 8:
        raise SysError(errno.EINVAL)
    proc = task.proc
    mm = proc.mm
    old = proc.action(sig)
    new = None
    if act:
        if sig in (S.SIGKILL, S.SIGSTOP):
            raise SysError(errno.EINVAL)
        new = S.SigAction.unpack(mm.read(act, 32))
        new.mask &= ~S.UNBLOCKABLE
    if oact:
        mm.write(oact, old.pack())
    if new is not None:
        proc.actions[sig - 1] = new
        if new.handler == S.SIG_IGN or (
            new.handler == S.SIG_DFL and S.default_action(sig) == "ignore"
        ):  # pending ones are dropped
            proc.pending &= ~S.bit(sig)
            for t in proc.tasks:
                t.pending &= ~S.bit(sig)
    return 0


@syscall("rt_sigprocmask")
def sys_rt_sigprocmask(k, task, how, set_ptr, oset_ptr, size, *_):
    if size != 8:
        raise SysError(errno.EINVAL)
    mm = task.proc.mm
    old = task.sigmask
    if set_ptr:
        new = mm.read_u64(set_ptr)
        if how == S.SIG_BLOCK:
            task.sigmask |= new
        elif how == S.SIG_UNBLOCK:
            task.sigmask &= ~new
        elif how == S.SIG_SETMASK:
            task.sigmask = new
        else:
            raise SysError(errno.EINVAL)
        task.sigmask &= ~S.UNBLOCKABLE
    if oset_ptr:
        mm.write_u64(oset_ptr, old)
    return 0


@syscall("rt_sigreturn")
def sys_rt_sigreturn(k, task, *_):
    th = k.thread(task.context)
    st = th.user_state()
    frame = st.reg("rsp") - 8
    mm = task.proc.mm
    try:
        raw = mm.read(frame, S.FRAME_SIZE)
        fp_at = struct.unpack_from("<Q", raw, S.MCONTEXT_AT + 192)[0]
        fp = mm.read(fp_at, S.FPSTATE_SIZE) if fp_at else None
    except EFault:
        from simobjs.se import lifecycle

        lifecycle.kill_process(k, task.proc, S.SIGSEGV)
        return NORETURN
    task.sigmask = S.restore_frame(st, frame, raw, fp) & ~S.UNBLOCKABLE
    th.set_user_state(st)
    return NORETURN


@syscall("rt_sigpending")
def sys_rt_sigpending(k, task, set_ptr, size, *_):
    task.proc.mm.write_u64(set_ptr, (task.pending | task.proc.pending) & task.sigmask)
    return 0


@syscall("rt_sigsuspend")
def sys_rt_sigsuspend(k, task, mask_ptr, size, *_):
    if size != 8:
        raise SysError(errno.EINVAL)
    if task.saved_mask is None:
        task.saved_mask = task.sigmask
    task.sigmask = task.proc.mm.read_u64(mask_ptr) & ~S.UNBLOCKABLE
    raise Block(("pause", task.tid))


@syscall("pause")
def sys_pause(k, task, *_):
    raise Block(("pause", task.tid))


@syscall("sigaltstack")
def sys_sigaltstack(k, task, ss, oss, *_):
    mm = task.proc.mm
    if oss:
        sp, flags, size = task.altstack
        mm.write(oss, struct.pack("<QiiQ", sp, flags, 0, size))
    if ss:
        sp, flags, _pad, size = struct.unpack("<QiiQ", mm.read(ss, 24))
        if flags & S.SS_DISABLE:
            task.altstack = (0, S.SS_DISABLE, 0)
        else:
            if size < 2048:
                raise SysError(errno.ENOMEM)
            task.altstack = (sp, 0, size)
    return 0


def _targets(k, task, pid: int) -> list:
    if pid > 0:
        proc = k.procs.get(pid)
        return [proc] if proc is not None and proc.alive else []
    live = [p for p in k.procs.values() if p.alive]
    if pid == 0:
        return [p for p in live if p.pgid == task.proc.pgid]
    if pid == -1:
        return live
    return [p for p in live if p.pgid == -pid]


@syscall("kill")
def sys_kill(k, task, pid, sig, *_):
    pid = pid - (1 << 64) if pid >> 63 else pid
    pid = pid if -(1 << 31) <= pid < 1 << 31 else ((pid & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000
    if sig and not 1 <= sig <= S.NSIG:
        raise SysError(errno.EINVAL)
    targets = _targets(k, task, pid)
    if not targets:
        raise SysError(errno.ESRCH)
    for proc in targets:
        k.send_signal(proc, sig, S.siginfo(sig, S.SI_USER, task.proc.pid, task.proc.uid))
    return 0


@syscall("tgkill")
def sys_tgkill(k, task, tgid, tid, sig, *_):
    t = k.tasks.get(tid)
    if t is None or (tgid and t.proc.pid != tgid):
        raise SysError(errno.ESRCH)
    if sig and not 1 <= sig <= S.NSIG:
        raise SysError(errno.EINVAL)
    k.send_signal(t, sig, S.siginfo(sig, S.SI_TKILL, task.proc.pid, task.proc.uid))
    return 0


@syscall("tkill")
def sys_tkill(k, task, tid, sig, *_):
    return sys_tgkill(k, task, 0, tid, sig)
