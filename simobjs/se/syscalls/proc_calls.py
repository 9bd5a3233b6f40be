"""Processes and threads: ids, clone/fork/execve/exit/wait, futexes, scheduling,
thread-local storage, resource limits, prctl."""

from __future__ import annotations

import errno
import struct

from simobjs.se import lifecycle
from simobjs.se.files import Block
from simobjs.se.mm import SysError
from simobjs.se.syscalls import syscall

ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS = 0x1001, 0x1002, 0x1003, 0x1004
RLIM_INFINITY = (1 << 64) - 1
RLIMIT_STACK, RLIMIT_CORE, RLIMIT_NOFILE = 3, 4, 7
DEFAULT_RLIMITS = {
    RLIMIT_STACK: (8 << 20, RLIM_INFINITY),
    RLIMIT_CORE: (0, RLIM_INFINITY),
    RLIMIT_NOFILE: (1024, 1024),
    6: (4096, 4096),
    8: (8 << 20, 8 << 20),
}
SIGCHLD = 17


@syscall("getpid")
def sys_getpid(k, task, *_):
    return task.proc.pid


@syscall("gettid")
def sys_gettid(k, task, *_):
    return task.tid


@syscall("getppid")
def sys_getppid(k, task, *_):
    return task.proc.ppid


@syscall("getuid")
def sys_getuid(k, task, *_):
    return task.proc.uid


@syscall("geteuid")
def sys_geteuid(k, task, *_):
    return task.proc.euid


@syscall("getgid")
def sys_getgid(k, task, *_):
    return task.proc.gid


@syscall("getegid")
def sys_getegid(k, task, *_):
    return task.proc.egid


@syscall("getresuid", "getresgid")
def sys_getres(k, task, a, b, c, *_):
    p = task.proc
    ids = (p.uid, p.euid, p.uid) if a else (p.gid, p.egid, p.gid)
    for ptr, v in zip((a, b, c), ids, strict=True):
        p.mm.write(ptr, struct.pack("<I", v))
    return 0


@syscall(
    "setuid",
    "setgid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
    "setfsuid",
    "setfsgid",
    "setgroups",
)
def sys_setids(k, task, *_):
    return 0  # the ids are the Process params'; changing them is accepted and ignored


@syscall("getgroups")
def sys_getgroups(k, task, size, ptr, *_):
    if size:
        task.proc.mm.write(ptr, struct.pack("<I", task.proc.gid))
    return 1


@syscall("getpgrp")
def sys_getpgrp(k, task, *_):
    return task.proc.pgid


@syscall("getpgid")
def sys_getpgid(k, task, pid, *_):
    proc = task.proc if not pid else k.procs.get(pid)
    if proc is None:
        raise SysError(errno.ESRCH)
    return proc.pgid


@syscall("setpgid")
def sys_setpgid(k, task, pid, pgid, *_):
    proc = task.proc if not pid else k.procs.get(pid)
    if proc is None:
        raise SysError(errno.ESRCH)
    proc.pgid = pgid or proc.pid
    return 0


@syscall("getsid")
def sys_getsid(k, task, pid, *_):
    proc = task.proc if not pid else k.procs.get(pid)
    if proc is None:
        raise SysError(errno.ESRCH)
    return proc.sid


@syscall("setsid")
def sys_setsid(k, task, *_):
    p = task.proc
    p.sid = p.pgid = p.pid
    return p.pid


@syscall("clone")
def sys_clone(k, task, flags, stack, ptid, ctid, tls, *_):
    return lifecycle.clone(k, task, k.thread(task.context), flags, stack, ptid, ctid, tls)


@syscall("fork", "vfork")
def sys_fork(k, task, *_):
    return lifecycle.clone(k, task, k.thread(task.context), SIGCHLD, 0, 0, 0, 0)


@syscall("execve")
def sys_execve(k, task, path, argv, envp, *_):
    return lifecycle.execve(k, task, k.thread(task.context), path, argv, envp)


@syscall("exit")
def sys_exit(k, task, code, *_):
    return lifecycle.exit_thread(k, task, code)


@syscall("exit_group")
def sys_exit_group(k, task, code, *_):
    return lifecycle.exit_group(k, task.proc, (code & 0xFF) << 8)


@syscall("wait4")
def sys_wait4(k, task, pid, status, options, rusage, *_):
    return lifecycle.wait4(k, task, _s32(pid), status, options, rusage)


@syscall("waitid")
def sys_waitid(k, task, idtype, id_, infop, options, *_):
    pid = {0: -1, 1: id_, 2: -id_ if id_ else 0}.get(idtype)
    if pid is None:
        raise SysError(errno.EINVAL)
    wnohang = options & 1
    mm = task.proc.mm
    proc = task.proc
    for child in [c for c in proc.children if lifecycle._matches(c, pid, proc)]:
        if not child.alive:
            st = child.exit_status
            if infop:
                from simobjs.se import signals as S

                code = S.CLD_KILLED if st & 0x7F else S.CLD_EXITED
                value = st & 0x7F if st & 0x7F else (st >> 8) & 0xFF
                mm.write(infop, S.siginfo(SIGCHLD, code, child.pid, child.uid, status=value))
            if not options & 0x1000000:  # WNOWAIT
                proc.children.remove(child)
                k.procs.pop(child.pid, None)
            return 0
    if not any(lifecycle._matches(c, pid, proc) for c in proc.children):
        raise SysError(errno.ECHILD)
    if wnohang:
        if infop:
            mm.write(infop, bytes(128))
        return 0
    raise Block(("child", proc.pid))


def _s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v >> 31 else v


@syscall("set_tid_address")
def sys_set_tid_address(k, task, ptr, *_):
    task.clear_child_tid = ptr
    return task.tid


@syscall("set_robust_list")
def sys_set_robust_list(k, task, head, length, *_):
    task.robust_list = (head, length)
    return 0


@syscall("get_robust_list")
def sys_get_robust_list(k, task, pid, head_ptr, len_ptr, *_):
    mm = task.proc.mm
    mm.write_u64(head_ptr, task.robust_list[0])
    mm.write_u64(len_ptr, task.robust_list[1])
    return 0


@syscall("arch_prctl")
def sys_arch_prctl(k, task, code, addr, *_):
    th = k.thread(task.context)
    if code in (ARCH_SET_FS, ARCH_SET_GS):
        if addr >= 1 << 47:
            raise SysError(errno.EPERM)
        th.set_segment_base("fs" if code == ARCH_SET_FS else "gs", addr)
        return 0
    if code in (ARCH_GET_FS, ARCH_GET_GS):
        base = th.user_state().seg["fs" if code == ARCH_GET_FS else "gs"].base
        task.proc.mm.write_u64(addr, base)
        return 0
    raise SysError(errno.EINVAL)


# -- futexes ----------------------------------------------------------------------------------
FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP = 0, 1, 3, 4, 5
FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 9, 10


def futex_key(task, uaddr: int) -> tuple:
    """Waiters meet at the physical address: private and shared futexes alike."""
    if uaddr & 3:
        raise SysError(errno.EINVAL)
    mm = task.proc.mm
    frame = mm._frame(uaddr >> 12, False)
    return ("futex", (frame << 12) | (uaddr & 0xFFF))


@syscall("futex")
def sys_futex(k, task, uaddr, op, val, timeout, uaddr2, val3):
    cmd = op & 0x7F
    mm = task.proc.mm
    if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
        if task.deadline and k.now() >= task.deadline:
            k.clear_deadline(task)
            return -errno.ETIMEDOUT
        if task.woken:
            k.clear_deadline(task)
            return 0
        key = futex_key(task, uaddr)
        if struct.unpack("<I", mm.read(uaddr, 4))[0] != val & 0xFFFFFFFF:
            return -errno.EAGAIN
        if timeout and not task.deadline:
            sec, nsec = struct.unpack("<qq", mm.read(timeout, 16))
            ns = sec * 10**9 + nsec
            if cmd == FUTEX_WAIT_BITSET:  # an absolute time
                ns -= k.realtime_ns() if op & 256 else k.now_ns()
            deadline = k.now() + k.ns_to_ticks(max(ns, 0))
            k.sleep_until(task, deadline, key)
        raise Block(key)
    if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
        return k.wake(futex_key(task, uaddr), val, reason=True)
    if cmd in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE):
        if cmd == FUTEX_CMP_REQUEUE and struct.unpack("<I", mm.read(uaddr, 4))[0] != val3:
            return -errno.EAGAIN
        key, key2 = futex_key(task, uaddr), futex_key(task, uaddr2)
        woken = k.wake(key, val, reason=True)
        waiting = k.waiters.pop(key, [])
        limit = timeout & 0x7FFFFFFF
        moved, stay = waiting[:limit], waiting[limit:]
        if stay:
            k.waiters[key] = stay
        for t in moved:
            t.wait_key = key2
            k.waiters.setdefault(key2, []).append(t)
        return woken + len(moved)
    if cmd == FUTEX_WAKE_OP:
        return _wake_op(k, task, uaddr, val, timeout & 0x7FFFFFFF, uaddr2, val3)
    raise SysError(errno.ENOSYS)


def _wake_op(k, task, uaddr: int, n1: int, n2: int, uaddr2: int, encoded: int) -> int:
    mm = task.proc.mm
    op, cmp = (encoded >> 28) & 0xF, (encoded >> 24) & 0xF
    oparg, cmparg = (encoded >> 12) & 0xFFF, encoded & 0xFFF
    if op & 8:
        op &= 7
        oparg = 1 << oparg
    old = struct.unpack("<i", mm.read(uaddr2, 4))[0]
    new = [oparg, old + oparg, old | oparg, old & ~oparg, old ^ oparg][op] if op < 5 else old
    mm.write(uaddr2, struct.pack("<I", new & 0xFFFFFFFF))
    woken = k.wake(futex_key(task, uaddr), n1, reason=True)
    ok = (
        [old == cmparg, old != cmparg, old < cmparg, old <= cmparg, old > cmparg, old >= cmparg][
            cmp
        ]
        if cmp < 6
        else False
    )
    if ok:
        woken += k.wake(futex_key(task, uaddr2), n2, reason=True)
    return woken


# -- scheduling -------------------------------------------------------------------------------
@syscall("sched_yield")
def sys_sched_yield(k, task, *_):
    if k.runq.get(task.context):
        k.expired[task.context] = True
    return 0


@syscall("sched_getaffinity")
def sys_sched_getaffinity(k, task, pid, size, mask, *_):
    if size < 8:
        raise SysError(errno.EINVAL)
    task.proc.mm.write(mask, struct.pack("<Q", 1))
    return 8


@syscall("sched_setaffinity", "sched_setscheduler", "sched_setparam", "setpriority")
def sys_sched_set(k, task, *_):
    return 0


@syscall("sched_getscheduler", "sched_getparam", "getpriority")
def sys_sched_get(k, task, *_):
    return 0


@syscall("getcpu")
def sys_getcpu(k, task, cpu, node, *_):
    for ptr in (cpu, node):
        if ptr:
            task.proc.mm.write(ptr, struct.pack("<I", 0))
    return 0


# -- limits and prctl -------------------------------------------------------------------------
@syscall("prlimit64")
def sys_prlimit64(k, task, pid, resource, new, old, *_):
    proc = task.proc if not pid else k.procs.get(pid)
    if proc is None:
        raise SysError(errno.ESRCH)
    if resource >= 16:
        raise SysError(errno.EINVAL)
    cur = proc.rlimits.get(resource, DEFAULT_RLIMITS.get(resource, (RLIM_INFINITY,) * 2))
    if old:
        task.proc.mm.write(old, struct.pack("<QQ", *cur))
    if new:
        proc.rlimits[resource] = struct.unpack("<QQ", task.proc.mm.read(new, 16))
    return 0


@syscall("getrlimit")
def sys_getrlimit(k, task, resource, old, *_):
    return sys_prlimit64(k, task, 0, resource, 0, old)


@syscall("setrlimit")
def sys_setrlimit(k, task, resource, new, *_):
    return sys_prlimit64(k, task, 0, resource, new, 0)


PR_SET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_SET_NAME, PR_GET_NAME = 1, 3, 4, 15, 16


@syscall("prctl")
def sys_prctl(k, task, option, arg2, *_):
    proc = task.proc
    if option == PR_SET_NAME:
        proc.name = proc.mm.read_cstr(arg2, 16)[:15]
        return 0
    if option == PR_GET_NAME:
        proc.mm.write(arg2, proc.name[:15].ljust(16, b"\0"))
        return 0
    if option == PR_GET_DUMPABLE:
        return 1
    if option in (PR_SET_PDEATHSIG, PR_SET_DUMPABLE, 38):  # 38: PR_SET_NO_NEW_PRIVS
        return 0
    raise SysError(errno.EINVAL)
