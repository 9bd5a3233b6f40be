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
        self._last_runner = None  # the vCPU whose run timer may be armed (one host thread)
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
            raise ConfigError(Problem(self.name(), "this host's KVM lacks " + "; ".join(missing)))
        self.vm = self.kvm.create_vm()
        self.maxMemorySlots = self.vm.max_memslots
        self._next_vcpu_id = 0
        self.cpus: list = []  # the KVM CPUs of this VM (registered by registerCPU)
        self._mapped = False
        self.slots: list[tuple[int, int, int, str]] = []  # (slot, start, size, memory path)
        self._own_slot_range: tuple[int, int] | None = None  # SE page tables (see below)
        self._own_slot: tuple[int, int, int, int] | None = None  # (slot, start, size, host)
        self._register_coalesced()
        if self.system is not None and hasattr(self.system, "setKvmVM"):
            self.system.setKvmVM(self)

    def _register_coalesced(self) -> None:
        if not self.coalescedMMIO:
            return
        if not self.kvm.check_extension("coalesced_mmio"):
            raise ConfigError(
                Problem(self.name(), "host KVM has no coalesced MMIO", "coalescedMMIO")
            )
        for rng in self.coalescedMMIO:
            start, size = int(rng.start), int(rng.size())
            if start & IO_ADDRESS_SPACE:
                port = start & 0xFFFF
                if not self.kvm.check_extension("coalesced_pio"):
                    raise ConfigError(
                        Problem(
                            self.name(),
                            "host KVM has no coalesced PIO",
                            "coalescedMMIO",
                            got=f"{start:#x}",
                        )
                    )
                self.vm.register_coalesced_mmio(port, size, pio=True)
            else:
                self.vm.register_coalesced_mmio(start, size)

    # -- vCPUs ---------------------------------------------------------------------------
    def allocVCPUID(self) -> int:
        vid = self._next_vcpu_id
        self._next_vcpu_id += 1
        return vid

    def registerCPU(self, cpu) -> None:
        self.cpus.append(cpu)

    def holdVCPUs(self) -> None:
        """Make sure no other vCPU of this VM is inside KVM_RUN (several event queues run
        them on their own threads): kick the ones that are and wait until they are out.
        They cannot enter again before the caller has done: they need the simulator's
        lock, which the caller holds."""
        import threading
        import time

        me = threading.get_ident()
        running = [c for c in self.cpus if c.in_run and c.run_thread != me]
        for cpu in running:
            cpu.kick_thread()
        while any(c.in_run for c in running):
            time.sleep(0)

    def cpuStartup(self) -> None:
        """Called by each KVM CPU's startup(); the first call maps the memories."""
        if not self._mapped:
            self.delayedStartup()
            self._mapped = True

    def delayedStartup(self) -> None:
        """Give every kvm_map memory's GuestRam to KVM as one slot each (the range given
        to setPageTableRange as a slot of its own)."""
        memories = getattr(self.system, "memories", None) or []
        slot = 0
        for mem in memories:
            ram = getattr(mem, "ram", None)
            if ram is None:
                continue  # a null memory: its accesses become MMIO, as in gem5
            if not bool(getattr(mem.params, "kvm_map", True)):
                continue
            for start, size in self._pieces(ram.start, ram.size):
                if slot >= self.maxMemorySlots:
                    raise SimulationError(
                        f"KVM: no memory slot left for {mem.name()} ({self.maxMemorySlots} slots)",
                        self.name(),
                    )
                host = ram.host_address + (start - ram.start)
                try:
                    self.vm.set_user_memory_region(slot, start, size, host)
                except KvmError as e:
                    raise SimulationError(
                        f"KVM: cannot map {mem.name()} [{start:#x}, {start + size:#x}): {e}",
                        self.name(),
                    ) from e
                if (start, size) == self._own_slot_range:
                    self._own_slot = (slot, start, size, host)
                self.slots.append((slot, start, size, mem.name()))
                slot += 1
        if not self.slots:
            print(f"warn: KVM: {self.name()}: no memory is mapped into the VM", file=sys.stderr)

    def _pieces(self, start: int, size: int) -> list[tuple[int, int]]:
        own = self._own_slot_range
        if own is None or not (start <= own[0] and own[0] + own[1] <= start + size):
            return [(start, size)]
        a, b = own[0], own[0] + own[1]
        return [p for p in ((start, a - start), (a, b - a), (b, start + size - b)) if p[1] > 0]

    # -- SE mode (simobjs.se): guest page tables the host writes ---------------------------
    def setPageTableRange(self, start: int, size: int) -> None:
        """Map [start, +size) (inside one memory) as a slot of its own, before the first
        CPU starts: the SE kernel keeps its guest page tables there."""
        if self._mapped:
            raise SimulationError("KVM: setPageTableRange after the memory was mapped", self.name())
        self._own_slot_range = (start, size)

    def pageTablesChanged(self) -> None:
        """The host changed or removed entries of guest page tables (KVM's shadow MMU does
        not see such writes): drop the page-table slot and map it again, which makes KVM
        forget every shadow page built from it."""
        if self._own_slot is None:
            return
        slot, start, size, host = self._own_slot
        self.holdVCPUs()  # none may walk the page tables while the slot is away
        self.vm.set_user_memory_region(slot, start, 0, host)
        self.vm.set_user_memory_region(slot, start, size, host)

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
