"""The VM fd: memory slots, dirty log, coalesced zones, vCPU creation."""

from __future__ import annotations

import os

from kvm._kvm_ffi import ffi, lib
from kvm.errors import check

MEM_LOG_DIRTY_PAGES = lib.KVM_MEM_LOG_DIRTY_PAGES
MEM_READONLY = lib.KVM_MEM_READONLY
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class Vm:
    """A virtual machine (KVM_CREATE_VM). Created by Kvm.create_vm()."""

    def __init__(self, kvm, fd: int) -> None:
        self.kvm = kvm
        self.fd = fd
        self._slot_sizes: dict[int, int] = {}
        self.vcpus: list = []

    def close(self) -> None:
        for vcpu in self.vcpus:
            vcpu.close()
        self.vcpus.clear()
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Vm:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def max_memslots(self) -> int:
        """KVM_CAP_NR_MEMSLOTS, or 32 if the kernel does not say (as gem5)."""
        n = check(
            lib.so_ioctl_int(self.fd, lib.KVM_CHECK_EXTENSION, lib.KVM_CAP_NR_MEMSLOTS),
            "KVM_CHECK_EXTENSION",
        )
        return n or 32

    def check_extension(self, cap: int) -> int:
        """KVM_CHECK_EXTENSION on the VM fd (some answers are per VM)."""
        return check(lib.so_ioctl_int(self.fd, lib.KVM_CHECK_EXTENSION, cap), "KVM_CHECK_EXTENSION")

    def set_user_memory_region(
        self, slot: int, guest_phys: int, size: int, host_addr: int, flags: int = 0
    ) -> None:
        """KVM_SET_USER_MEMORY_REGION; flags: MEM_LOG_DIRTY_PAGES | MEM_READONLY.
        A size of 0 deletes the slot."""
        region = ffi.new(
            "struct kvm_userspace_memory_region *",
            {
                "slot": slot,
                "flags": flags,
                "guest_phys_addr": guest_phys,
                "memory_size": size,
                "userspace_addr": host_addr,
            },
        )
        check(
            lib.so_ioctl(self.fd, lib.KVM_SET_USER_MEMORY_REGION, region),
            "KVM_SET_USER_MEMORY_REGION",
        )
        if size:
            self._slot_sizes[slot] = size
        else:
            self._slot_sizes.pop(slot, None)

    def delete_memory_region(self, slot: int) -> None:
        self.set_user_memory_region(slot, 0, 0, 0, 0)

    def get_dirty_log(self, slot: int) -> bytes:
        """KVM_GET_DIRTY_LOG: one bit per page of the slot (bit i of byte j = page 8j+i);
        reading clears the log. The slot needs MEM_LOG_DIRTY_PAGES."""
        try:
            size = self._slot_sizes[slot]
        except KeyError:
            raise ValueError(f"memory slot {slot} was not set through this Vm") from None
        pages = (size + PAGE_SIZE - 1) // PAGE_SIZE
        # The kernel writes whole 64-bit words.
        nbytes = (pages + 63) // 64 * 8
        buf = ffi.new("unsigned char[]", nbytes)
        check(lib.so_get_dirty_log(self.fd, slot, buf), "KVM_GET_DIRTY_LOG")
        return bytes(ffi.buffer(buf))[: (pages + 7) // 8]

    def dirty_pages(self, slot: int) -> list[int]:
        """Indices of the pages of `slot` written by the guest since the last call."""
        bitmap = self.get_dirty_log(slot)
        out = []
        for j, byte in enumerate(bitmap):
            while byte:
                low = byte & -byte
                out.append(8 * j + low.bit_length() - 1)
                byte ^= low
        return out

    def register_coalesced_mmio(self, addr: int, size: int, pio: bool = False) -> None:
        """KVM_REGISTER_COALESCED_MMIO: writes to [addr, addr+size) (ports if pio)
        go to the ring without leaving KVM_RUN."""
        check(
            lib.so_coalesced_zone(self.fd, lib.KVM_REGISTER_COALESCED_MMIO, addr, size, int(pio)),
            "KVM_REGISTER_COALESCED_MMIO",
        )

    def unregister_coalesced_mmio(self, addr: int, size: int, pio: bool = False) -> None:
        """KVM_UNREGISTER_COALESCED_MMIO."""
        check(
            lib.so_coalesced_zone(self.fd, lib.KVM_UNREGISTER_COALESCED_MMIO, addr, size, int(pio)),
            "KVM_UNREGISTER_COALESCED_MMIO",
        )

    def set_tss_addr(self, addr: int) -> None:
        """KVM_SET_TSS_ADDR (three pages below 4 GiB that the guest does not use)."""
        check(lib.so_ioctl_int(self.fd, lib.KVM_SET_TSS_ADDR, addr), "KVM_SET_TSS_ADDR")

    def set_identity_map_addr(self, addr: int) -> None:
        """KVM_SET_IDENTITY_MAP_ADDR (one page for real-mode EPT identity map)."""
        arg = ffi.new("unsigned long long *", addr)
        check(
            lib.so_ioctl(self.fd, lib.KVM_SET_IDENTITY_MAP_ADDR, arg), "KVM_SET_IDENTITY_MAP_ADDR"
        )

    def create_irqchip(self) -> None:
        """KVM_CREATE_IRQCHIP (in-kernel PIC/IOAPIC/LAPIC)."""
        check(lib.so_ioctl_int(self.fd, lib.KVM_CREATE_IRQCHIP, 0), "KVM_CREATE_IRQCHIP")

    def create_vcpu(self, vcpu_id: int = 0):
        """KVM_CREATE_VCPU -> Vcpu (with kvm_run mapped)."""
        from kvm.vcpu import Vcpu

        fd = check(lib.so_ioctl_int(self.fd, lib.KVM_CREATE_VCPU, vcpu_id), "KVM_CREATE_VCPU")
        vcpu = Vcpu(self, fd, vcpu_id)
        self.vcpus.append(vcpu)
        return vcpu
