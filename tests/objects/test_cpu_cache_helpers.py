"""BaseCPU's cache helpers and SimObject.apply_config, as gem5's configs/common
(CacheConfig.py, Simulation.py) call them: the objects land where gem5 puts them and
the ports are bound as gem5 binds them (checked in config.ini after prepare)."""

from __future__ import annotations

from simobjs.config import config_ini, prepare
from simobjs.objects import (
    Cache,
    L2XBar,
    Root,
    SimpleMemory,
    SrcClockDomain,
    System,
    SystemXBar,
    VoltageDomain,
    X86BareMetalWorkload,
    X86TimingSimpleCPU,
)


def _l1(size):
    return Cache(
        size=size, assoc=2, tag_latency=2, data_latency=2, response_latency=2,
        mshrs=4, tgts_per_mshr=20,
    )  # fmt: skip


def _system():
    system = System(mem_mode="timing")
    system.clk_domain = SrcClockDomain(clock="2GHz", voltage_domain=VoltageDomain())
    system.membus = SystemXBar()
    system.system_port = system.membus.cpu_side_ports
    system.mem = SimpleMemory(range="256MiB", port=system.membus.mem_side_ports)
    system.cpu = X86TimingSimpleCPU()
    system.cpu.createThreads()
    system.workload = X86BareMetalWorkload(object_file="guest.elf")
    return system


def _section(ini: str, name: str) -> dict[str, str]:
    body = ini.split(f"[{name}]\n", 1)[1].split("\n\n", 1)[0]
    return dict(line.split("=", 1) for line in body.splitlines())


def test_private_split_l1_caches_with_walker_caches_and_a_shared_l2():
    system = _system()
    cpu = system.cpu
    cpu.addPrivateSplitL1Caches(_l1("32KiB"), _l1("64KiB"), _l1("1KiB"), _l1("1KiB"))
    system.l2 = _l1("256KiB")
    system.tol2bus = L2XBar()
    system.l2.cpu_side = system.tol2bus.mem_side_ports
    system.l2.mem_side = system.membus.cpu_side_ports
    cpu.createInterruptController()
    cpu.connectAllPorts(
        system.tol2bus.cpu_side_ports, system.membus.cpu_side_ports, system.membus.mem_side_ports
    )
    root = Root(full_system=True, system=system)
    prepare(root)
    ini = config_ini(root)
    assert _section(ini, "system.cpu")["icache_port"] == "system.cpu.icache.cpu_side"
    assert _section(ini, "system.cpu")["dcache_port"] == "system.cpu.dcache.cpu_side"
    bus = _section(ini, "system.tol2bus")["cpu_side_ports"].split()
    assert bus == [
        "system.cpu.icache.mem_side",
        "system.cpu.dcache.mem_side",
        "system.cpu.itb_walker_cache.mem_side",
        "system.cpu.dtb_walker_cache.mem_side",
    ]
    assert _section(ini, "system.cpu.itb_walker_cache")["size"] == "1024"


def test_two_level_cache_hierarchy_is_private_to_the_cpu():
    system = _system()
    system.cpu.addTwoLevelCacheHierarchy(_l1("32KiB"), _l1("32KiB"), _l1("512KiB"))
    system.cpu.createInterruptController()
    system.cpu.connectBus(system.membus)
    root = Root(full_system=True, system=system)
    prepare(root)
    ini = config_ini(root)
    assert _section(ini, "system.cpu.toL2Bus")["cpu_side_ports"].split() == [
        "system.cpu.icache.mem_side",
        "system.cpu.dcache.mem_side",
    ]
    assert _section(ini, "system.cpu.toL2Bus")["mem_side_ports"] == "system.cpu.l2cache.cpu_side"
    assert "system.cpu.l2cache.mem_side" in _section(ini, "system.membus")["cpu_side_ports"]


def test_apply_config_runs_statements_over_the_children():
    system = _system()
    system.cpu.createInterruptController()
    system.cpu.connectBus(system.membus)
    root = Root(full_system=True, system=system)
    root.apply_config(["system.cpu.max_insts_any_thread = 1234", "system.mem.latency = '7ns'"])
    assert int(system.cpu.max_insts_any_thread) == 1234
    prepare(root)
    assert _section(config_ini(root), "system.mem")["latency"] == "7000"
