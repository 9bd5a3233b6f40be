"""prepare() validation: every problem reported at once, each with a path."""

import pytest

from simobjs.config import prepare, release
from simobjs.errors import ConfigError
from simobjs.objects import (
    I8254,
    BaseCPU,
    Root,
    SimpleMemory,
    SrcClockDomain,
    System,
    SystemXBar,
    Uart8250,
    VoltageDomain,
    X86KvmCPU,
    x86IOAddress,
)
from simobjs.params import AddrRange
from simobjs.params.simobject import reset_for_tests


def base_system():
    system = System(mem_mode="atomic_noncaching")
    system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
    system.membus = SystemXBar()
    return system


def test_everything_wrong_at_once():
    system = base_system()
    system.mem = SimpleMemory(range=AddrRange(0, "64MiB"))  # port left unconnected
    system.cpu = X86KvmCPU()  # no KvmVM anywhere, dcache_port unconnected
    system.odd = BaseCPU()  # abstract
    system.uart = Uart8250()  # no pio_addr, pio unconnected
    root = Root(system=system)  # full_system unset
    with pytest.raises(ConfigError) as e:
        prepare(root)
    text = [str(p) for p in e.value.problems]
    assert "root.full_system without default or user set value" in text
    assert "system.uart.pio_addr without default or user set value" in text
    assert (
        "system.cpu: no KvmVM is a child of system.cpu or of its parents: add one, "
        "e.g. system.kvm_vm = KvmVM()"
    ) in text
    assert any(t.startswith("system.mem.port: port 'port' is not connected") for t in text)
    assert any(
        t.startswith("system.cpu.dcache_port: port 'dcache_port' is not connected") for t in text
    )
    assert any(t.startswith("system.uart.pio: port 'pio' is not connected") for t in text)
    assert any(
        t.startswith("Cannot instantiate an abstract SimObject (system.odd): BaseCPU") for t in text
    )

    assert all(p.path for p in e.value.problems)
    assert str(e.value).startswith(f"{len(text)} configuration problems:")


def test_switched_out_cpu_needs_no_ports():
    system = base_system()
    system.mem = SimpleMemory(range=AddrRange(0, "64MiB"), port=system.membus.mem_side_ports)
    from simobjs.objects import KvmVM

    system.kvm_vm = KvmVM()
    system.cpu = X86KvmCPU(switched_out=True)
    prepare(Root(full_system=True, system=system))


def test_overlapping_ranges_on_one_bus():
    system = base_system()
    system.mem = SimpleMemory(range=AddrRange(0, "64MiB"), port=system.membus.mem_side_ports)
    system.rom = SimpleMemory(range=AddrRange("32MiB", "40MiB"), port=system.membus.mem_side_ports)
    system.uart = Uart8250(pio_addr=x86IOAddress(0x3F8), pio=system.membus.mem_side_ports)
    system.uart2 = Uart8250(pio_addr=x86IOAddress(0x3FC), pio=system.membus.mem_side_ports)
    system.pit = I8254(pio_addr=x86IOAddress(0x40), pio=system.membus.mem_side_ports)
    root = Root(full_system=True, system=system)
    with pytest.raises(ConfigError) as e:
        prepare(root)
    overlaps = [p for p in e.value.problems if "overlaps" in p.message]
    assert len(overlaps) == 2
    assert all(p.path == "system.membus" for p in overlaps)
    msgs = " | ".join(p.message for p in overlaps)
    assert "[0x0, 0x4000000) of system.mem overlaps [0x2000000, 0x2800000) of system.rom" in msgs
    assert "of system.uart overlaps" in msgs and "of system.uart2" in msgs


def test_second_root_in_tree():
    reset_for_tests()
    inner = Root(full_system=True)
    reset_for_tests()
    outer = Root(full_system=True)
    outer.inner = inner
    with pytest.raises(ConfigError, match="second Root"):
        prepare(outer)


def test_release_allows_a_second_prepare():
    system = base_system()
    system.mem = SimpleMemory(port=system.membus.mem_side_ports)
    root = Root(full_system=False, system=system)
    prepare(root)
    assert root.system.mem._frozen
    release(root)
    root.system.mem.latency = "10ns"
    prepare(root)
    assert root.system.mem.frozen_params()["latency"] == 10000
    release(root, forget_root=True)
    Root(full_system=False)
