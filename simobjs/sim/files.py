"""Opening output and input files safely.

Outputs (stats, config files, terminal logs, redirected stdout) are written
without following a symbolic link planted in the output directory: a file
written whole goes to a temporary file beside it that is then renamed over the
name (which replaces a link instead of writing through it); a file written as
it grows is opened with O_NOFOLLOW (a link in its place is removed first).
Neither opens a FIFO or a device in the output directory.

Inputs (a checkpoint's m5.cpt and memory stores, guest images) must be regular
files: a FIFO or a device is refused without blocking on it.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import sys
from typing import IO, Any

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def kind_of(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _not_regular(path: str, mode: int) -> OSError:
    return OSError(errno.EINVAL, f"not a regular file (it is {kind_of(mode)})", path)


def _clear_nonblock(fd: int) -> None:
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)


def open_regular(path: str | os.PathLike, mode: str = "rb") -> IO[Any]:
    """Open an existing regular file for reading; anything else (a FIFO, a device, a
    directory) is an OSError naming what it is, raised without blocking on it."""
    path = os.fspath(path)
    if mode not in ("r", "rb"):
        raise ValueError(f"open_regular reads only, not mode {mode!r}")
    # O_NONBLOCK: opening a FIFO with no writer would wait forever
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(path, st.st_mode)
        _clear_nonblock(fd)
        return os.fdopen(fd, mode)
    except BaseException:
        os.close(fd)
        raise


def check_regular(path: str | os.PathLike) -> None:
    """Raise an OSError unless `path` is an existing regular file (links followed)."""
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(os.fspath(path), st.st_mode)


def _replace_link(path: str) -> None:
    """A symbolic link where an output goes: remove it (the output never goes through it)."""
    try:
        target = os.readlink(path)
    except OSError:
        return
    os.unlink(path)
    print(
        f"warn: {path} was a symbolic link (to {target}): replaced by a regular file, "
        "nothing was written through it",
        file=sys.stderr,
    )


def open_output(path: str | os.PathLike, mode: str = "w", buffering: int = -1) -> IO[Any]:
    """Open an output file for writing ("w", "wb") or appending ("a", "ab") without
    following a symbolic link in its place; its directory is created if missing."""
    path = os.fspath(path)
    if mode not in ("w", "wb", "a", "ab"):
        raise ValueError(f"open_output writes only, not mode {mode!r}")
    append = mode.startswith("a")
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    if append:
        flags |= os.O_APPEND
    for attempt in range(3):
        try:
            fd = os.open(path, flags, 0o644)
            break
        except OSError as e:
            if attempt == 2:
                raise
            if e.errno == errno.ELOOP and os.path.islink(path):
                _replace_link(path)
            elif e.errno == errno.ENOENT and not os.path.isdir(os.path.dirname(path) or "."):
                os.makedirs(os.path.dirname(path), exist_ok=True)
            elif e.errno == errno.ENXIO:  # a FIFO without a reader
                raise OSError(errno.EINVAL, "not a regular file (it is a FIFO)", path) from None
            else:
                raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(path, st.st_mode)
        _clear_nonblock(fd)
        if not append:
            os.ftruncate(fd, 0)
        return os.fdopen(fd, mode, buffering)
    except BaseException:
        os.close(fd)
        raise


def write_file(path: str | os.PathLike, data: str | bytes, sync: bool = False) -> None:
    """Write a whole file: a temporary file beside it, renamed over the name (a link in
    its place is replaced, never followed; readers see the old or the new file)."""
    path = os.fspath(path)
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f".{os.path.basename(path)}.tmp.{os.getpid()}")
    blob = data.encode() if isinstance(data, str) else data
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(tmp, flags, 0o644)
    try:
        try:
            view = memoryview(blob)
            while view:
                view = view[os.write(fd, view) :]
            if sync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as e:
        _unlink_quietly(tmp)
        if e.filename is None:  # os.write names no file: say which one could not be written
            raise OSError(e.errno, e.strerror, path) from None
        raise
    except BaseException:
        _unlink_quietly(tmp)
        raise


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
