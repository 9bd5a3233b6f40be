"""Build platform models without the kernel: params records from the declarations and a
bare EventQueue."""

from __future__ import annotations

from types import SimpleNamespace

from simobjs.config.params import build_model
from simobjs.mem.packet import Packet
from simobjs.sim.eventq import EventQueue
from simobjs.sim.port import RequestPort


def fake_sim(outdir=None):
    return SimpleNamespace(eventq=EventQueue(), outdir=outdir, models={})


def make(decl_cls, name, sim, **params):
    """The model of declaration class `decl_cls`, its params the declared defaults with
    `params` (in the form a model receives) replacing some."""
    return build_model(decl_cls, name, sim, **params)


class Requestor:
    """A request port owner that sends reads and writes (a stand-in CPU)."""

    def __init__(self, name="cpu"):
        self._name = name
        self.port = RequestPort("dcache_port", self)

    def name(self):
        return self._name

    def read(self, addr, size=1):
        pkt = Packet.read(addr, size, self._name)
        self.port.sendAtomic(pkt)
        return pkt.get_uint()

    def write(self, addr, value, size=1):
        pkt = Packet.write(addr, value.to_bytes(size, "little"), self._name)
        return self.port.sendAtomic(pkt)


class PinRecorder:
    """A sink-pin owner recording raise/lower calls; answers nothing."""

    def __init__(self, name="sink"):
        self._name = name
        self.events = []

    def name(self):
        return self._name

    def raiseInterruptPin(self, number):
        self.events.append(("raise", number))

    def lowerInterruptPin(self, number):
        self.events.append(("lower", number))
