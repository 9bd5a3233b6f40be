"""Interrupt wires at run time (gem5's IntSourcePin / IntSinkPin).

`source.raise_()` / `source.lower()` call the sink owner's
`raiseInterruptPin(number)` / `lowerInterruptPin(number)`; `sink.acknowledge()`
is an INTA cycle: it calls the source owner's `interruptAcknowledge(index)` and
returns the vector. The kernel binds pins like ports (getPort, then bind).
"""

from __future__ import annotations

from simobjs.errors import SimulationError


class _Pin:
    def __init__(self, name: str, owner, index: int = -1):
        self.name = name
        self.owner = owner
        self.index = index

    def full_name(self) -> str:
        idx = f"[{self.index}]" if self.index >= 0 else ""
        return f"{self.owner.name()}.{self.name}{idx}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.full_name()}>"


class IntSinkPin(_Pin):
    """A controller's input line `number` (the index of a vector pin, or a fixed number)."""

    def __init__(self, name: str, owner, index: int = -1, number: int | None = None):
        super().__init__(name, owner, index)
        self.number = number if number is not None else max(index, 0)
        self.source: IntSourcePin | None = None
        self.peer = None

    def isConnected(self) -> bool:
        return self.source is not None

    def bind(self, peer: IntSourcePin) -> None:
        if not isinstance(peer, IntSourcePin):
            raise SimulationError(
                f"{self.full_name()}: can only connect to an interrupt source pin"
            )
        peer.bind(self)

    def acknowledge(self) -> int:
        """INTA: ask the driving device for the vector of the interrupt it signals."""
        if self.source is None:
            raise SimulationError(f"interrupt acknowledge on unconnected pin {self.full_name()}")
        return self.source.owner.interruptAcknowledge(max(self.source.index, 0))


class IntSourcePin(_Pin):
    """A device's output line; it may drive several sinks. `high` is the current level."""

    def __init__(self, name: str, owner, index: int = -1):
        super().__init__(name, owner, index)
        self.sinks: list[IntSinkPin] = []
        self.high = False
        self.peer = None

    def isConnected(self) -> bool:
        return bool(self.sinks)

    def bind(self, peer: IntSinkPin) -> None:
        if not isinstance(peer, IntSinkPin):
            raise SimulationError(f"{self.full_name()}: can only connect to an interrupt sink pin")
        if peer not in self.sinks:
            self.sinks.append(peer)
        peer.source = self
        self.peer = peer
        peer.peer = self

    def raise_(self) -> None:
        self.high = True
        for sink in self.sinks:
            sink.owner.raiseInterruptPin(sink.number)

    def lower(self) -> None:
        self.high = False
        for sink in self.sinks:
            sink.owner.lowerInterruptPin(sink.number)

    def pulse(self) -> None:
        """Raise then lower: an edge, as gem5's 8254 gives the 8259 for each timer interrupt."""
        self.raise_()
        self.lower()


# gem5 spells it `raise`; a keyword in Python, so it is reachable as getattr(pin, "raise")
setattr(IntSourcePin, "raise", IntSourcePin.raise_)  # noqa: B010
