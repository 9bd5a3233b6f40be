"""The system fd (/dev/kvm): API version, capabilities, supported CPUID and MSRs."""

from __future__ import annotations

import errno
import os

from kvm._kvm_ffi import ffi, lib
from kvm.errors import KvmError, KvmUnavailable, check, remedy_for
from kvm.state import CpuidEntry, cpuid_from_c

KVM_API_VERSION = lib.KVM_API_VERSION

#: Capability name (lower case, without KVM_CAP_) -> number, from the headers.
CAPABILITIES: dict[str, int] = {
    name[len("KVM_CAP_") :].lower(): getattr(lib, name)
    for name in dir(lib)
    if name.startswith("KVM_CAP_")
}


def capability_number(cap: int | str) -> int:
    """The number of a capability given by number or by name ("coalesced_mmio")."""
    if isinstance(cap, int):
        return cap
    key = cap.lower().removeprefix("kvm_cap_")
    try:
        return CAPABILITIES[key]
    except KeyError:
        known = ", ".join(sorted(CAPABILITIES))
        raise ValueError(f"unknown KVM capability {cap!r}; known: {known}") from None


class Kvm:
    """An open /dev/kvm. Use as a context manager or call close()."""

    def __init__(self, path: str = "/dev/kvm") -> None:
        try:
            self.fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        except OSError as e:
            raise KvmUnavailable(path, e.errno or 0, remedy_for(path, e.errno or 0)) from e
        self.path = path
        version = self.api_version()
        if version != KVM_API_VERSION:
            os.close(self.fd)
            raise KvmError(
                "KVM_GET_API_VERSION",
                0,
                f"incompatible KVM API version {version}, expected {KVM_API_VERSION}",
            )
        self._mmap_size: int | None = None

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Kvm:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def api_version(self) -> int:
        """KVM_GET_API_VERSION."""
        return check(lib.so_ioctl_int(self.fd, lib.KVM_GET_API_VERSION, 0), "KVM_GET_API_VERSION")

    def check_extension(self, cap: int | str) -> int:
        """KVM_CHECK_EXTENSION: 0 if absent, else a capability-specific value."""
        number = capability_number(cap)
        return check(
            lib.so_ioctl_int(self.fd, lib.KVM_CHECK_EXTENSION, number), "KVM_CHECK_EXTENSION"
        )

    def capabilities(self) -> dict[str, int]:
        """Every capability the headers name, with the value this host reports."""
        return {name: self.check_extension(n) for name, n in sorted(CAPABILITIES.items())}

    def vcpu_mmap_size(self) -> int:
        """KVM_GET_VCPU_MMAP_SIZE: bytes to mmap from a vCPU fd (kvm_run and ring pages)."""
        if self._mmap_size is None:
            self._mmap_size = check(
                lib.so_ioctl_int(self.fd, lib.KVM_GET_VCPU_MMAP_SIZE, 0),
                "KVM_GET_VCPU_MMAP_SIZE",
            )
        return self._mmap_size

    def supported_cpuid(self, max_entries: int = 256) -> list[CpuidEntry]:
        """KVM_GET_SUPPORTED_CPUID (grows the buffer on E2BIG)."""
        n = max_entries
        while True:
            entries = ffi.new("struct kvm_cpuid_entry2[]", n)
            nent = ffi.new("unsigned int *")
            r = lib.so_cpuid2(self.fd, lib.KVM_GET_SUPPORTED_CPUID, n, entries, nent)
            if r == -errno.E2BIG and n < 65536:
                n *= 2
                continue
            check(r, "KVM_GET_SUPPORTED_CPUID")
            return [cpuid_from_c(entries[i]) for i in range(nent[0])]

    def _index_list(self, request: int, name: str) -> list[int]:
        n = 512
        while True:
            indices = ffi.new("unsigned int[]", n)
            n_out = ffi.new("unsigned int *")
            r = lib.so_msr_index_list(self.fd, request, n, indices, n_out)
            if r == -errno.E2BIG and n_out[0] > n:  # the kernel wrote the count it needs
                n = n_out[0]
                continue
            check(r, name)
            return list(indices[0 : n_out[0]])

    def msr_index_list(self) -> list[int]:
        """KVM_GET_MSR_INDEX_LIST: MSRs a vCPU can save and restore."""
        return self._index_list(lib.KVM_GET_MSR_INDEX_LIST, "KVM_GET_MSR_INDEX_LIST")

    def msr_feature_index_list(self) -> list[int]:
        """KVM_GET_MSR_FEATURE_INDEX_LIST: feature MSRs readable from the system fd."""
        return self._index_list(
            lib.KVM_GET_MSR_FEATURE_INDEX_LIST, "KVM_GET_MSR_FEATURE_INDEX_LIST"
        )

    def create_vm(self):
        """KVM_CREATE_VM -> Vm."""
        from kvm.vm import Vm

        # a signal (a profiler's, a child's end) may cut the call short: it is made again
        while (r := lib.so_ioctl_int(self.fd, lib.KVM_CREATE_VM, 0)) == -errno.EINTR:
            pass
        return Vm(self, check(r, "KVM_CREATE_VM"))
