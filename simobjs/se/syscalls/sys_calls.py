"""Time, sleeping, timers, system information and random bytes.

Every clock is simulated time: CLOCK_REALTIME is gem5's fixed epoch
(1000000000 s, 2001-09-09) plus the simulated time, the others the simulated
time itself. Node name, release and the rest of uname are fixed, as in gem5.
"""

from __future__ import annotations

import errno
import struct

from simobjs.se.files import Block
from simobjs.se.mm import SysError
from simobjs.se.syscalls import syscall

EPOCH_NS = 1_000_000_000 * 10**9
REALTIME_CLOCKS = (0, 5, 8, 11)  # REALTIME, REALTIME_COARSE, REALTIME_ALARM, TAI
ITIMER_REAL = 0
UNAME = ("Linux", "sim.gem5.org", None, "#1 Mon Aug 18 11:32:15 EDT 2003", "x86_64", "(none)")


def _clock_ns(k, clock: int) -> int:
    if clock in REALTIME_CLOCKS:
        return EPOCH_NS + k.now_ns()
    if clock > 11:
        raise SysError(errno.EINVAL)
    return k.now_ns()


@syscall("clock_gettime")
def sys_clock_gettime(k, task, clock, tp, *_):
    sec, nsec = divmod(_clock_ns(k, clock), 10**9)
    task.proc.mm.write(tp, struct.pack("<qq", sec, nsec))
    return 0


@syscall("clock_getres")
def sys_clock_getres(k, task, clock, tp, *_):
    _clock_ns(k, clock)
    if tp:
        task.proc.mm.write(tp, struct.pack("<qq", 0, 1))
    return 0


@syscall("gettimeofday")
def sys_gettimeofday(k, task, tv, tz, *_):
    sec, nsec = divmod(EPOCH_NS + k.now_ns(), 10**9)
    if tv:
        task.proc.mm.write(tv, struct.pack("<qq", sec, nsec // 1000))
    if tz:
        task.proc.mm.write(tz, bytes(8))
    return 0


@syscall("time")
def sys_time(k, task, tloc, *_):
    sec = (EPOCH_NS + k.now_ns()) // 10**9
    if tloc:
        task.proc.mm.write_u64(tloc, sec)
    return sec


def _sleep(k, task, ns: int, rem: int, absolute_clock: int | None = None) -> int:
    """nanosleep / clock_nanosleep: the thread waits `ns` of simulated time."""
    if task.deadline:
        if k.now() >= task.deadline:
            k.clear_deadline(task)
            return 0
        raise Block(("sleep", task.tid))
    if absolute_clock is not None:
        ns -= _clock_ns(k, absolute_clock)
    if ns <= 0:
        return 0
    k.sleep_until(task, k.now() + k.ns_to_ticks(ns), ("sleep", task.tid))
    task.sleep_rem = rem
    raise Block(("sleep", task.tid))


def _timespec(task, ptr: int) -> int:
    sec, nsec = struct.unpack("<qq", task.proc.mm.read(ptr, 16))
    if sec < 0 or not 0 <= nsec < 10**9:
        raise SysError(errno.EINVAL)
    return sec * 10**9 + nsec


@syscall("nanosleep")
def sys_nanosleep(k, task, req, rem, *_):
    return _sleep(k, task, 0 if task.deadline else _timespec(task, req), rem)


@syscall("clock_nanosleep")
def sys_clock_nanosleep(k, task, clock, flags, req, rem, *_):
    ns = 0 if task.deadline else _timespec(task, req)
    return _sleep(k, task, ns, rem if not flags & 1 else 0, clock if flags & 1 else None)


@syscall("alarm")
def sys_alarm(k, task, seconds, *_):
    proc = task.proc
    left = 0
    if proc.alarm_at:
        left_ns = max(0, proc.alarm_at - k.now()) * 10**9 // k.ns_to_ticks(10**9)
        left = (left_ns + 999_999_999) // 10**9
    when = k.now() + k.ns_to_ticks(seconds * 10**9) if seconds else 0
    k.set_alarm(proc, when, 0)
    return left


def _itimer(k, proc) -> bytes:
    tick_per_us = k.ns_to_ticks(1000) or 1
    left = max(0, proc.alarm_at - k.now()) // tick_per_us if proc.alarm_at else 0
    iv = proc.alarm_interval // tick_per_us
    return struct.pack("<qqqq", iv // 10**6, iv % 10**6, left // 10**6, left % 10**6)


@syscall("setitimer")
def sys_setitimer(k, task, which, new, old, *_):
    proc = task.proc
    if which != ITIMER_REAL:
        k._warn_once(("itimer", which), "only ITIMER_REAL is simulated; the timer is ignored")
        return 0
    if old:
        proc.mm.write(old, _itimer(k, proc))
    if new:
        isec, iusec, vsec, vusec = struct.unpack("<qqqq", proc.mm.read(new, 32))
        interval = k.ns_to_ticks((isec * 10**6 + iusec) * 1000)
        value = k.ns_to_ticks((vsec * 10**6 + vusec) * 1000)
        k.set_alarm(proc, k.now() + value if value else 0, interval)
    return 0


@syscall("getitimer")
def sys_getitimer(k, task, which, cur, *_):
    task.proc.mm.write(cur, _itimer(k, task.proc) if which == ITIMER_REAL else bytes(32))
    return 0


@syscall("uname")
def sys_uname(k, task, buf, *_):
    fields = list(UNAME)
    fields[2] = k.release
    raw = b"".join(f.encode()[:64].ljust(65, b"\0") for f in fields)
    task.proc.mm.write(buf, raw)
    return 0


@syscall("sysinfo")
def sys_sysinfo(k, task, buf, *_):
    total = k.frames.alloc.count * 4096
    free = k.frames.alloc.free_pages * 4096
    raw = struct.pack(
        "<qQQQQQQQQQHxxxxxxQQI",
        k.now_ns() // 10**9,
        0,
        0,
        0,
        total,
        free,
        0,
        0,
        0,
        0,
        len(k.procs),
        0,
        0,
        1,
    )
    task.proc.mm.write(buf, raw.ljust(112, b"\0"))
    return 0


@syscall("times")
def sys_times(k, task, buf, *_):
    ticks = k.now_ns() // 10_000_000
    if buf:
        task.proc.mm.write(buf, struct.pack("<qqqq", ticks, 0, 0, 0))
    return ticks


@syscall("getrusage")
def sys_getrusage(k, task, who, buf, *_):
    sec, usec = divmod(k.now_ns() // 1000, 10**6)
    task.proc.mm.write(buf, struct.pack("<qq", sec, usec).ljust(144, b"\0"))
    return 0


@syscall("getrandom")
def sys_getrandom(k, task, buf, count, flags, *_):
    count = min(count, 1 << 25)
    task.proc.mm.write(buf, k.random(count))
    return count


@syscall("rseq", "clone3", "membarrier", "io_uring_setup", "pidfd_open")
def sys_enosys(k, task, *_):
    return -errno.ENOSYS  # known, and absent here as on an old kernel: the libraries fall back
