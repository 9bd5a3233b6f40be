"""IsaFake (fixed answers) and BadAddr (the default responder of a crossbar)."""

import sys

import pytest

sys.path.insert(0, __file__.rsplit("/tests/", 1)[0] + "/tests/dev")
from platform_helpers import Requestor, fake_sim, make  # noqa: E402

from simobjs.errors import SimulationError  # noqa: E402
from simobjs.objects.dev import BadAddr, IsaFake  # noqa: E402
from simobjs.objects.xbar import SystemXBar  # noqa: E402


def test_isa_fake_answers_fixed_data_and_learns_writes_when_asked():
    sim = fake_sim()
    dev = make(IsaFake, "system.fake", sim, pio_addr=0x1000, update_data=True)
    cpu = Requestor()
    cpu.port.bind(dev.pio)
    assert cpu.read(0x1000, 1) == 0xFF
    assert cpu.read(0x1004, 4) == 0xFFFFFFFF
    cpu.write(0x1002, 0x1234, 2)
    assert cpu.read(0x1000, 2) == 0x1234
    assert [(r.start, r.end) for r in dev.getAddrRanges()] == [(0x1000, 0x1008)]


def test_bad_addr_claims_nothing_and_names_the_address_and_requestor():
    sim = fake_sim()
    xbar = make(SystemXBar, "board.cache_hierarchy.membus", sim)
    bad = make(BadAddr, "board.cache_hierarchy.membus.badaddr_responder", sim)
    assert bad.getAddrRanges() == []
    cpu = Requestor("board.processor.cores.core")
    cpu.port.bind(xbar.getPort("cpu_side_ports", 0))
    xbar.getPort("default").bind(bad.pio)
    xbar.init()
    with pytest.raises(SimulationError) as err:
        cpu.read(0x8000_0000_0000_0080, 1)
    text = str(err.value)
    assert "bad address" in text and "0x8000000000000080 (I/O port 0x80)" in text
    assert "board.processor.cores.core" in text and "badaddr_responder" in text
    with pytest.raises(SimulationError, match=r"4-byte write at 0x40000000"):
        cpu.write(0x4000_0000, 1, 4)


def test_bad_addr_declaration_has_gem5s_defaults():
    decl = BadAddr()
    assert int(decl.pio_addr) == 0 and bool(decl.ret_bad_addr) is True
    assert decl._addr_ranges() == []
