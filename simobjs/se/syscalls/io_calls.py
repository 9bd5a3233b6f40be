"""System calls on descriptors: read/write and friends, seeking, directories,
descriptor duplication and flags, pipes, ioctl, poll/select."""

from __future__ import annotations

import errno
import struct

from simobjs.se import signals as S
from simobjs.se.files import (
    O_CLOEXEC,
    O_NONBLOCK,
    Block,
    HostFile,
    Pipe,
    PipeEnd,
)
from simobjs.se.fs import FsError
from simobjs.se.syscalls import syscall

MAX_IO = 0x7FFFF000  # Linux caps one read/write at this many bytes
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL = 0, 1, 2, 3, 4
F_GETLK, F_SETLK, F_SETLKW, F_DUPFD_CLOEXEC = 5, 6, 7, 1030
F_GETPIPE_SZ, F_SETPIPE_SZ = 1032, 1031
FD_CLOEXEC = 1
_IOVEC = struct.Struct("<QQ")


def _note(k, f) -> None:
    if isinstance(f, PipeEnd):
        k.dirty_pipes.add(f.pipe)


def _readable(task, fd: int):
    f = task.proc.files.get(fd)
    if not f.readable:
        raise FsError(errno.EBADF)
    if getattr(f, "is_dir", False):
        raise FsError(errno.EISDIR)
    return f


def _writable(task, fd: int):
    f = task.proc.files.get(fd)
    if not f.writable:
        raise FsError(errno.EBADF)
    return f


def _read_into(k, task, f, views: list[memoryview], count: int) -> int:
    if not count:
        return 0
    if isinstance(f, HostFile):
        return f.readinto(views)
    data = f.read(count)
    _note(k, f)
    pos = 0
    for v in views:
        if pos >= len(data):
            break
        n = min(len(v), len(data) - pos)
        v[:n] = data[pos : pos + n]
        pos += n
    return len(data)


def _write(k, task, f, data: bytes) -> int:
    try:
        n = f.write(data)
    except FsError as e:
        if e.errno == errno.EPIPE:
            k.send_signal(task, S.SIGPIPE, S.siginfo(S.SIGPIPE, S.SI_USER, task.proc.pid))
        raise
    _note(k, f)
    return n


@syscall("read")
def sys_read(k, task, fd, buf, count, *_):
    f = _readable(task, fd)
    count = min(count, MAX_IO)
    return _read_into(k, task, f, task.proc.mm.views(buf, count, True), count)


@syscall("write")
def sys_write(k, task, fd, buf, count, *_):
    f = _writable(task, fd)
    return _write(k, task, f, task.proc.mm.read(buf, min(count, MAX_IO)))


@syscall("pread64")
def sys_pread(k, task, fd, buf, count, offset, *_):
    f = _readable(task, fd)
    data = f.pread(min(count, MAX_IO), offset)
    task.proc.mm.write(buf, data)
    return len(data)


@syscall("pwrite64")
def sys_pwrite(k, task, fd, buf, count, offset, *_):
    f = _writable(task, fd)
    return f.pwrite(task.proc.mm.read(buf, min(count, MAX_IO)), offset)


def _iovecs(task, iov: int, n: int) -> list[tuple[int, int]]:
    if n > 1024:
        raise FsError(errno.EINVAL)
    raw = task.proc.mm.read(iov, 16 * n)
    return [_IOVEC.unpack_from(raw, 16 * i) for i in range(n)]


@syscall("readv")
def sys_readv(k, task, fd, iov, n, *_):
    f = _readable(task, fd)
    vecs = _iovecs(task, iov, n)
    views, total = [], 0
    for base, length in vecs:
        if length:
            views += task.proc.mm.views(base, length, True)
            total += length
    return _read_into(k, task, f, views, total)


@syscall("writev")
def sys_writev(k, task, fd, iov, n, *_):
    f = _writable(task, fd)
    data = b"".join(task.proc.mm.read(base, length) for base, length in _iovecs(task, iov, n))
    return _write(k, task, f, data)


@syscall("sendfile")
def sys_sendfile(k, task, out_fd, in_fd, offset_ptr, count, *_):
    src = _readable(task, in_fd)
    dst = _writable(task, out_fd)
    mm = task.proc.mm
    count = min(count, 1 << 20)
    if offset_ptr:
        off = mm.read_u64(offset_ptr)
        data = src.pread(count, off)
        mm.write_u64(offset_ptr, off + len(data))
    else:
        data = src.read(count)
        _note(k, src)
    if not data:
        return 0
    n = _write(k, task, dst, data)
    if n < len(data) and not offset_ptr and src.seekable:
        src.seek(n - len(data), 1)
    return n


@syscall("lseek")
def sys_lseek(k, task, fd, offset, whence, *_):
    f = task.proc.files.get(fd)
    if offset >> 63:
        offset -= 1 << 64
    return f.seek(offset, whence)


@syscall("close")
def sys_close(k, task, fd, *_):
    _note(k, task.proc.files.close(fd))
    return 0


@syscall("close_range")
def sys_close_range(k, task, first, last, flags, *_):
    files = task.proc.files
    for fd in [fd for fd in files.fds if first <= fd <= last]:
        if flags & 4:  # CLOSE_RANGE_CLOEXEC
            files.set_cloexec(fd, True)
        else:
            _note(k, files.close(fd))
    return 0


@syscall("dup")
def sys_dup(k, task, fd, *_):
    files = task.proc.files
    return files.install(files.get(fd))


@syscall("dup2")
def sys_dup2(k, task, old, new, *_):
    files = task.proc.files
    f = files.get(old)
    if old == new:
        return new
    if new in files.fds:
        _note(k, files.get(new))
    files.set(new, f)
    return new


@syscall("dup3")
def sys_dup3(k, task, old, new, flags, *_):
    if old == new or flags & ~O_CLOEXEC:
        raise FsError(errno.EINVAL)
    sys_dup2(k, task, old, new)
    task.proc.files.set_cloexec(new, bool(flags & O_CLOEXEC))
    return new


@syscall("fcntl")
def sys_fcntl(k, task, fd, cmd, arg, *_):
    files = task.proc.files
    f = files.get(fd)
    if cmd in (F_DUPFD, F_DUPFD_CLOEXEC):
        return files.install(f, cmd == F_DUPFD_CLOEXEC, lowest=arg)
    if cmd == F_GETFD:
        return FD_CLOEXEC if files.cloexec(fd) else 0
    if cmd == F_SETFD:
        files.set_cloexec(fd, bool(arg & FD_CLOEXEC))
        return 0
    if cmd == F_GETFL:
        return f.flags & ~O_CLOEXEC
    if cmd == F_SETFL:
        f.flags = (f.flags & ~(O_NONBLOCK | 0o2000)) | (arg & (O_NONBLOCK | 0o2000))
        return 0
    if cmd in (F_GETLK, F_SETLK, F_SETLKW):
        if cmd == F_GETLK:
            raw = bytearray(task.proc.mm.read(arg, 32))
            struct.pack_into("<h", raw, 0, 2)  # F_UNLCK: nobody else holds a lock
            task.proc.mm.write(arg, bytes(raw))
        return 0
    if cmd == F_GETPIPE_SZ and isinstance(f, PipeEnd):
        return 65536
    raise FsError(errno.EINVAL)


@syscall("flock", "fsync", "fdatasync", "fadvise64", "syncfs")
def sys_fd_noop(k, task, fd, *_):
    task.proc.files.get(fd)
    return 0


@syscall("sync")
def sys_sync(k, task, *_):
    return 0


@syscall("ioctl")
def sys_ioctl(k, task, fd, request, arg, *_):
    f = task.proc.files.get(fd)
    data = f.ioctl(request & 0xFFFFFFFF)
    if data and arg:
        task.proc.mm.write(arg, data)
    return 0


@syscall("pipe2")
def sys_pipe2(k, task, fds_ptr, flags, *_):
    if flags & ~(O_CLOEXEC | O_NONBLOCK | 0o40000):
        raise FsError(errno.EINVAL)
    files = task.proc.files
    pipe = Pipe()
    r = files.install(PipeEnd(pipe, "r", flags & O_NONBLOCK), bool(flags & O_CLOEXEC))
    w = files.install(PipeEnd(pipe, "w", flags & O_NONBLOCK), bool(flags & O_CLOEXEC))
    try:
        task.proc.mm.write(fds_ptr, struct.pack("<ii", r, w))
    except Exception:
        files.close(r)
        files.close(w)
        raise
    return 0


@syscall("pipe")
def sys_pipe(k, task, fds_ptr, *_):
    return sys_pipe2(k, task, fds_ptr, 0)


@syscall("getdents64")
def sys_getdents64(k, task, fd, dirp, count, *_):
    f = task.proc.files.get(fd)
    entries = f.dirents()
    if entries is None:
        raise FsError(errno.ENOTDIR)
    out = bytearray()
    pos = f.dir_pos
    while pos < len(entries):
        name, ino, dtype = entries[pos]
        raw = name.encode(errors="surrogateescape") + b"\0"
        reclen = (19 + len(raw) + 7) & ~7
        if len(out) + reclen > count:
            break
        rec = bytearray(reclen)
        struct.pack_into("<QqHB", rec, 0, ino, pos + 1, reclen, dtype)
        rec[19 : 19 + len(raw)] = raw
        out += rec
        pos += 1
    if not out and pos < len(entries):
        raise FsError(errno.EINVAL)
    task.proc.mm.write(dirp, bytes(out))
    f.dir_pos = pos
    return len(out)


# -- poll and select ---------------------------------------------------------------------------
POLLIN, POLLOUT, POLLERR, POLLHUP, POLLNVAL = 1, 4, 8, 0x10, 0x20


def _poll_ready(task, fds: list[tuple[int, int]]) -> list[int]:
    out = []
    for fd, events in fds:
        if fd < 0:
            out.append(0)
            continue
        try:
            f = task.proc.files.get(fd)
        except FsError:
            out.append(POLLNVAL)
            continue
        r, w = f.ready()
        rev = (POLLIN if r and events & POLLIN else 0) | (POLLOUT if w and events & POLLOUT else 0)
        if isinstance(f, PipeEnd) and f.end == "r" and not f.pipe.writers:
            rev |= POLLHUP
        out.append(rev)
    return out


def _wait_for_fds(k, task, fds: list[tuple[int, int]], timeout_ns: int | None) -> bool:
    """Nothing is ready: False if the wait is over (timeout), else wait for a change of
    one of the pipes (or the timeout) and run the call again."""
    if timeout_ns == 0 or (task.woken and task.deadline):
        k.clear_deadline(task)
        return False
    keys = [("timeout", task.tid)]
    for fd, _ev in fds:
        try:
            f = task.proc.files.get(fd)
        except FsError:
            continue
        if isinstance(f, PipeEnd):
            keys.append(f.pipe.key("r" if f.end == "r" else "w"))
    if timeout_ns is not None and not task.deadline:
        k.sleep_until(task, k.now() + k.ns_to_ticks(timeout_ns), ("timeout", task.tid))
    raise Block(("multi", tuple(keys)))


@syscall("poll")
def sys_poll(k, task, fds_ptr, nfds, timeout_ms, *_):
    timeout = None if (timeout_ms & 0xFFFFFFFF) >> 31 else timeout_ms * 1_000_000
    return _poll(k, task, fds_ptr, nfds, timeout)


@syscall("ppoll")
def sys_ppoll(k, task, fds_ptr, nfds, tsp, *_):
    timeout = None
    if tsp:
        sec, nsec = struct.unpack("<qq", task.proc.mm.read(tsp, 16))
        timeout = sec * 10**9 + nsec
    return _poll(k, task, fds_ptr, nfds, timeout)


def _poll(k, task, fds_ptr: int, nfds: int, timeout: int | None) -> int:
    mm = task.proc.mm
    raw = bytearray(mm.read(fds_ptr, 8 * nfds))
    fds = [struct.unpack_from("<ih", raw, 8 * i) for i in range(nfds)]
    revents = _poll_ready(task, fds)
    if not any(revents) and not _wait_for_fds(k, task, fds, timeout):
        return 0
    for i, rev in enumerate(revents):
        struct.pack_into("<h", raw, 8 * i + 6, rev)
    mm.write(fds_ptr, bytes(raw))
    k.clear_deadline(task)
    return sum(1 for r in revents if r)


@syscall("select", "pselect6")
def sys_select(k, task, nfds, rfds, wfds, efds, tv, *_):
    mm = task.proc.mm
    nbytes = (nfds + 63) // 64 * 8
    sets = [bytearray(mm.read(p, nbytes)) if p else None for p in (rfds, wfds, efds)]
    fds = []
    for fd in range(nfds):
        ev = 0
        if sets[0] and sets[0][fd // 8] >> (fd % 8) & 1:
            ev |= POLLIN
        if sets[1] and sets[1][fd // 8] >> (fd % 8) & 1:
            ev |= POLLOUT
        if ev:
            fds.append((fd, ev))
    ready = _poll_ready(task, fds)
    if not any(ready):
        timeout = None
        if tv:
            a, b = struct.unpack("<qq", mm.read(tv, 16))
            timeout = a * 10**9 + b * 1000  # a timeval (select); pselect6 gives a timespec
        if not _wait_for_fds(k, task, fds, timeout):
            ready = [0] * len(fds)
    out = [bytearray(nbytes) if s is not None else None for s in sets]
    count = 0
    for (fd, _ev), rev in zip(fds, ready, strict=True):
        for i, bit_ in ((0, POLLIN | POLLHUP), (1, POLLOUT)):
            if out[i] is not None and rev & bit_:
                out[i][fd // 8] |= 1 << (fd % 8)
                count += 1
    for p, o in zip((rfds, wfds, efds), out, strict=True):
        if p and o is not None:
            mm.write(p, bytes(o))
    k.clear_deadline(task)
    return count
