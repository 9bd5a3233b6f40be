"""Ports and interrupt pins: connection, roles, vectors, errors, bindings."""

import pytest

from simobjs.config import config_ini, prepare
from simobjs.errors import ConfigError
from simobjs.params import (
    IntSinkPin,
    IntSourcePin,
    MasterPort,
    RequestPort,
    ResponsePort,
    SimObject,
    SlavePort,
    VectorIntSinkPin,
    VectorMasterPort,
    VectorRequestPort,
    VectorResponsePort,
    VectorSlavePort,
)
from simobjs.params.simobject import PortBinding


class Dev(SimObject):
    type = "Dev"
    _model = "tests:Dev"
    req = RequestPort("out")
    resp = ResponsePort("in")
    irq = IntSourcePin("irq out")
    lint = IntSinkPin("irq in")


class Bus(SimObject):
    type = "Bus"
    _model = "tests:Bus"
    up = VectorResponsePort("cpu side")
    down = VectorRequestPort("mem side")
    pins = VectorIntSinkPin("inputs")


class PortRoot(SimObject):
    type = "Root"
    _model = "tests:Root"
    _is_root = True
    eventq_index = 0


def test_aliases():
    assert MasterPort is RequestPort and SlavePort is ResponsePort
    assert VectorMasterPort is VectorRequestPort and VectorSlavePort is VectorResponsePort


def test_connect_either_direction_and_vector_order():
    root = PortRoot()
    root.bus = Bus()
    root.a, root.b, root.c = Dev(), Dev(), Dev()
    root.a.req = root.bus.up
    root.bus.up = root.b.req
    root.c.resp = root.bus.down
    assert str(root.a.req.peer) == "bus.up[0]"
    assert str(root.b.req.peer) == "bus.up[1]"
    assert str(root.bus.down[0].peer) == "c.resp"
    ini = config_ini(root)
    assert "up=a.req b.req\n" in ini
    assert "req=bus.up[0]\n" in ini
    prepare(root)
    assert root.bus.port_bindings() == [
        PortBinding("down", 0, root.c, "resp", -1),
        PortBinding("up", 0, root.a, "req", -1),
        PortBinding("up", 1, root.b, "req", -1),
    ]
    assert root.a.port_bindings() == [PortBinding("req", -1, root.bus, "up", 0)]


def test_explicit_index_fills_gaps_and_lists_append():
    root = PortRoot()
    root.bus = Bus()
    devs = [Dev() for _ in range(3)]
    root.devs = devs
    root.bus.up[2] = devs[0].req
    assert len(root.bus.up) == 3
    assert root.bus.up[0].peer is None
    root.bus.up = [devs[1].req, devs[2].req]
    assert [str(e.peer) for e in root.bus.up.elements()] == [
        "None",
        "None",
        "devs0.req",
        "devs1.req",
        "devs2.req",
    ]


def test_already_connected():
    root = PortRoot()
    root.a, root.b, root.c = Dev(), Dev(), Dev()
    root.a.req = root.b.resp
    with pytest.raises(
        ConfigError, match=r"Port a\.req is already connected to b\.resp, cannot connect c\.resp"
    ):
        root.a.req = root.c.resp
    with pytest.raises(
        ConfigError, match=r"Port b\.resp is already connected to a\.req, cannot connect c\.req"
    ):
        root.c.req = root.b.resp
    assert root.c.req.peer is None


def test_incompatible_roles():
    root = PortRoot()
    root.a, root.b = Dev(), Dev()
    with pytest.raises(
        ConfigError,
        match=r"Ports a\.req and b\.req with roles 'GEM5 REQUESTOR' and 'GEM5 REQUESTOR' are not compatible",
    ):
        root.a.req = root.b.req
    with pytest.raises(
        ConfigError, match="'INT SOURCE PIN' and 'GEM5 RESPONDER' are not compatible"
    ):
        root.a.irq = root.b.resp
    with pytest.raises(ConfigError, match="'GEM5 REQUESTOR' and 'INT SINK PIN' are not compatible"):
        root.a.req = root.b.lint


def test_non_port_assignment():
    root = PortRoot()
    root.a = Dev()
    with pytest.raises(TypeError, match=r"assigning non-port reference '5' to port 'a\.req'"):
        root.a.req = 5


def test_interrupt_pins():
    root = PortRoot()
    root.pic = Bus()
    root.pit, root.rtc, root.out, root.cpu = Dev(), Dev(), Dev(), Dev()
    root.pit.irq = root.pic.pins
    root.rtc.irq = root.pic.pins
    root.cpu.lint = root.out.irq
    assert str(root.pic.pins[1].peer) == "rtc.irq"
    assert str(root.out.irq.peer) == "cpu.lint"
    prepare(root)
    assert root.cpu.port_bindings() == [PortBinding("lint", -1, root.out, "irq", -1)]


def test_touched_but_unconnected_port_prints_none():
    root = PortRoot()
    root.a = Dev()
    _ = root.a.resp
    assert "resp=None\n" in config_ini(root)


def test_splice_inserts_a_pair():
    root = PortRoot()
    root.a, root.b, root.mid = Dev(), Dev(), Dev()
    root.a.req = root.b.resp
    root.a.req.splice(root.mid.resp, root.mid.req)
    assert str(root.a.req.peer) == "mid.resp"
    assert str(root.b.resp.peer) == "mid.req"
    with pytest.raises(ConfigError, match="not connected, cannot splice"):
        root.c = Dev()
        root.c.req.splice(root.a.resp, root.b.req)


def test_scalar_port_is_not_indexable():
    root = PortRoot()
    root.a, root.b = Dev(), Dev()
    with pytest.raises(TypeError, match="is not a vector port"):
        root.a.req[0] = root.b.resp
