"""System calls on paths: open, stat, access, readlink, directories, links, modes.

Every path goes through the sandbox (`simobjs.se.fs`); anything that would change
a file outside the output directory fails with EROFS.
"""

from __future__ import annotations

import errno
import os
import stat as st_mod
import struct

from simobjs.se.files import (
    O_ACCMODE,
    O_CLOEXEC,
    O_CREAT,
    O_DIRECTORY,
    O_NOFOLLOW,
    O_PATH,
    O_RDONLY,
    O_TRUNC,
    Device,
    HostFile,
    OpenFile,
    StatInfo,
    Synthetic,
)
from simobjs.se.fs import FsError, Resolved
from simobjs.se.syscalls import syscall

AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_EMPTY_PATH = 0x100, 0x200, 0x1000


def _signed(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def path_arg(task, ptr: int) -> str:
    return task.proc.mm.read_cstr(ptr).decode(errors="surrogateescape")


def resolve(k, proc, path: str, dirfd: int = AT_FDCWD, follow: bool = True) -> Resolved:
    """A guest path (relative to `dirfd` or the cwd) in the sandbox."""
    base = proc.cwd
    dirfd = _signed(dirfd)
    if not path.startswith("/") and dirfd != AT_FDCWD:
        f = proc.files.get(dirfd)
        if not getattr(f, "is_dir", False):
            raise FsError(errno.ENOTDIR)
        base = f.path
    return k.sandbox.resolve(base, path, follow, proc.pid, proc.exe_guest)


def open_resolved(k, proc, r: Resolved, flags: int, mode: int) -> OpenFile:
    acc = flags & O_ACCMODE
    if r.kind == "dev":
        return Device(r.name, flags, k.random)
    if r.kind == "proc":
        if acc != O_RDONLY:
            raise FsError(errno.EACCES)
        if r.name == "exe":
            raise FsError(errno.ELOOP)
        return Synthetic(r.guest, proc_file(proc, r.name), flags)
    if r.kind == "virtual-dir":
        raise FsError(errno.EACCES)
    wants_write = acc != O_RDONLY or flags & (O_TRUNC | O_CREAT)
    if wants_write and not r.writable:
        if flags & O_CREAT or os.path.lexists(r.host):
            raise FsError(errno.EROFS)
        raise FsError(errno.ENOENT)
    if flags & O_PATH:
        flags = (flags & ~O_ACCMODE) | O_RDONLY
    f = HostFile(r.guest, r.host, flags, mode & ~proc.umask & 0o7777)
    if flags & O_DIRECTORY and not f.is_dir:
        f.release()
        raise FsError(errno.ENOTDIR)
    return f


def proc_file(proc, name: str) -> bytes:
    if name == "maps":
        return proc.mm.maps_text().encode()
    if name == "cmdline":
        return b"".join(a + b"\0" for a in proc.argv)
    if name == "status":
        return (
            f"Name:\t{proc.name.decode(errors='replace')}\nState:\tR (running)\n"
            f"Tgid:\t{proc.pid}\nPid:\t{proc.pid}\nPPid:\t{proc.ppid}\n"
            f"Uid:\t{proc.uid}\t{proc.euid}\t{proc.uid}\t{proc.uid}\n"
            f"Gid:\t{proc.gid}\t{proc.egid}\t{proc.gid}\t{proc.gid}\n"
            f"Threads:\t{len(proc.tasks)}\n"
        ).encode()
    raise FsError(errno.ENOENT)


@syscall("openat")
def sys_openat(k, task, dirfd, path_ptr, flags, mode, *_):
    proc = task.proc
    path = path_arg(task, path_ptr)
    r = resolve(k, proc, path, dirfd, follow=not flags & O_NOFOLLOW)
    f = open_resolved(k, proc, r, flags, mode)
    return proc.files.install(f, bool(flags & O_CLOEXEC))


@syscall("open")
def sys_open(k, task, path_ptr, flags, mode, *_):
    return sys_openat(k, task, AT_FDCWD, path_ptr, flags, mode)


@syscall("creat")
def sys_creat(k, task, path_ptr, mode, *_):
    return sys_openat(k, task, AT_FDCWD, path_ptr, 0o1101, mode)  # O_CREAT|O_WRONLY|O_TRUNC


def stat_of(k, proc, r: Resolved, follow: bool) -> StatInfo:
    if r.kind == "dev":
        return Device(r.name, 0, None).stat()
    if r.kind == "virtual-dir":
        return StatInfo(dev=4, ino=1, nlink=2, mode=st_mod.S_IFDIR | 0o555)
    if r.kind == "proc":
        if r.name == "exe":
            return StatInfo(dev=4, ino=2, mode=st_mod.S_IFLNK | 0o777, size=len(proc.exe_guest))
        return StatInfo(dev=4, ino=3, mode=st_mod.S_IFREG | 0o444)
    try:
        s = os.stat(r.host) if follow else os.lstat(r.host)
    except OSError as e:
        raise FsError(e.errno) from None
    return StatInfo.of(s)


def _stat_target(k, task, dirfd: int, path_ptr: int, flags: int) -> StatInfo:
    proc = task.proc
    path = path_arg(task, path_ptr)
    if not path:
        if not flags & AT_EMPTY_PATH:
            raise FsError(errno.ENOENT)
        dirfd = _signed(dirfd)
        if dirfd == AT_FDCWD:
            return stat_of(k, proc, resolve(k, proc, "."), True)
        return proc.files.get(dirfd).stat()
    follow = not flags & AT_SYMLINK_NOFOLLOW
    return stat_of(k, proc, resolve(k, proc, path, dirfd, follow), follow)


@syscall("newfstatat")
def sys_newfstatat(k, task, dirfd, path_ptr, buf, flags, *_):
    task.proc.mm.write(buf, _stat_target(k, task, dirfd, path_ptr, flags).pack())
    return 0


@syscall("stat")
def sys_stat(k, task, path_ptr, buf, *_):
    return sys_newfstatat(k, task, AT_FDCWD, path_ptr, buf, 0)


@syscall("lstat")
def sys_lstat(k, task, path_ptr, buf, *_):
    return sys_newfstatat(k, task, AT_FDCWD, path_ptr, buf, AT_SYMLINK_NOFOLLOW)


@syscall("fstat")
def sys_fstat(k, task, fd, buf, *_):
    task.proc.mm.write(buf, task.proc.files.get(fd).stat().pack())
    return 0


@syscall("statx")
def sys_statx(k, task, dirfd, path_ptr, flags, mask, buf, *_):
    task.proc.mm.write(buf, _stat_target(k, task, dirfd, path_ptr, flags).pack_statx())
    return 0


@syscall("faccessat", "faccessat2")
def sys_faccessat(k, task, dirfd, path_ptr, mode, flags, *_):
    proc = task.proc
    r = resolve(k, proc, path_arg(task, path_ptr), dirfd, not flags & AT_SYMLINK_NOFOLLOW)
    if r.kind != "host":
        return 0 if not mode & 1 or r.kind == "virtual-dir" else -errno.EACCES
    if not os.path.lexists(r.host):
        raise FsError(errno.ENOENT)
    if mode & 2 and not r.writable:
        raise FsError(errno.EROFS)
    if mode & 5 and not os.access(r.host, mode & 5):
        raise FsError(errno.EACCES)
    return 0


@syscall("access")
def sys_access(k, task, path_ptr, mode, *_):
    return sys_faccessat(k, task, AT_FDCWD, path_ptr, mode, 0)


@syscall("readlinkat")
def sys_readlinkat(k, task, dirfd, path_ptr, buf, size, *_):
    proc = task.proc
    if _signed(size) <= 0:
        raise FsError(errno.EINVAL)
    r = resolve(k, proc, path_arg(task, path_ptr), dirfd, follow=False)
    if r.kind == "proc" and r.name == "exe":
        target = proc.exe_guest.encode(errors="surrogateescape")
    elif r.kind != "host":
        raise FsError(errno.EINVAL)
    else:
        try:
            target = os.readlink(r.host).encode(errors="surrogateescape")
        except OSError as e:
            raise FsError(e.errno) from None
    target = target[:size]
    proc.mm.write(buf, target)
    return len(target)


@syscall("readlink")
def sys_readlink(k, task, path_ptr, buf, size, *_):
    return sys_readlinkat(k, task, AT_FDCWD, path_ptr, buf, size)


@syscall("getcwd")
def sys_getcwd(k, task, buf, size, *_):
    data = task.proc.cwd.encode(errors="surrogateescape") + b"\0"
    if size < len(data):
        raise FsError(errno.ERANGE)
    task.proc.mm.write(buf, data)
    return len(data)


def _chdir(proc, r: Resolved) -> int:
    if r.kind == "virtual-dir":
        proc.cwd = r.guest
        return 0
    if r.kind != "host" or not os.path.isdir(r.host):
        raise FsError(
            errno.ENOTDIR if r.kind == "host" and os.path.exists(r.host) else errno.ENOENT
        )
    proc.cwd = r.guest
    return 0


@syscall("chdir")
def sys_chdir(k, task, path_ptr, *_):
    return _chdir(task.proc, resolve(k, task.proc, path_arg(task, path_ptr)))


@syscall("fchdir")
def sys_fchdir(k, task, fd, *_):
    f = task.proc.files.get(fd)
    if not getattr(f, "is_dir", False):
        raise FsError(errno.ENOTDIR)
    task.proc.cwd = f.path
    return 0


def _writable(k, task, dirfd: int, path_ptr: int, follow: bool = False) -> Resolved:
    r = resolve(k, task.proc, path_arg(task, path_ptr), dirfd, follow)
    if r.kind != "host" or not r.writable:
        raise FsError(errno.EROFS)
    return r


def _host_call(fn, *args) -> int:
    try:
        fn(*args)
    except OSError as e:
        raise FsError(e.errno) from None
    return 0


@syscall("unlinkat")
def sys_unlinkat(k, task, dirfd, path_ptr, flags, *_):
    r = _writable(k, task, dirfd, path_ptr)
    return _host_call(os.rmdir if flags & AT_REMOVEDIR else os.unlink, r.host)


@syscall("unlink")
def sys_unlink(k, task, path_ptr, *_):
    return sys_unlinkat(k, task, AT_FDCWD, path_ptr, 0)


@syscall("rmdir")
def sys_rmdir(k, task, path_ptr, *_):
    return sys_unlinkat(k, task, AT_FDCWD, path_ptr, AT_REMOVEDIR)


@syscall("mkdirat")
def sys_mkdirat(k, task, dirfd, path_ptr, mode, *_):
    r = _writable(k, task, dirfd, path_ptr)
    return _host_call(os.mkdir, r.host, mode & ~task.proc.umask & 0o7777)


@syscall("mkdir")
def sys_mkdir(k, task, path_ptr, mode, *_):
    return sys_mkdirat(k, task, AT_FDCWD, path_ptr, mode)


@syscall("renameat", "renameat2")
def sys_renameat(k, task, olddir, old_ptr, newdir, new_ptr, *_):
    a = _writable(k, task, olddir, old_ptr)
    b = _writable(k, task, newdir, new_ptr)
    return _host_call(os.rename, a.host, b.host)


@syscall("rename")
def sys_rename(k, task, old_ptr, new_ptr, *_):
    return sys_renameat(k, task, AT_FDCWD, old_ptr, AT_FDCWD, new_ptr)


@syscall("symlinkat")
def sys_symlinkat(k, task, target_ptr, dirfd, path_ptr, *_):
    r = _writable(k, task, dirfd, path_ptr)
    return _host_call(os.symlink, path_arg(task, target_ptr), r.host)


@syscall("symlink")
def sys_symlink(k, task, target_ptr, path_ptr, *_):
    return sys_symlinkat(k, task, target_ptr, AT_FDCWD, path_ptr)


@syscall("fchmodat")
def sys_fchmodat(k, task, dirfd, path_ptr, mode, *_):
    r = _writable(k, task, dirfd, path_ptr, follow=True)
    return _host_call(os.chmod, r.host, mode & 0o7777)


@syscall("chmod")
def sys_chmod(k, task, path_ptr, mode, *_):
    return sys_fchmodat(k, task, AT_FDCWD, path_ptr, mode)


@syscall("fchmod")
def sys_fchmod(k, task, fd, mode, *_):
    f = task.proc.files.get(fd)
    if not isinstance(f, HostFile) or not k.sandbox.is_writable(f.host):
        raise FsError(errno.EROFS)
    return _host_call(os.fchmod, f.fd, mode & 0o7777)


@syscall("chown", "lchown", "fchown", "fchownat")
def sys_chown(k, task, *_):
    return 0  # ownership is the host's; the program's ids are simulated


@syscall("utimensat")
def sys_utimensat(k, task, dirfd, path_ptr, times, flags, *_):
    if not path_ptr:
        f = task.proc.files.get(_signed(dirfd))
        host = getattr(f, "host", None)
        if host is None or not k.sandbox.is_writable(host):
            raise FsError(errno.EROFS)
    else:
        host = _writable(k, task, dirfd, path_ptr, not flags & AT_SYMLINK_NOFOLLOW).host
    if not times:
        return _host_call(os.utime, host)
    raw = task.proc.mm.read(times, 32)
    ns = []
    for i in (0, 16):
        sec = int.from_bytes(raw[i : i + 8], "little", signed=True)
        nsec = int.from_bytes(raw[i + 8 : i + 16], "little", signed=True)
        if nsec in (0x3FFFFFFF, 0x3FFFFFFE):  # UTIME_NOW, UTIME_OMIT
            s = os.stat(host)
            ns.append(s.st_atime_ns if i == 0 else s.st_mtime_ns)
        else:
            ns.append(sec * 10**9 + nsec)
    return _host_call(os.utime, host, None, ns=tuple(ns))


@syscall("truncate")
def sys_truncate(k, task, path_ptr, length, *_):
    r = _writable(k, task, AT_FDCWD, path_ptr, follow=True)
    return _host_call(os.truncate, r.host, length)


@syscall("ftruncate")
def sys_ftruncate(k, task, fd, length, *_):
    f = task.proc.files.get(fd)
    if not isinstance(f, HostFile) or not f.writable:
        raise FsError(errno.EINVAL if not isinstance(f, HostFile) else errno.EBADF)
    return _host_call(os.ftruncate, f.fd, length)


@syscall("umask")
def sys_umask(k, task, mask, *_):
    old = task.proc.umask
    task.proc.umask = mask & 0o777
    return old


@syscall("statfs", "fstatfs")
def sys_statfs(k, task, target, buf, *_):
    raw = bytearray(120)  # struct statfs: type, bsize, blocks, bfree, bavail, files, ffree
    struct.pack_into("<qqQQQQQ", raw, 0, 0xEF53, 4096, 1 << 20, 1 << 19, 1 << 19, 1 << 16, 1 << 15)
    struct.pack_into("<q", raw, 64, 255)  # f_namelen
    struct.pack_into("<q", raw, 72, 4096)  # f_frsize
    task.proc.mm.write(buf, bytes(raw))
    return 0
