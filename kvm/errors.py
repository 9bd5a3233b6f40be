"""Errors of the /dev/kvm binding: every failed call names its ioctl and errno."""

from __future__ import annotations

import errno as _errno
import os

_HINTS = {
    _errno.EINVAL: "the kernel rejected the argument",
    _errno.ENOTTY: "this fd does not know this ioctl (wrong fd kind?)",
    _errno.EBADF: "the file descriptor is closed or of the wrong kind",
    _errno.E2BIG: "the buffer is too small for the answer",
    _errno.EEXIST: "the object already exists",
    _errno.EFAULT: "a pointer passed to the kernel is not mapped",
    _errno.ENOENT: "the kernel has no such object or event",
}


class KvmError(OSError):
    """A KVM call failed: `ioctl` is the call's name, `errno` the error number."""

    def __init__(self, ioctl: str, errno: int, message: str | None = None) -> None:
        text = message or _HINTS.get(errno, "")
        detail = f"{ioctl} failed: [Errno {errno}] {os.strerror(errno)}"
        if text:
            detail += f" ({text})"
        super().__init__(errno, detail)
        self.ioctl = ioctl
        self.message = text

    def __str__(self) -> str:
        return self.strerror or ""

    def __reduce__(self):
        return (type(self), (self.ioctl, self.errno, self.message))


class KvmUnavailable(KvmError):
    """/dev/kvm is missing or not usable by this user; `remedy` says what to do."""

    def __init__(self, path: str, errno: int, remedy: str) -> None:
        super().__init__(f"open({path})", errno, remedy)
        self.path = path
        self.remedy = remedy

    def __reduce__(self):
        return (type(self), (self.path, self.errno, self.remedy))


def remedy_for(path: str, err: int) -> str:
    """What a user can do when opening the KVM device failed with `err`."""
    if err == _errno.ENOENT:
        return (
            f"{path} does not exist: load the KVM module (modprobe kvm_intel or "
            "modprobe kvm_amd) and check that virtualization is enabled in the firmware"
        )
    if err in (_errno.EACCES, _errno.EPERM):
        return (
            f"no permission to open {path}: add the user to group kvm "
            "(usermod -aG kvm $USER, then log in again) or fix its permissions (0660, group kvm)"
        )
    return f"cannot use {path}"


def check(result: int, ioctl: str) -> int:
    """Return `result` if it is >= 0, else raise KvmError for -errno `result`."""
    if result < 0:
        raise KvmError(ioctl, -result)
    return result
