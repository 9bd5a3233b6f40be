"""KvmVM: the virtual machine shared by the KVM CPUs of one System (gem5's KvmVM)."""

from __future__ import annotations

import sys

from kvm import Kvm, KvmError, KvmUnavailable
from simobjs.arch.x86 import IO_ADDRESS_SPACE
from simobjs.errors import ConfigError, Problem, SimulationError
from simobjs.sim.model import Model, Params

#: Capabilities a KVM CPU cannot work without, and why.
REQUIRED_CAPS = {
    "user_memory": "guest RAM is given to KVM as user memory slots",
    "immediate_exit": "half entries complete pending I/O without running the guest",
}


class KvmVM(Model):
    """Creates the VM, maps every memory at the first CPU startup, owns vCPU ids."""

    def __init__(self, params: Params):
        super().__init__(params)
        self.system = params.system
        self.coalescedMMIO = list(params.coalescedMMIO)
        try:
            self.kvm = Kvm()
        except KvmUnavailable as e:
            raise ConfigError(Problem(self.name(), f"KVM: Failed to open /dev/kvm: {e}")) from e
        missing = [
            f"KVM_CAP_{cap.upper()} ({why})"
            for cap, why in REQUIRED_CAPS.items()
            if not self.kvm.check_extension(cap)
        ]
        if missing:
            self.kvm.close()
            raise ConfigError(
                Problem(self.name(), "this host's KVM lacks " + "; ".join(missing))
            )  # fmt: skip
        self.vm = self.kvm.create_vm()
        self.maxMemorySlots = self.vm.max_memslots
        self._next_vcpu_id = 0
        self._mapped = False
        self.slots: list[tuple[int, int, int, str]] = []  # (slot, start, size, memory path)
        self._register_coalesced()
        if self.system is not None and hasattr(self.system, "setKvmVM"):
            self.system.setKvmVM(self)

    def _register_coalesced(self) -> None:
        if not self.coalescedMMIO:
            return
        if not self.kvm.check_extension("coalesced_mmio"):
            raise ConfigError(
                Problem(self.name(), "host KVM has no coalesced MMIO", "coalescedMMIO")
            )  # fmt: skip
        for rng in self.coalescedMMIO:
            start, size = int(rng.start), int(rng.size())
            if start & IO_ADDRESS_SPACE:
                port = start & 0xFFFF
                if not self.kvm.check_extension("coalesced_pio"):
                    raise ConfigError(
                        Problem(self.name(), "host KVM has no coalesced PIO", "coalescedMMIO",
                                got=f"{start:#x}")
                    )  # fmt: skip
                self.vm.register_coalesced_mmio(port, size, pio=True)
            else:
                self.vm.register_coalesced_mmio(start, size)

    # -- vCPUs ---------------------------------------------------------------------------
    def allocVCPUID(self) -> int:
        vid = self._next_vcpu_id
        self._next_vcpu_id += 1
        return vid

    def cpuStartup(self) -> None:
        """Called by each KVM CPU's startup(); the first call maps the memories."""
        if not self._mapped:
            self.delayedStartup()
            self._mapped = True

    def delayedStartup(self) -> None:
        """Give every kvm_map memory's GuestRam to KVM as one slot each."""
        memories = getattr(self.system, "memories", None) or []
        slot = 0
        for mem in memories:
            ram = getattr(mem, "ram", None)
            if ram is None:
                continue  # a null memory: its accesses become MMIO, as in gem5
            if not bool(getattr(mem.params, "kvm_map", True)):
                continue
            if slot >= self.maxMemorySlots:
                raise SimulationError(
                    f"KVM: no memory slot left for {mem.name()} ({self.maxMemorySlots} slots)",
                    self.name(),
                )
            try:
                self.vm.set_user_memory_region(slot, ram.start, ram.size, ram.host_address)
            except KvmError as e:
                raise SimulationError(
                    f"KVM: cannot map {mem.name()} [{ram.start:#x}, {ram.end:#x}): {e}",
                    self.name(),
                ) from e
            self.slots.append((slot, ram.start, ram.size, mem.name()))
            slot += 1
        if not self.slots:
            print(f"warn: KVM: {self.name()}: no memory is mapped into the VM", file=sys.stderr)

    def createVCPU(self, vcpu_id: int):
        """KVM_CREATE_VCPU; returns the kvm.Vcpu."""
        return self.vm.create_vcpu(vcpu_id)

    def setTSSAddress(self, addr: int) -> None:
        self.vm.set_tss_addr(addr)

    def close(self) -> None:
        vm, self.vm = getattr(self, "vm", None), None
        if vm is not None:
            vm.close()
        kvm = getattr(self, "kvm", None)
        if kvm is not None:
            kvm.close()
