"""Open files of SE processes (Linux's open file descriptions) and the descriptor
table (gem5's FDArray).

A description is shared by the descriptors dup() and fork() make, with one offset:
host files keep theirs in one host descriptor. Pipes live in the simulator; a
read of an empty pipe (or a write to a full one) raises `Block`, and the kernel
runs the call again when the pipe changes. For checkpoints a description says
what it is (`state()`); host files are reopened by path and seeked at restore, as
gem5's FDArray does, and pipes cannot be checkpointed.
"""

from __future__ import annotations

import errno
import os
import stat as st_mod
import struct
import sys
from dataclasses import dataclass

from simobjs.se.fs import FsError

O_ACCMODE, O_RDONLY, O_WRONLY, O_RDWR = 3, 0, 1, 2
O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND, O_NONBLOCK = (
    0o100,
    0o200,
    0o400,
    0o1000,
    0o2000,
    0o4000,
)
O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC, O_PATH = 0o200000, 0o400000, 0o2000000, 0o10000000
PIPE_SIZE = 65536
PIPE_BUF = 4096
DT_UNKNOWN, DT_FIFO, DT_CHR, DT_DIR, DT_REG, DT_LNK = 0, 1, 2, 4, 8, 10
TCGETS, TIOCGWINSZ, TIOCGPGRP, FIONREAD = 0x5401, 0x5413, 0x540F, 0x541B
_HOST_FLAGS = O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_DIRECTORY | O_NOFOLLOW


class Block(Exception):
    """The call cannot go on now: run it again once `key` is woken."""

    def __init__(self, key: tuple) -> None:
        super().__init__(key)
        self.key = key


@dataclass
class StatInfo:
    dev: int = 0
    ino: int = 0
    nlink: int = 1
    mode: int = 0
    uid: int = 0
    gid: int = 0
    rdev: int = 0
    size: int = 0
    blksize: int = 4096
    blocks: int = 0
    atime_ns: int = 0
    mtime_ns: int = 0
    ctime_ns: int = 0

    @classmethod
    def of(cls, s: os.stat_result) -> StatInfo:
        return cls(
            s.st_dev,
            s.st_ino,
            s.st_nlink,
            s.st_mode,
            s.st_uid,
            s.st_gid,
            s.st_rdev,
            s.st_size,
            s.st_blksize,
            s.st_blocks,
            s.st_atime_ns,
            s.st_mtime_ns,
            s.st_ctime_ns,
        )

    _STAT = struct.Struct("<QQQIIIIQqqqqqqqqq24x")

    def pack(self) -> bytes:
        """struct stat (x86-64, 144 bytes)."""
        t = [divmod(ns, 10**9) for ns in (self.atime_ns, self.mtime_ns, self.ctime_ns)]
        return self._STAT.pack(
            self.dev,
            self.ino,
            self.nlink,
            self.mode,
            self.uid,
            self.gid,
            0,
            self.rdev,
            self.size,
            self.blksize,
            self.blocks,
            *t[0],
            *t[1],
            *t[2],
        )

    def pack_statx(self) -> bytes:
        """struct statx (256 bytes), every basic field valid (STATX_BASIC_STATS)."""
        raw = bytearray(256)
        struct.pack_into(
            "<IIQIIIHxxQQQQ",
            raw,
            0,
            0x7FF,
            self.blksize,
            0,
            self.nlink,
            self.uid,
            self.gid,
            self.mode,
            self.ino,
            self.size,
            self.blocks,
            0,
        )
        for i, ns in enumerate((self.atime_ns, self.ctime_ns, self.ctime_ns, self.mtime_ns)):
            sec, nsec = divmod(ns, 10**9)
            struct.pack_into("<qI", raw, 64 + 16 * i, sec, nsec)
        struct.pack_into(
            "<IIII",
            raw,
            128,
            os.major(self.rdev),
            os.minor(self.rdev),
            os.major(self.dev),
            os.minor(self.dev),
        )
        return bytes(raw)


def char_device(major: int, minor: int) -> StatInfo:
    return StatInfo(
        dev=5, ino=major * 256 + minor, mode=st_mod.S_IFCHR | 0o666, rdev=os.makedev(major, minor)
    )


class OpenFile:
    """An open file description."""

    kind = "file"
    seekable = False

    def __init__(self, path: str, flags: int) -> None:
        self.path = path
        self.flags = flags
        self.refs = 0

    @property
    def readable(self) -> bool:
        return self.flags & O_ACCMODE in (O_RDONLY, O_RDWR)

    @property
    def writable(self) -> bool:
        return self.flags & O_ACCMODE in (O_WRONLY, O_RDWR)

    def read(self, n: int) -> bytes:
        raise FsError(errno.EINVAL)

    def write(self, data: bytes) -> int:
        raise FsError(errno.EINVAL)

    def pread(self, n: int, offset: int) -> bytes:
        raise FsError(errno.ESPIPE)

    def pwrite(self, data: bytes, offset: int) -> int:
        raise FsError(errno.ESPIPE)

    def seek(self, offset: int, whence: int) -> int:
        raise FsError(errno.ESPIPE)

    def stat(self) -> StatInfo:
        return StatInfo(mode=st_mod.S_IFREG | 0o444)

    def ioctl(self, request: int) -> bytes:
        raise FsError(errno.ENOTTY)

    def dirents(self) -> list[tuple[str, int, int]] | None:
        return None

    def ready(self) -> tuple[bool, bool]:
        """(a read would not block, a write would not block)."""
        return True, True

    def release(self) -> None:
        """The last descriptor of this description was closed."""

    def state(self) -> dict:
        raise FsError(errno.EOPNOTSUPP)


class HostFile(OpenFile):
    """A host file or directory, through one host descriptor."""

    kind = "host"
    seekable = True

    def __init__(self, path: str, host: str, flags: int, mode: int = 0o644) -> None:
        super().__init__(path, flags)
        self.host = host
        try:
            self.fd = os.open(host, (flags & _HOST_FLAGS) | os.O_CLOEXEC, mode)
        except OSError as e:
            raise FsError(e.errno) from None
        self.is_dir = st_mod.S_ISDIR(os.fstat(self.fd).st_mode)
        self._entries: list[tuple[str, int, int]] | None = None
        self.dir_pos = 0

    def read(self, n: int) -> bytes:
        return _host(os.read, self.fd, n)

    def readinto(self, views: list[memoryview]) -> int:
        return _host(os.readv, self.fd, views)

    def write(self, data: bytes) -> int:
        return _host(os.write, self.fd, data)

    def pread(self, n: int, offset: int) -> bytes:
        return _host(os.pread, self.fd, n, offset)

    def pwrite(self, data: bytes, offset: int) -> int:
        return _host(os.pwrite, self.fd, data, offset)

    def seek(self, offset: int, whence: int) -> int:
        if self.is_dir:
            if whence != 0 or offset < 0:
                raise FsError(errno.EINVAL)
            self.dir_pos = offset
            return offset
        return _host(os.lseek, self.fd, offset, whence)

    def stat(self) -> StatInfo:
        return StatInfo.of(_host(os.fstat, self.fd))

    def ioctl(self, request: int) -> bytes:
        if request in (TCGETS, TIOCGWINSZ, TIOCGPGRP) and os.isatty(self.fd):
            import fcntl

            size = {TCGETS: 36, TIOCGWINSZ: 8, TIOCGPGRP: 4}[request]
            return _host(fcntl.ioctl, self.fd, request, bytes(size))
        raise FsError(errno.ENOTTY)

    def dirents(self) -> list[tuple[str, int, int]] | None:
        if not self.is_dir:
            return None
        if self._entries is None:
            own = os.fstat(self.fd).st_ino
            entries = [(".", own, DT_DIR), ("..", own, DT_DIR)]
            try:
                with os.scandir(self.host) as it:
                    for e in it:
                        entries.append((e.name, e.inode(), _dtype(e)))
            except OSError as e:
                raise FsError(e.errno) from None
            self._entries = entries
        return self._entries

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def state(self) -> dict:
        pos = self.dir_pos if self.is_dir else os.lseek(self.fd, 0, os.SEEK_CUR)
        return {
            "kind": "host",
            "path": self.path,
            "host": self.host,
            "flags": self.flags,
            "offset": pos,
        }


def _dtype(entry: os.DirEntry) -> int:
    try:
        if entry.is_symlink():
            return DT_LNK
        if entry.is_dir(follow_symlinks=False):
            return DT_DIR
        if entry.is_file(follow_symlinks=False):
            return DT_REG
    except OSError:
        pass
    return DT_UNKNOWN


def _host(fn, *args):
    try:
        return fn(*args)
    except OSError as e:
        raise FsError(e.errno or errno.EIO) from None


class Stream(HostFile):
    """A standard stream of the first process (Process.input/output/errout): the
    simulator's stdin/stdout/stderr (`cin`, `cout`, `cerr`) or a host file."""

    kind = "stream"

    def __init__(
        self,
        role: str,
        name: str,
        host: str | None,
        flags: int,
        offset: int = 0,
        truncate: bool = True,
    ) -> None:
        OpenFile.__init__(self, name, flags)
        self.role, self.name, self.host = role, name, host
        self.is_dir = False
        self._entries = None
        self.dir_pos = 0
        if host is None:
            self.fd = {"cin": 0, "cout": 1, "cerr": 2}[name]
            self.owned = False
        else:
            mode = os.O_RDONLY if role == "input" else os.O_WRONLY | os.O_CREAT
            if role != "input" and truncate:
                mode |= os.O_TRUNC
            try:
                self.fd = os.open(host, mode | os.O_CLOEXEC, 0o644)
            except OSError as e:
                raise FsError(e.errno) from None
            self.owned = True
            if offset:
                os.lseek(self.fd, offset, os.SEEK_SET)
        self.seekable = host is not None

    def write(self, data: bytes) -> int:
        if not self.owned:
            (sys.stdout if self.fd == 1 else sys.stderr).flush()
        return super().write(data)

    def release(self) -> None:
        if self.owned:
            super().release()

    def state(self) -> dict:
        offset = os.lseek(self.fd, 0, os.SEEK_CUR) if self.owned else 0
        return {
            "kind": "stream",
            "role": self.role,
            "name": self.name,
            "host": self.host,
            "flags": self.flags,
            "offset": offset,
        }


class Pipe:
    """The buffer of one pipe, shared by its two ends."""

    _ids = 0

    def __init__(self) -> None:
        Pipe._ids += 1
        self.id = Pipe._ids
        self.buf = bytearray()
        self.readers = 0
        self.writers = 0
        self.wakeups: list[tuple] = []  # keys the kernel should wake (filled by the ends)

    def key(self, end: str) -> tuple:
        return ("pipe", self.id, end)


class PipeEnd(OpenFile):
    kind = "pipe"

    def __init__(self, pipe: Pipe, end: str, flags: int) -> None:
        super().__init__(f"pipe:[{pipe.id}]", flags | (O_RDONLY if end == "r" else O_WRONLY))
        self.pipe = pipe
        self.end = end
        if end == "r":
            pipe.readers += 1
        else:
            pipe.writers += 1

    def read(self, n: int) -> bytes:
        p = self.pipe
        if self.end != "r":
            raise FsError(errno.EBADF)
        if not p.buf:
            if not p.writers:
                return b""
            if self.flags & O_NONBLOCK:
                raise FsError(errno.EAGAIN)
            raise Block(p.key("r"))
        data = bytes(p.buf[:n])
        del p.buf[:n]
        p.wakeups.append(p.key("w"))
        return data

    def write(self, data: bytes) -> int:
        p = self.pipe
        if self.end != "w":
            raise FsError(errno.EBADF)
        if not p.readers:
            raise FsError(errno.EPIPE)
        room = PIPE_SIZE - len(p.buf)
        if not data:
            return 0
        if room <= 0 or (len(data) <= PIPE_BUF and room < len(data)):
            if self.flags & O_NONBLOCK:
                raise FsError(errno.EAGAIN)
            raise Block(p.key("w"))
        n = min(room, len(data))
        p.buf += data[:n]
        p.wakeups.append(p.key("r"))
        return n

    def stat(self) -> StatInfo:
        return StatInfo(dev=12, ino=self.pipe.id, mode=st_mod.S_IFIFO | 0o600, blksize=4096)

    def ioctl(self, request: int) -> bytes:
        if request == FIONREAD:
            return struct.pack("<i", len(self.pipe.buf))
        raise FsError(errno.ENOTTY)

    def ready(self) -> tuple[bool, bool]:
        p = self.pipe
        return bool(p.buf) or not p.writers, len(p.buf) < PIPE_SIZE or not p.readers

    def release(self) -> None:
        p = self.pipe
        if self.end == "r":
            p.readers -= 1
            p.wakeups.append(p.key("w"))
        else:
            p.writers -= 1
            p.wakeups.append(p.key("r"))


class Device(OpenFile):
    """/dev/null, /dev/zero, /dev/urandom, /dev/random, /dev/mem."""

    kind = "dev"
    seekable = True
    NUMBERS = {"null": (1, 3), "zero": (1, 5), "random": (1, 8), "urandom": (1, 9), "mem": (1, 1)}

    def __init__(self, name: str, flags: int, random_bytes) -> None:
        super().__init__(f"/dev/{name}", flags)
        self.name = name
        self._random = random_bytes

    def read(self, n: int) -> bytes:
        if self.name == "null":
            return b""
        if self.name == "zero":
            return bytes(n)
        if self.name in ("random", "urandom"):
            return self._random(n)
        raise FsError(errno.EIO)

    def write(self, data: bytes) -> int:
        if self.name == "mem":
            raise FsError(errno.EIO)
        return len(data)

    def seek(self, offset: int, whence: int) -> int:
        return 0

    def stat(self) -> StatInfo:
        return char_device(*self.NUMBERS[self.name])

    def state(self) -> dict:
        return {"kind": "dev", "name": self.name, "flags": self.flags}


class Synthetic(OpenFile):
    """A read-only file made by the simulator (/proc/self/maps ...)."""

    kind = "synthetic"
    seekable = True

    def __init__(self, path: str, data: bytes, flags: int) -> None:
        super().__init__(path, flags)
        self.data = data
        self.pos = 0

    def read(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        self.pos += len(out)
        return out

    def pread(self, n: int, offset: int) -> bytes:
        return self.data[offset : offset + n]

    def seek(self, offset: int, whence: int) -> int:
        base = {0: 0, 1: self.pos, 2: len(self.data)}.get(whence)
        if base is None or base + offset < 0:
            raise FsError(errno.EINVAL)
        self.pos = base + offset
        return self.pos

    def stat(self) -> StatInfo:
        return StatInfo(dev=4, ino=hash(self.path) & 0xFFFF, mode=st_mod.S_IFREG | 0o444)

    def state(self) -> dict:
        return {
            "kind": "synthetic",
            "path": self.path,
            "data": self.data.hex(),
            "flags": self.flags,
            "offset": self.pos,
        }


class FdTable:
    """Descriptor number -> (description, close-on-exec)."""

    MAX = 1024

    def __init__(self) -> None:
        self.fds: dict[int, tuple[OpenFile, bool]] = {}

    def get(self, fd: int) -> OpenFile:
        entry = self.fds.get(fd)
        if entry is None:
            raise FsError(errno.EBADF)
        return entry[0]

    def install(self, f: OpenFile, cloexec: bool = False, lowest: int = 0) -> int:
        fd = lowest
        while fd in self.fds:
            fd += 1
        if fd >= self.MAX:
            raise FsError(errno.EMFILE)
        self.set(fd, f, cloexec)
        return fd

    def set(self, fd: int, f: OpenFile, cloexec: bool = False) -> None:
        if not 0 <= fd < self.MAX:
            raise FsError(errno.EBADF)
        f.refs += 1
        if fd in self.fds:
            self.close(fd)
        self.fds[fd] = (f, cloexec)

    def close(self, fd: int) -> OpenFile:
        entry = self.fds.pop(fd, None)
        if entry is None:
            raise FsError(errno.EBADF)
        f = entry[0]
        f.refs -= 1
        if f.refs == 0:
            f.release()
        return f

    def cloexec(self, fd: int) -> bool:
        return self.fds[fd][1]

    def set_cloexec(self, fd: int, on: bool) -> None:
        f, _ = self.fds[fd]
        self.fds[fd] = (f, on)

    def copy(self) -> FdTable:
        new = FdTable()
        for fd, (f, ce) in self.fds.items():
            f.refs += 1
            new.fds[fd] = (f, ce)
        return new

    def close_on_exec(self) -> list[OpenFile]:
        """Close the close-on-exec descriptors; returns what they referred to."""
        return [self.close(fd) for fd in [fd for fd, (_f, ce) in self.fds.items() if ce]]

    def close_all(self) -> list[OpenFile]:
        """Close every descriptor; returns what they referred to."""
        return [self.close(fd) for fd in list(self.fds)]
