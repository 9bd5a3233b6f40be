"""Runtime ports: binding, the direct call to the peer, rebinding, errors."""

import pytest

from simobjs.errors import SimulationError
from simobjs.sim.port import RequestPort, ResponsePort


class Owner:
    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name


def test_a_bound_port_calls_the_peer_and_follows_its_handler():
    seen = []
    resp = ResponsePort("pio", Owner("dev"), lambda pkt: seen.append(("first", pkt)) or 7)
    req = RequestPort("port", Owner("cpu"))
    resp.bind(req)  # either side may bind
    assert req.sendAtomic("p1") == 7
    resp.recvAtomic = lambda pkt: seen.append(("second", pkt)) or 9  # e.g. an observer
    assert req.sendAtomic("p2") == 9
    assert seen == [("first", "p1"), ("second", "p2")]


def test_an_unbound_port_says_so_and_a_taken_over_binding_moves():
    resp = ResponsePort("pio", Owner("dev"), lambda pkt: 1)
    old, new = RequestPort("port", Owner("cpu0")), RequestPort("port", Owner("cpu1"))
    with pytest.raises(SimulationError, match="port cpu0.port is not connected"):
        old.sendAtomic("p")
    old.bind(resp)
    assert old.sendAtomic("p") == 1
    old.unbind()
    new.bind(resp)
    assert new.sendAtomic("p") == 1 and resp.peer is new
    with pytest.raises(SimulationError, match="not connected"):
        old.sendAtomic("p")
