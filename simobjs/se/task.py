"""SE processes and threads: a `Proc` (Linux's thread group: address space, files,
signal handlers, cwd, children) and its `Task`s (threads: registers when not on a
CPU, signal mask, pending signals, what they wait for)."""

from __future__ import annotations

from dataclasses import dataclass, field

from simobjs.arch.x86.state import X86State
from simobjs.se.files import FdTable
from simobjs.se.mm import AddressSpace
from simobjs.se.signals import NSIG, SigAction

NEW, RUNNING, RUNNABLE, BLOCKED, DEAD = "new", "running", "runnable", "blocked", "dead"


@dataclass
class Proc:
    pid: int
    ppid: int
    pgid: int
    sid: int
    mm: AddressSpace
    files: FdTable
    cwd: str
    exe_host: str  # the program file on the host
    exe_guest: str  # its name as the program sees it (/proc/self/exe)
    argv: list[bytes] = field(default_factory=list)
    uid: int = 100
    euid: int = 100
    gid: int = 100
    egid: int = 100
    umask: int = 0o022
    actions: list[SigAction] = field(default_factory=lambda: [SigAction() for _ in range(NSIG)])
    pending: int = 0  # process-directed signals
    pending_info: dict[int, bytes] = field(default_factory=dict)
    tasks: list[Task] = field(default_factory=list)
    children: list[Proc] = field(default_factory=list)
    parent: Proc | None = None
    exit_status: int | None = None  # wait status once it is a zombie
    alarm_at: int = 0  # tick of a pending ITIMER_REAL expiry (0: none)
    alarm_interval: int = 0
    rlimits: dict[int, tuple[int, int]] = field(default_factory=dict)
    name: bytes = b""
    exec_count: int = 0

    def action(self, sig: int) -> SigAction:
        return self.actions[sig - 1]

    @property
    def alive(self) -> bool:
        return self.exit_status is None


@dataclass
class Task:
    tid: int
    proc: Proc
    context: int  # the hardware context it runs on
    state: X86State | None = None  # registers while not on a CPU (or SeThread.switch_out's)
    status: str = RUNNABLE
    sigmask: int = 0
    pending: int = 0  # thread-directed signals
    pending_info: dict[int, bytes] = field(default_factory=dict)
    wait_key: tuple | None = None
    clear_child_tid: int = 0
    robust_list: tuple[int, int] = (0, 0)
    altstack: tuple[int, int, int] = (0, 2, 0)  # ss_sp, ss_flags (SS_DISABLE), ss_size
    deadline: int = 0  # tick a sleeping or timed wait ends at
    deadline_key: tuple | None = None  # what the deadline wakes
    woken: bool = False  # a futex wake (or a timeout) ended its wait
    saved_mask: int | None = None  # mask to restore after sigsuspend's handler
    sleep_rem: int = 0  # nanosleep's rem pointer, written when a signal cuts the sleep
    exit_code: int = 0

    def deliverable(self) -> int:
        """Pending signals not blocked by this thread."""
        return (self.pending | self.proc.pending) & ~self.sigmask
