"""System: the container of CPUs, memories and devices."""

from __future__ import annotations

import simobjs.objects.mem  # noqa: F401  (Param.AbstractMemory below)
from simobjs.objects.sim import DVFSHandler
from simobjs.objects.workload import StubWorkload
from simobjs.params import NULL, Param, RequestPort, Self, SimObject, VectorParam


class System(SimObject):
    """gem5's System. `m5ops_base` defaults to 0xFFFF0000 (gem5: 0, set by the
    x86 board scripts), since m5ops are how guests here talk to the simulator."""

    type = "System"
    cxx_class = "gem5::System"
    _model = "simobjs.sim.system:System"
    system_port = RequestPort("System port")
    memories = VectorParam.AbstractMemory(Self.all, "All memories in the system")
    mem_mode = Param.MemoryMode("atomic", "The mode the memory system is in")
    thermal_model = Param.ThermalModel(NULL, "Thermal model")
    thermal_components = VectorParam.SimObject(
        [], "A collection of all thermal components in the system."
    )
    mmap_using_noreserve = Param.Bool(False, "mmap the backing store without reserving swap")
    mem_ranges = VectorParam.AddrRange([], "Ranges that constitute main memory")
    shadow_rom_ranges = VectorParam.AddrRange([], "Ranges  backed by a shadowed ROM")
    shared_backstore = Param.String("", "backstore's shmem segment filename")
    auto_unlink_shared_backstore = Param.Bool(
        False, "Automatically remove the shmem segment file upon destruction."
    )
    cache_line_size = Param.Unsigned(64, "Cache line size in bytes")
    redirect_paths = VectorParam.RedirectPath([], "Path redirections")
    exit_on_work_items = Param.Bool(
        False, "Exit from the simulation loop when encountering work item annotations."
    )
    work_item_id = Param.Int(-1, "specific work item id")
    num_work_ids = Param.Int(16, "Number of distinct work item types")
    work_begin_cpu_id_exit = Param.Int(-1, "work started on specific id, now exit simulation")
    work_begin_ckpt_count = Param.Counter(
        0, "create checkpoint when work items begin count value is reached"
    )
    work_begin_exit_count = Param.Counter(
        0, "exit simulation when work items begin count value is reached"
    )
    work_end_ckpt_count = Param.Counter(
        0, "create checkpoint when work items end count value is reached"
    )
    work_end_exit_count = Param.Counter(
        0, "exit simulation when work items end count value is reached"
    )
    work_cpus_ckpt_count = Param.Counter(
        0, "create checkpoint when active cpu count value is reached"
    )
    workload = Param.Workload(StubWorkload(), "Workload to run on this system")
    init_param = Param.UInt64(0, "numerical value to pass into simulator")
    readfile = Param.String("", "file to read startup script from")
    symbolfile = Param.String("", "file to get the symbols from")
    multi_thread = Param.Bool(False, "Supports multi-threaded CPUs? Impacts Thread/Context IDs")
    dvfs_handler = DVFSHandler()
    m5ops_base = Param.Addr(
        0xFFFF0000, "Base of the 64KiB PA range used for memory-mapped m5ops. 0 disables."
    )


__all__ = ["System"]
