"""Checkpoints of SE runs: the kernel's state in the workload's section.

The program's memory and page tables are in the RAM store already; here go the
allocators, each address space's VMAs and table pages, processes and threads
(the registers of a thread that is not on a CPU in `[<workload>.task<tid>]`
sections, in gem5's thread layout), signal handlers and masks, timers (as
absolute ticks), and the open files: as gem5's FDArray, a host file is recorded by
path, flags and offset, and reopened and seeked at restore (an output file of the
first process is reopened in the restoring run's output directory, and continued
at its end there). Pipes cannot be: a checkpoint with an open pipe is refused.
"""

from __future__ import annotations

import json
import os

from simobjs.arch.x86.serialize import serialize_thread, unserialize_thread
from simobjs.errors import CheckpointError
from simobjs.se import signals as S
from simobjs.se.files import O_ACCMODE, O_APPEND, Device, FdTable, HostFile, Stream, Synthetic
from simobjs.se.kernel_pages import KernelPages
from simobjs.se.mm import AddressSpace
from simobjs.se.task import BLOCKED, NEW, RUNNABLE, Proc, Task
from simobjs.se.thread import as_x86_state

FORMAT = 1


def _tuples(x):
    """JSON lists back to the tuples wait keys are made of."""
    return tuple(_tuples(v) for v in x) if isinstance(x, list) else x


def _describe(k, f) -> dict:
    try:
        return f.state()
    except Exception:  # noqa: BLE001 - reported below with the file's name
        pass
    what = "a pipe" if f.kind == "pipe" else f"{f.path!r} ({f.kind})"
    raise CheckpointError(
        f"an SE process has {what} open: pipes (and what cannot be reopened by path) cannot be "
        "checkpointed, as in gem5; take the checkpoint where none is open",
        k.model.name(),
    )


def serialize_kernel(k, section) -> None:
    descriptions: dict[int, int] = {}
    files_out: list[dict] = []
    procs = []
    for proc in k.procs.values():
        fds = []
        for fd, (f, cloexec) in sorted(proc.files.fds.items()):
            if id(f) not in descriptions:
                descriptions[id(f)] = len(files_out)
                files_out.append(_describe(k, f))
            fds.append([fd, descriptions[id(f)], int(cloexec)])
        procs.append(
            {
                "pid": proc.pid,
                "ppid": proc.ppid,
                "pgid": proc.pgid,
                "sid": proc.sid,
                "cwd": proc.cwd,
                "exe_host": proc.exe_host,
                "exe_guest": proc.exe_guest,
                "argv": [a.hex() for a in proc.argv],
                "ids": [proc.uid, proc.euid, proc.gid, proc.egid],
                "umask": proc.umask,
                "name": proc.name.hex(),
                "actions": [[a.handler, a.flags, a.restorer, a.mask] for a in proc.actions],
                "pending": proc.pending,
                "exit_status": proc.exit_status,
                "alarm": [proc.alarm_at, proc.alarm_interval],
                "rlimits": [[r, *v] for r, v in proc.rlimits.items()],
                "parent": proc.parent.pid if proc.parent is not None else None,
                "children": [c.pid for c in proc.children],
                "fds": fds,
                "mm": proc.mm.state() if proc.alive else None,
                "exec_count": proc.exec_count,
            }
        )
    tasks = []
    for t in k.tasks.values():
        running = k.current.get(t.context) is t
        tasks.append(
            {
                "tid": t.tid,
                "pid": t.proc.pid,
                "context": t.context,
                "status": t.status,
                "running": running,
                "sigmask": t.sigmask,
                "pending": t.pending,
                "wait_key": t.wait_key,
                "clear_child_tid": t.clear_child_tid,
                "robust_list": list(t.robust_list),
                "altstack": list(t.altstack),
                "deadline": t.deadline,
                "deadline_key": t.deadline_key,
                "woken": t.woken,
                "saved_mask": t.saved_mask,
                "sleep_rem": t.sleep_rem,
            }
        )
        if not running and t.state is not None:
            sub = section.subsection(f"task{t.tid}")
            serialize_thread(as_x86_state(t.state), sub, section.subsection(f"task{t.tid}.isa"))
    section["se_format"] = FORMAT
    section["memory"] = json.dumps(
        {
            "pool": k.pool.state().hex(),
            "frames": k.frames.alloc.state().hex(),
            "shared": [[p, n] for p, n in k.frames.shared.items()],
            "kpages": k.kpages.state(),
        }
    )
    section["kernel"] = json.dumps(
        {
            "next_pid": k.next_pid,
            "random": [k.random.seed, k.random.counter],
            "last_status": k.last_status,
            "finished": k.finished,
            "runq": {str(c): [t.tid for t in q] for c, q in k.runq.items()},
        }
    )
    section["files"] = json.dumps(files_out)
    section["procs"] = json.dumps(procs)
    section["tasks"] = json.dumps(tasks)


def _reopen(k, d: dict):
    kind = d["kind"]
    if kind == "host":
        flags = d["flags"] & (O_ACCMODE | O_APPEND | 0o200000)
        if not os.path.exists(d["host"]):
            raise CheckpointError(
                f"SE: {d['path']} ({d['host']}) is gone; it was open at the checkpoint",
                k.model.name(),
            )
        f = HostFile(d["path"], d["host"], flags)
        f.seek(d["offset"], 0)
        return f
    if kind == "stream":
        host = d["host"]
        if host is not None and d["role"] != "input":
            host = os.path.join(k.sim.outdir or ".", os.path.basename(host))
            offset = min(d["offset"], os.path.getsize(host)) if os.path.exists(host) else 0
            return Stream(d["role"], d["name"], host, d["flags"], offset, truncate=False)
        return Stream(d["role"], d["name"], host, d["flags"], d["offset"])
    if kind == "dev":
        return Device(d["name"], d["flags"], k.random)
    if kind == "synthetic":
        f = Synthetic(d["path"], bytes.fromhex(d["data"]), d["flags"])
        f.pos = d["offset"]
        return f
    raise CheckpointError(f"SE: unknown open file kind {kind!r}", k.model.name())


def unserialize_kernel(k, section) -> None:
    if section.get_int("se_format") != FORMAT:
        raise CheckpointError("unknown SE checkpoint format", section.name, "se_format")
    mem = json.loads(section["memory"])
    k.pool.load(bytes.fromhex(mem["pool"]))
    k.frames.alloc.load(bytes.fromhex(mem["frames"]))
    k.frames.shared = {p: n for p, n in mem["shared"]}
    k.kpages = KernelPages.restore(mem["kpages"])
    kern = json.loads(section["kernel"])
    k.next_pid, k.last_status, k.finished = kern["next_pid"], kern["last_status"], kern["finished"]
    k.random.seed, k.random.counter = kern["random"]
    files = [_reopen(k, d) for d in json.loads(section["files"])]
    procs: dict[int, Proc] = {}
    raw_procs = json.loads(section["procs"])
    for p in raw_procs:
        table = FdTable()
        for fd, index, cloexec in p["fds"]:
            table.set(fd, files[index], bool(cloexec))
        mm = None
        if p["mm"] is not None:
            mm = AddressSpace.restore(k.frames, k.pool, k.dirty, k.kpages.stub_ppn, p["mm"])
        proc = Proc(
            p["pid"],
            p["ppid"],
            p["pgid"],
            p["sid"],
            mm,
            table,
            p["cwd"],
            p["exe_host"],
            p["exe_guest"],
            [bytes.fromhex(a) for a in p["argv"]],
            *p["ids"],
            p["umask"],
            [S.SigAction(*a) for a in p["actions"]],
            pending=p["pending"],
            exit_status=p["exit_status"],
            name=bytes.fromhex(p["name"]),
            rlimits={r: (a, b) for r, a, b in p["rlimits"]},
            exec_count=p["exec_count"],
        )
        procs[proc.pid] = proc
        k.sandbox.guest_path_of(proc.exe_host)  # a program outside the root keeps its alias
    for p in raw_procs:
        proc = procs[p["pid"]]
        proc.parent = procs.get(p["parent"]) if p["parent"] is not None else None
        proc.children = [procs[c] for c in p["children"] if c in procs]
        if proc.alarm_at or p["alarm"][0]:
            k.set_alarm(proc, *p["alarm"])
    k.procs = procs
    k.tasks, k.current, k.waiters = {}, {}, {}
    for d in json.loads(section["tasks"]):
        proc = procs[d["pid"]]
        t = Task(
            d["tid"],
            proc,
            d["context"],
            None,
            d["status"],
            d["sigmask"],
            d["pending"],
            wait_key=_tuples(d["wait_key"]),
            clear_child_tid=d["clear_child_tid"],
            robust_list=tuple(d["robust_list"]),
            altstack=tuple(d["altstack"]),
            deadline=d["deadline"],
            woken=d["woken"],
            saved_mask=d["saved_mask"],
            sleep_rem=d["sleep_rem"],
        )
        t.deadline_key = _tuples(d["deadline_key"])
        if d["running"]:
            k.current[t.context] = t
        elif t.status in (RUNNABLE, BLOCKED, NEW):
            xc = section.subsection(f"task{t.tid}")
            t.state = unserialize_thread(xc, section.subsection(f"task{t.tid}.isa"))
        proc.tasks.append(t)
        k.tasks[t.tid] = t
        if t.status == BLOCKED and t.wait_key is not None:
            from simobjs.se.kernel import _keys

            for key in _keys(t.wait_key):
                k.waiters.setdefault(key, []).append(t)
        if t.deadline and t.deadline_key is not None:
            k.sleep_until(t, t.deadline, t.deadline_key)
    from collections import deque

    k.runq = {
        int(c): deque(k.tasks[tid] for tid in q if tid in k.tasks) for c, q in kern["runq"].items()
    }
    for _cpu, _tid, process in k.model.processes:
        first = procs.get(process.pid)
        if first is not None and first.tasks:
            process.task = first.tasks[0]
    k.dirty.tlb = k.dirty.code = True
