"""Runtime ports: a request port sends atomic packets to the response port it is bound to."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from simobjs.errors import SimulationError

if TYPE_CHECKING:
    from simobjs.mem.packet import Packet


class Port:
    def __init__(self, name: str, owner, index: int = -1):
        self.name = name
        self.owner = owner
        self.index = index
        self.peer: Port | None = None

    def full_name(self) -> str:
        idx = f"[{self.index}]" if self.index >= 0 else ""
        return f"{self.owner.name()}.{self.name}{idx}"

    def isConnected(self) -> bool:
        return self.peer is not None

    def bind(self, peer: Port) -> None:
        self.peer = peer
        peer.peer = self
        self._wired()
        peer._wired()

    def unbind(self) -> None:
        """Forget the peer (the peer keeps its own link, as gem5's takeOverFrom)."""
        self.peer = None
        self._wired()

    def _wired(self) -> None:
        """The binding changed."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.full_name()}>"


class ResponsePort(Port):
    """Receives packets. `recv_atomic(pkt) -> ticks` and `ranges() -> [AddrRange]` are
    supplied by the owner (callables) so a model with several ports needs no subclass."""

    def __init__(
        self,
        name: str,
        owner,
        recv_atomic: Callable[[Packet], int],
        ranges: Callable[[], list] | None = None,
        index: int = -1,
    ):
        super().__init__(name, owner, index)
        self._recv_atomic = recv_atomic
        self._ranges = ranges or (lambda: [])

    @property
    def recvAtomic(self) -> Callable[[Packet], int]:
        return self._recv_atomic

    @recvAtomic.setter
    def recvAtomic(self, fn: Callable[[Packet], int]) -> None:
        """Replace the handler (e.g. to observe packets); a bound peer calls the new one."""
        self._recv_atomic = fn
        if self.peer is not None:
            self.peer._wired()

    def getAddrRanges(self) -> list:
        return self._ranges()


class RequestPort(Port):
    def sendAtomic(self, pkt: Packet) -> int:
        """Send to the peer; while bound, the instance's `sendAtomic` is the peer's
        `recvAtomic` itself (one Python call per hop, as gem5's direct calls)."""
        peer = self.peer
        if peer is None:
            raise SimulationError(f"port {self.full_name()} is not connected", self.owner.name())
        return peer.recvAtomic(pkt)

    def _wired(self) -> None:
        if self.peer is not None:
            self.sendAtomic = self.peer.recvAtomic
        else:
            self.__dict__.pop("sendAtomic", None)

    def getAddrRanges(self) -> list:
        return self.peer.getAddrRanges() if self.peer is not None else []
