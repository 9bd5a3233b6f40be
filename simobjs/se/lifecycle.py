"""Process life cycle in the SE kernel: the first process of a context, clone/fork,
execve, exit, death by a signal, and the end of the simulation when the last
thread is gone ("exiting with last active thread context", as gem5).

Processes are emulated inside the one simulated machine: a fork copies the address
space into new frames of guest RAM, with its own page tables, and the child is one
more thread the kernel schedules (on a free hardware context if there is one, as
threads). (A host fork cannot share the parent's KVM VM.)
"""

from __future__ import annotations

import errno
import os

from simobjs.arch.x86.state import X86State
from simobjs.base.elf import ProgramError, parse_program
from simobjs.se import layout as L
from simobjs.se import loader
from simobjs.se import signals as S
from simobjs.se.files import FdTable
from simobjs.se.fs import FsError
from simobjs.se.mm import AddressSpace, SysError, Vma
from simobjs.se.pagetable import PageTable
from simobjs.se.syscalls import NORETURN
from simobjs.se.task import DEAD, NEW, Proc, Task

CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND = 0x100, 0x200, 0x400, 0x800
CLONE_VFORK, CLONE_PARENT, CLONE_THREAD, CLONE_SETTLS = 0x4000, 0x8000, 0x10000, 0x80000
CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID = 0x100000, 0x200000, 0x1000000
WNOHANG = 1


def new_mm(k, max_stack: int) -> AddressSpace:
    pt = PageTable(k.mem, k.pool, k.dirty, k.kpages.kernel_entry)
    mm = AddressSpace(k.frames, pt, k.kpages.stub_ppn, max_stack)
    base = k.m5ops_base
    if base:
        mm.add(Vma(base, base + 0x10000, 3, shared=True, name="[m5ops]", kind="m5ops", phys=base))
    return mm


def build_image(
    k,
    host: str,
    argv: list[bytes],
    envp: list[bytes],
    execfn: bytes,
    ids: tuple[int, int, int, int],
    ctx: int,
    max_stack: int,
) -> tuple[AddressSpace, X86State]:
    """A new address space holding the program at `host`, and its first CPU state."""
    try:
        with open(host, "rb") as f:
            data = f.read()
    except OSError as e:
        raise SysError(e.errno or errno.EIO) from None
    info = parse_program(host, data)
    mm = new_mm(k, max_stack)
    try:
        image = loader.load(mm, info, data, argv, envp, execfn, ids, k.random(16))
    except BaseException:
        mm.destroy()
        raise
    st = L.user_state(image.entry, image.rsp, mm.pt.cr3, ctx, k.kpages.contexts)
    return mm, st


def spawn(
    k,
    pid: int,
    ppid: int,
    host: str,
    argv: list[bytes],
    envp: list[bytes],
    cwd: str,
    files: FdTable,
    ids: tuple[int, int, int, int],
    ctx: int,
    max_stack: int,
    pgid: int,
) -> Task:
    """The first process of a hardware context (gem5's Process::initState)."""
    mm, st = build_image(
        k, host, argv, envp, argv[0] if argv else host.encode(), ids, ctx, max_stack
    )
    exe_guest = k.sandbox.guest_path_of(host)
    proc = Proc(
        pid,
        ppid,
        pgid,
        pgid,
        mm,
        files,
        cwd,
        host,
        exe_guest,
        list(argv),
        *ids,
        name=os.path.basename(host).encode()[:15],
    )
    task = Task(pid, proc, ctx, st)
    proc.tasks.append(task)
    k.procs[pid] = proc
    k.tasks[pid] = task
    k.next_pid = max(k.next_pid, pid + 1)
    return task


def clone(k, task: Task, th, flags: int, stack: int, ptid: int, ctid: int, tls: int) -> int:
    parent = task.proc
    if flags & CLONE_THREAD and not (flags & CLONE_VM and flags & CLONE_SIGHAND):
        raise SysError(errno.EINVAL)
    st = th.user_state()
    st.set_reg("rax", 0)
    if stack:
        st.set_reg("rsp", stack)
    if flags & CLONE_SETTLS:
        st.seg["fs"].base = tls
    tid = k.next_pid
    k.next_pid += 1
    if flags & CLONE_THREAD:
        proc = parent
    else:
        mm = parent.mm.fork(PageTable(k.mem, k.pool, k.dirty, k.kpages.kernel_entry))
        files = parent.files if flags & CLONE_FILES else parent.files.copy()
        proc = Proc(
            tid,
            parent.pid,
            parent.pgid,
            parent.sid,
            mm,
            files,
            parent.cwd,
            parent.exe_host,
            parent.exe_guest,
            list(parent.argv),
            parent.uid,
            parent.euid,
            parent.gid,
            parent.egid,
            parent.umask,
            [S.SigAction(a.handler, a.flags, a.restorer, a.mask) for a in parent.actions],
            name=parent.name,
            rlimits=dict(parent.rlimits),
        )
        proc.parent = parent
        parent.children.append(proc)
        k.procs[tid] = proc
        st.cr3 = mm.pt.cr3
    child = Task(tid, proc, task.context, st, sigmask=task.sigmask, altstack=task.altstack)
    proc.tasks.append(child)
    k.tasks[tid] = child
    if flags & CLONE_PARENT_SETTID:
        parent.mm.write(ptid, tid.to_bytes(4, "little"))
    if flags & CLONE_CHILD_SETTID:
        proc.mm.write(ctid, tid.to_bytes(4, "little"))
    if flags & CLONE_CHILD_CLEARTID:
        child.clear_child_tid = ctid
    child.status = NEW
    k.make_runnable(child)
    return tid


def _read_vector(mm: AddressSpace, addr: int) -> list[bytes]:
    out = []
    while addr:
        ptr = mm.read_u64(addr)
        if not ptr:
            break
        out.append(mm.read_cstr(ptr, 128 * 1024))
        addr += 8
        if len(out) > 65536:
            raise SysError(errno.E2BIG)
    return out


def execve(k, task: Task, th, path_ptr: int, argv_ptr: int, envp_ptr: int) -> object:
    proc = task.proc
    mm = proc.mm
    path = mm.read_cstr(path_ptr).decode(errors="surrogateescape")
    argv = _read_vector(mm, argv_ptr)
    envp = _read_vector(mm, envp_ptr)
    r = k.resolve(proc, path)
    if r.kind != "host" or r.host is None:
        raise FsError(errno.EACCES)
    if os.path.isdir(r.host):
        raise FsError(errno.EACCES)
    if not os.access(r.host, os.X_OK):
        raise FsError(errno.EACCES if os.path.exists(r.host) else errno.ENOENT)
    ids = (proc.uid, proc.euid, proc.gid, proc.egid)
    try:
        new, st = build_image(k, r.host, argv, envp, path.encode(), ids, task.context, mm.max_stack)
    except ProgramError:
        raise SysError(errno.ENOEXEC) from None
    for t in list(proc.tasks):
        if t is not task:
            finish_task(k, t)
    k.note_closed(proc.files.close_on_exec())
    for i, act in enumerate(proc.actions):
        if act.handler not in (S.SIG_DFL, S.SIG_IGN):
            proc.actions[i] = S.SigAction()
    task.altstack = (0, S.SS_DISABLE, 0)
    task.clear_child_tid = 0
    proc.mm = new
    mm.destroy()
    proc.exe_host = r.host
    proc.exe_guest = (
        k.sandbox.guest_path_of(r.host) if not path.startswith("/proc/") else (proc.exe_guest)
    )
    proc.argv = argv
    proc.name = os.path.basename(path).encode()[:15]
    proc.exec_count += 1
    th.set_user_state(st)
    k.dirty.tlb = k.dirty.code = True
    return NORETURN


def finish_task(k, t: Task) -> None:
    """`t` is gone: out of every queue, its timers stopped, off its CPU."""
    t.status = DEAD
    k.unwait(t)
    q = k.runq.get(t.context)
    if q and t in q:
        q.remove(t)
    k._cancel_timer(("sleep", t.tid))
    if k.current.get(t.context) is t:
        k.current[t.context] = None
    if t in t.proc.tasks:
        t.proc.tasks.remove(t)
    k.tasks.pop(t.tid, None)


def exit_thread(k, task: Task, code: int) -> object:
    proc = task.proc
    if len([t for t in proc.tasks if t.status != DEAD]) > 1:
        _clear_tid(k, task)
        ctx = task.context
        finish_task(k, task)
        k.run_next(ctx)
        return NORETURN
    return exit_group(k, proc, (code & 0xFF) << 8)


def _clear_tid(k, task: Task) -> None:
    addr = task.clear_child_tid
    if not addr:
        return
    from simobjs.se.syscalls.proc_calls import futex_key

    try:
        task.proc.mm.write(addr, bytes(4))
        key = futex_key(task, addr)
    except Exception:  # noqa: BLE001 - a bad address is the thread's problem, as in Linux
        return
    k.wake(key, 1, reason=True)


def exit_group(k, proc: Proc, status: int) -> object:
    """Every thread of `proc` ends; `status` is its wait status."""
    if not proc.alive:
        return NORETURN
    contexts = {t.context for t in proc.tasks}
    for t in list(proc.tasks):
        finish_task(k, t)
    proc.exit_status = status
    k.set_alarm(proc, 0, 0)
    k.note_closed(proc.files.close_all())  # a reader waiting for EOF wakes
    k.flush_wakeups()
    proc.mm.destroy()
    for child in proc.children:
        child.parent = None
        child.ppid = 1
        if not child.alive:
            k.procs.pop(child.pid, None)
    proc.children = []
    parent = proc.parent
    if parent is not None and parent.alive:
        code = S.CLD_KILLED if status & 0x7F else S.CLD_EXITED
        value = status & 0x7F if status & 0x7F else (status >> 8) & 0xFF
        k.send_signal(
            parent, S.SIGCHLD, S.siginfo(S.SIGCHLD, code, proc.pid, proc.uid, status=value)
        )
        k.wake(("child", parent.pid))
    else:
        k.procs.pop(proc.pid, None)
    k.last_status = status
    if not any(t.status != DEAD for t in k.tasks.values()):
        finish(k)
    for ctx in contexts:
        if k.current.get(ctx) is None:
            k.run_next(ctx)
    return NORETURN


def exit_code(status: int) -> int:
    """A wait status as a shell reports it: the exit code, or 128 + the signal."""
    return 128 + (status & 0x7F) if status & 0x7F else (status >> 8) & 0xFF


def finish(k) -> None:
    if k.finished:
        return
    k.finished = True
    k.sim.exitSimLoop(k.CAUSE_EXIT, exit_code(k.last_status))


def kill_process(k, proc: Proc, sig: int) -> None:
    exit_group(k, proc, sig & 0x7F)


def wait4(k, task: Task, pid: int, status_ptr: int, options: int, rusage: int) -> int:
    proc = task.proc
    candidates = [c for c in proc.children if _matches(c, pid, proc)]
    if not candidates:
        raise SysError(errno.ECHILD)
    for child in candidates:
        if not child.alive:
            if status_ptr:
                proc.mm.write(status_ptr, (child.exit_status & 0xFFFFFFFF).to_bytes(4, "little"))
            if rusage:
                proc.mm.write(rusage, bytes(144))
            proc.children.remove(child)
            k.procs.pop(child.pid, None)
            return child.pid
    if options & WNOHANG:
        return 0
    from simobjs.se.files import Block

    raise Block(("child", proc.pid))


def _matches(child: Proc, pid: int, proc: Proc) -> bool:
    if pid == -1:
        return True
    if pid > 0:
        return child.pid == pid
    if pid == 0:
        return child.pgid == proc.pgid
    return child.pgid == -pid
