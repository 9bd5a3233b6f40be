"""Crossbar routing, overlap errors, unclaimed accesses."""

import sys

import pytest

sys.path.insert(0, __file__.rsplit("/tests/", 1)[0] + "/tests/dev")
from platform_helpers import Requestor, fake_sim, make  # noqa: E402

from simobjs.errors import ConfigError, SimulationError  # noqa: E402
from simobjs.objects.mem import SimpleMemory  # noqa: E402
from simobjs.objects.xbar import SystemXBar as XBar  # noqa: E402
from simobjs.params.types import AddrRange  # noqa: E402
from simobjs.sim.port import ResponsePort  # noqa: E402


class Device:
    def __init__(self, name, start, size, latency=7):
        self._name = name
        self.start = start
        self.seen = []
        self.latency = latency
        self.port = ResponsePort("pio", self, self.recv, lambda: [AddrRange(start, size=size)])

    def name(self):
        return self._name

    def recv(self, pkt):
        self.seen.append((pkt.cmd.value, pkt.addr - self.start, pkt.size))
        if pkt.isRead():
            pkt.set_uint(0xAB)
        return self.latency


def wire(xbar, *devices):
    cpu = Requestor()
    cpu.port.bind(xbar.getPort("cpu_side_ports", 0))
    for i, d in enumerate(devices):
        xbar.getPort("mem_side_ports", i).bind(d.port)
    return cpu


@pytest.fixture
def sim():
    return fake_sim()


def test_routes_by_range_and_returns_the_device_latency(sim):
    xbar = make(XBar, "system.membus", sim)
    a, b = Device("uart", 0x8000_0000_0000_03F8, 8), Device("pit", 0x8000_0000_0000_0040, 4, 3)
    cpu = wire(xbar, a, b)
    xbar.init()
    assert cpu.read(0x8000_0000_0000_03FD) == 0xAB
    assert cpu.write(0x8000_0000_0000_0043, 0x34) == 3
    assert a.seen == [("ReadReq", 5, 1)] and b.seen == [("WriteReq", 3, 1)]


def test_memory_and_devices_share_the_bus(sim):
    xbar = make(XBar, "system.membus", sim)
    mem = make(SimpleMemory, "system.mem", sim, range=AddrRange(0, size=1 << 20), latency=30)
    dev = Device("m5", 0xFFFF0000, 0x10000)
    cpu = wire(xbar, dev)
    xbar.getPort("mem_side_ports", 5).bind(mem.port)
    xbar.init()
    assert cpu.write(0x1234, 0xDEADBEEF, 4) == 30
    assert cpu.read(0x1234, 4) == 0xDEADBEEF
    assert mem.ram.read(0x1234, 4) == bytes.fromhex("efbeadde")
    cpu.read(0xFFFF2100, 8)
    assert dev.seen == [("ReadReq", 0x2100, 8)]
    mem.close()


def test_overlaps_are_one_config_error_naming_both_devices(sim):
    xbar = make(XBar, "system.membus", sim)
    wire(
        xbar,
        Device("big", 0x1000, 0x1000),
        Device("inner", 0x1100, 0x10),
        Device("tail", 0x1F00, 0x200),
        Device("apart", 0x9000, 0x10),
    )
    with pytest.raises(ConfigError) as e:
        xbar.init()
    text = str(e.value)
    assert "system.membus" in text
    assert "big [0x1000, 0x2000) and inner [0x1100, 0x1110)" in text
    assert "big [0x1000, 0x2000) and tail [0x1f00, 0x2100)" in text
    assert "apart" not in text


def test_unclaimed_access_names_address_and_requestor(sim):
    xbar = make(XBar, "system.membus", sim)
    cpu = wire(xbar, Device("uart", 0x8000_0000_0000_03F8, 8))
    xbar.init()
    with pytest.raises(
        SimulationError, match=r"1-byte read at 0x8000000000000060 \(I/O port 0x60\).*by cpu"
    ):
        cpu.read(0x8000_0000_0000_0060)
    with pytest.raises(SimulationError, match="crosses the end"):
        cpu.read(0x8000_0000_0000_03FE, 4)


def test_default_port_takes_unclaimed_and_buses_nest(sim):
    membus = make(XBar, "system.membus", sim)
    iobus = make(XBar, "system.iobus", sim)
    dev = Device("pic", 0x8000_0000_0000_0020, 2)
    cpu = wire(membus)
    membus.getPort("default").bind(iobus.getPort("cpu_side_ports", 0))
    iobus.getPort("mem_side_ports", 0).bind(dev.port)
    iobus.init()
    membus.init()
    cpu.write(0x8000_0000_0000_0021, 0xFF)
    assert dev.seen == [("WriteReq", 1, 1)]
    assert [(r.start, r.end) for r in iobus.getAddrRanges()] == [
        (0x8000_0000_0000_0020, 0x8000_0000_0000_0022)
    ]


def test_simple_memory_serves_its_range_only(sim):
    mem = make(SimpleMemory, "system.mem", sim, range=AddrRange(0x100000, size=1 << 20), latency=5)
    cpu = Requestor()
    cpu.port.bind(mem.port)
    cpu.write(0x100000, 0x7766, 2)
    assert mem.ram.read(0x100000, 2) == b"\x66\x77"
    with pytest.raises(SimulationError, match="outside"):
        cpu.read(0x200000, 1)
    assert [(r.start, r.end) for r in mem.port.getAddrRanges()] == [(0x100000, 0x200000)]
    mem.close()
    assert mem.ram is None
