"""The System model: memories, memory mode, m5ops, thread registry, physical memory checkpoint.

The physical memory is checkpointed with gem5's section and key names
(`[system.physmem]` lal_addr lal_cid nbr_of_stores, `[system.physmem.store<i>]`
store_id filename range_size); the store files use our sparse format
(simobjs.sim.physmem_store).
"""

from __future__ import annotations

import os

from simobjs.errors import CheckpointError, SimulationError
from simobjs.sim import physmem_store
from simobjs.sim.model import Model, Params
from simobjs.sim.port import RequestPort

MEMORY_MODES = ("invalid", "atomic", "timing", "atomic_noncaching")


class System(Model):
    """gem5's System: what every CPU and device of one machine shares."""

    def __init__(self, params: Params):
        super().__init__(params)
        self._mem_mode = params.mem_mode
        self.memories = [m for m in params.memories if m is not None]
        self.m5ops_base = params.m5ops_base
        self.workload = params.workload
        if self.workload is not None:
            self.workload.setSystem(self)
        self.cache_line_size = params.cache_line_size
        self.threads: list = []  # thread contexts by context id
        self._kvm_vm = None
        self.work_items_begun = 0
        self.work_items_ended = 0
        self._work_cpus: set[int] = set()  # CPUs that began a work item (work_cpus_ckpt_count)
        self.system_port = RequestPort("system_port", self)
        # gem5's requestor table: these three first, then every model that asks
        self._requestors: list[str] = ["writebacks", "functional", "interrupt"]

    def getPort(self, name: str, index: int = -1):
        if name == "system_port":
            return self.system_port
        return super().getPort(name, index)

    # -- memory mode ---------------------------------------------------------------
    def getMemoryMode(self) -> str:
        return self._mem_mode

    def setMemoryMode(self, mode: str) -> None:
        if mode not in MEMORY_MODES:
            raise ValueError(f"{self.name()}: unknown memory mode '{mode}'; known: {MEMORY_MODES}")
        self._mem_mode = mode

    def isAtomicMode(self) -> bool:
        return self._mem_mode == "atomic"

    def bypassCaches(self) -> bool:
        return self._mem_mode == "atomic_noncaching"

    # -- KVM ---------------------------------------------------------------------
    def setKvmVM(self, vm) -> None:
        self._kvm_vm = vm

    def getKvmVM(self):
        return self._kvm_vm

    # -- memory --------------------------------------------------------------------
    def rams(self) -> list:
        """The GuestRam of every memory with a backing store, in gem5's store order."""
        rams = [getattr(m, "ram", None) for m in self.memories]
        return sorted((r for r in rams if r is not None), key=lambda r: r.start)

    def guest_ram_at(self, addr: int, length: int = 1):
        for ram in self.rams():
            if ram.contains(addr, length):
                return ram
        raise SimulationError(f"no guest RAM at {addr:#x} (+{length})", self.name())

    def memWriteback(self) -> None:
        pass  # one shared mapping: nothing is cached apart from it

    # -- requestors (gem5's RequestorID table) ----------------------------------------
    def getRequestorId(self, requestor, subrequestor: str = "") -> int:
        """The id of `requestor` (a model or a name) plus `.subrequestor`, registering
        it on first use; names drop this system's own prefix ("cpu.inst")."""
        name = requestor if isinstance(requestor, str) else requestor.name()
        if subrequestor:
            name = f"{name}.{subrequestor}"
        prefix = self.name() + "."
        if name.startswith(prefix):
            name = name[len(prefix) :]
        if name not in self._requestors:
            self._requestors.append(name)
        return self._requestors.index(name)

    def maxRequestors(self) -> int:
        return len(self._requestors)

    def getRequestorName(self, requestor_id: int) -> str:
        return self._requestors[requestor_id]

    def requestorNames(self) -> list[str]:
        return list(self._requestors)

    # -- threads -----------------------------------------------------------------
    def registerThreadContext(self, tc, assigned: int = -1) -> int:
        """Give a thread context its context id (gem5's System::registerThreadContext)."""
        cid = len(self.threads) if assigned < 0 else assigned
        while len(self.threads) <= cid:
            self.threads.append(None)
        if self.threads[cid] is not None and self.threads[cid] is not tc:
            raise SimulationError(f"context id {cid} registered twice", self.name())
        self.threads[cid] = tc
        return cid

    def replaceThreadContext(self, tc, cid: int) -> None:
        self.threads[cid] = tc

    def numContexts(self) -> int:
        return len(self.threads)

    # -- work items (gem5's pseudo_inst workbegin/workend rules) ----------------------
    def workItemBegin(self, tc, threadid: int, workid: int) -> None:
        p, sim = self.params, self.sim
        if p.exit_on_work_items:
            sim.exitSimLoop("workbegin", workid)
            return
        if p.work_item_id not in (-1, workid):
            return
        self.work_items_begun += 1
        cpu_id = tc.cpu.cpuId()
        if p.work_cpus_ckpt_count:
            self._work_cpus.add(cpu_id)
            if len(self._work_cpus) >= p.work_cpus_ckpt_count:
                sim.exitSimLoop("checkpoint")
        if self.work_items_begun == p.work_begin_ckpt_count:
            sim.exitSimLoop("checkpoint")
        if self.work_items_begun == p.work_begin_exit_count:
            sim.exitSimLoop("work started count reach")
        if cpu_id == p.work_begin_cpu_id_exit:
            sim.exitSimLoop("work started on specific cpu")

    def workItemEnd(self, tc, threadid: int, workid: int) -> None:
        p, sim = self.params, self.sim
        if p.exit_on_work_items:
            sim.exitSimLoop("workend", workid)
            return
        if p.work_item_id not in (-1, workid):
            return
        self.work_items_ended += 1
        if self.work_items_ended == p.work_end_ckpt_count:
            sim.exitSimLoop("checkpoint")
        if self.work_items_ended == p.work_end_exit_count:
            sim.exitSimLoop("work items exit count reached")

    # -- checkpoint ----------------------------------------------------------------
    def serialize(self, section) -> None:
        phys = section.subsection("physmem")
        rams = self.rams()
        phys["lal_addr"] = []
        phys["lal_cid"] = []
        phys["nbr_of_stores"] = len(rams)
        for i, ram in enumerate(rams):
            store = section.subsection(f"physmem.store{i}")
            filename = f"{self.name()}.physmem.store{i}.pmem"
            store["store_id"] = i
            store["filename"] = filename
            store["range_size"] = ram.size
            physmem_store.write_store(
                os.path.join(section.dir, filename), ram.view, ram.host_address
            )

    def unserialize(self, section) -> None:
        phys = section.subsection("physmem")
        rams = self.rams()
        count = phys.get_int("nbr_of_stores")
        if count != len(rams):
            raise CheckpointError(
                f"checkpoint has {count} memory stores, the configuration has {len(rams)}",
                phys.name,
                "nbr_of_stores",
            )
        for i, ram in enumerate(rams):
            store = section.subsection(f"physmem.store{i}")
            if store.get_int("store_id") != i:
                raise CheckpointError(f"expected store_id {i}", store.name, "store_id")
            size = store.get_int("range_size")
            if size != ram.size:
                raise CheckpointError(
                    f"range size {size} does not match the memory's {ram.size} bytes",
                    store.name,
                    "range_size",
                )
            filename = store.get_str("filename")
            if os.sep in filename or filename.startswith("."):
                raise CheckpointError(f"bad store file name {filename!r}", store.name, "filename")
            physmem_store.read_store(os.path.join(section.dir, filename), ram.view, store.name)

    def loadState(self, cp) -> None:
        self.unserialize(cp.section(self.name()))
