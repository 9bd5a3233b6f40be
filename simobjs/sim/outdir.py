"""The output directory lock: one live run per output directory.

Two runs writing into one directory overwrite each other's stats and config
files, and the second may replace the first's checkpoint while it is being
written. A run takes an exclusive flock(2) on `<outdir>/.simobjs.lock`
(holding its pid) before writing anything there; a second run is refused with
the first one's pid. The kernel drops the lock when its process dies, however
it dies, so a lock left by a dead process is simply taken over. Within one
process the lock is counted (the command holds it, and each simulation
instantiated into the same directory holds it again); the file is removed when
the last holder releases it.
"""

from __future__ import annotations

import atexit
import errno
import fcntl
import os
import stat
import sys
import time

from simobjs.errors import OutdirBusy

LOCK_NAME = ".simobjs.lock"

_at_exit = False
_held: dict[str, list] = {}  # real path of the outdir -> [fd, count, lock file, pid]


def _key(outdir: str) -> str:
    return os.path.realpath(outdir)


def _make_outdir(outdir: str) -> None:
    try:
        os.makedirs(outdir, exist_ok=True)
    except FileExistsError:
        raise OSError(
            errno.ENOTDIR, "the output directory exists and is not a directory", outdir
        ) from None
    if not stat.S_ISDIR(os.stat(outdir).st_mode):
        raise OSError(errno.ENOTDIR, "the output directory is not a directory", outdir)


def _holder(fd: int) -> tuple[int | None, str]:
    """The pid and command line written in a lock file by its holder."""
    try:
        text = os.pread(fd, 4096, 0).decode(errors="replace")
    except OSError:
        return None, ""
    first, _, rest = text.partition("\n")
    try:
        pid = int(first)
    except ValueError:
        return None, ""
    return pid, rest.strip()


def acquire(outdir: str) -> None:
    """Take (or take again) the lock of `outdir`, creating the directory; OutdirBusy
    when another live process holds it."""
    key = _key(outdir)
    held = _held.get(key)
    if held is not None:
        held[1] += 1
        return
    _make_outdir(outdir)
    path = os.path.join(outdir, LOCK_NAME)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid, command = _holder(fd)
            for _ in range(20):  # the holder writes its pid just after taking the lock
                if pid is not None:
                    break
                time.sleep(0.01)
                pid, command = _holder(fd)
            os.close(fd)
            raise OutdirBusy(outdir, pid, command) from None
        except BaseException:
            os.close(fd)
            raise
        # the holder may have released and removed the file between our open and flock:
        # then this lock is on a file nobody else will look at; start again
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        command = " ".join(sys.argv)[:1000]
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n{command}\n".encode(), 0)
    except OSError:
        pass  # the flock is what counts; the pid is only for the message
    global _at_exit
    if not _at_exit:
        atexit.register(release_all)
        _at_exit = True
    _held[key] = [fd, 1, path, os.getpid()]


def release(outdir: str) -> None:
    """Drop one hold of `outdir`'s lock; the last one removes the file and unlocks."""
    key = _key(outdir)
    held = _held.get(key)
    if held is None:
        return
    held[1] -= 1
    if held[1] > 0:
        return
    del _held[key]
    fd, _, path, pid = held
    if pid == os.getpid():  # (a forked child shares the parent's lock: it leaves the file)
        try:
            os.unlink(path)  # while still holding the flock: nobody can take a removed file
        except OSError:
            pass
    os.close(fd)


def release_all() -> None:
    """Drop every lock this process holds (at exit: a simulation never closed still
    holds its directory)."""
    for key in list(_held):
        held = _held.get(key)
        if held is not None:
            held[1] = 1
            release(key)


def holds(outdir: str) -> bool:
    """True while this process holds the lock of `outdir`."""
    return _key(outdir) in _held
