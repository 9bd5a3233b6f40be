"""Memory system calls: brk, mmap, munmap, mremap, mprotect, madvise and friends."""

from __future__ import annotations

import errno

from simobjs.se.files import Device, HostFile, Synthetic
from simobjs.se.fs import FsError
from simobjs.se.mm import MAP_ANONYMOUS, MAP_SHARED, PROT_WRITE, SysError
from simobjs.se.syscalls import syscall

M5OPS_SIZE = 0x10000


@syscall("brk")
def sys_brk(k, task, addr, *_):
    return task.proc.mm.set_brk(addr)


@syscall("mmap")
def sys_mmap(k, task, addr, length, prot, flags, fd, offset):
    mm = task.proc.mm
    if flags & MAP_ANONYMOUS:
        return mm.mmap(addr, length, prot, flags)
    f = task.proc.files.get(fd & 0xFFFFFFFF)
    if isinstance(f, Device) and f.name == "mem":
        return _map_m5ops(k, mm, addr, length, offset)
    if isinstance(f, Device) and f.name == "zero":
        return mm.mmap(addr, length, prot, flags | MAP_ANONYMOUS)
    if not isinstance(f, HostFile | Synthetic) or getattr(f, "is_dir", False):
        raise FsError(errno.ENODEV)
    if not f.readable or (flags & MAP_SHARED and prot & PROT_WRITE and not f.writable):
        raise FsError(errno.EACCES)
    if flags & MAP_SHARED and prot & PROT_WRITE:
        k._warn_once(
            "mmap-shared",
            "a writable MAP_SHARED file mapping is private in SE "
            "mode: its changes do not reach the file",
        )
    return mm.mmap(addr, length, prot, flags, lambda off, n: f.pread(n, off), offset, f.path)


def _map_m5ops(k, mm, addr: int, length: int, offset: int) -> int:
    """util/m5's address form maps /dev/mem at m5ops_base: the device pages."""
    base = k.m5ops_base
    if not base or offset != base or length > M5OPS_SIZE:
        raise SysError(errno.EINVAL)
    return base  # mapped into every address space at its own address


@syscall("munmap")
def sys_munmap(k, task, addr, length, *_):
    task.proc.mm.munmap(addr, length)
    return 0


@syscall("mprotect")
def sys_mprotect(k, task, addr, length, prot, *_):
    task.proc.mm.mprotect(addr, length, prot)
    return 0


@syscall("mremap")
def sys_mremap(k, task, old, old_len, new_len, flags, new_addr, *_):
    return task.proc.mm.mremap(old, old_len, new_len, flags, new_addr)


@syscall("madvise")
def sys_madvise(k, task, addr, length, advice, *_):
    task.proc.mm.madvise(addr, length, advice)
    return 0


@syscall("msync", "mlock", "munlock", "mlockall", "munlockall", "mlock2")
def sys_mem_noop(k, task, *_):
    return 0
