"""The crossbar (SystemXBar, IOXBar): routes atomic packets by address range.

Like firecracker's bus: ranges are checked for overlaps when the routing table
is built (a ConfigError naming both devices), and lookups are a bisect over
sorted, disjoint ranges. An address nobody claims goes to the `default` port if
connected, and otherwise stops the run with an error naming the address and the requester.
"""

from __future__ import annotations

import bisect
from typing import Any

from simobjs.base.addr_range import AddrRange
from simobjs.errors import ConfigError, Problem, SimulationError, UnmappedAccess
from simobjs.mem.packet import Packet
from simobjs.sim import debug
from simobjs.sim.model import ClockedModel, Params
from simobjs.sim.port import RequestPort, ResponsePort


def _describe(addr: int) -> str:
    if addr & 0x8000000000000000:
        return f"{addr:#x} (I/O port {addr & 0xFFFF:#x})"
    return f"{addr:#x}"


ROUTE_CACHE_SIZE = 4096  # (address, size) pairs remembered: device registers, not RAM


class XBar(ClockedModel):
    """A non-blocking atomic crossbar; both gem5 flavours share this model."""

    def __init__(self, params: Params):
        super().__init__(params)
        self.cpu_side_ports: dict[int, ResponsePort] = {}
        self.mem_side_ports: dict[int, RequestPort] = {}
        self.default = RequestPort("default", self)
        self.use_default_range = params.use_default_range
        self._starts: list[int] = []
        self._routes: list[tuple[int, int, RequestPort]] = []  # (start, end, port), sorted
        self._built = False
        self._route_cache: dict[tuple[int, int], RequestPort] = {}  # (addr, size) -> port
        self._native = None  # built when a CPU compiles its memory system

    # -- ports -------------------------------------------------------------------------
    def getPort(self, name: str, index: int = -1):
        idx = max(index, 0)
        if name in ("cpu_side_ports", "slave"):
            if idx not in self.cpu_side_ports:
                self.cpu_side_ports[idx] = ResponsePort(
                    "cpu_side_ports", self, self.recvAtomic, self.getAddrRanges, idx
                )
            return self.cpu_side_ports[idx]
        if name in ("mem_side_ports", "master"):
            if idx not in self.mem_side_ports:
                self.mem_side_ports[idx] = RequestPort("mem_side_ports", self, idx)
                self._built = False
                self._route_cache.clear()
            return self.mem_side_ports[idx]
        if name == "default":
            return self.default
        return super().getPort(name, index)

    # -- routing table -----------------------------------------------------------------
    def init(self) -> None:
        self.build_routes()

    def build_routes(self) -> None:
        """Collect the ranges of every mem-side peer; overlaps are one ConfigError."""
        entries: list[tuple[int, int, RequestPort]] = []
        for idx in sorted(self.mem_side_ports):
            port = self.mem_side_ports[idx]
            if port.peer is None:
                continue
            for r in port.getAddrRanges():
                if r.size() > 0:
                    entries.append((int(r.start), int(r.end), port))
        entries.sort(key=lambda e: (e[0], e[1]))
        problems = []
        widest: tuple[int, int, RequestPort] | None = None  # the entry reaching furthest so far
        for entry in entries:
            if widest is not None and entry[0] < widest[1]:
                (s0, e0, p0), (s1, e1, p1) = widest, entry
                problems.append(
                    Problem(
                        self.name(),
                        f"address ranges overlap: {p0.peer.owner.name()} [{s0:#x}, {e0:#x}) "
                        f"and {p1.peer.owner.name()} [{s1:#x}, {e1:#x})",
                    )
                )
            if widest is None or entry[1] > widest[1]:
                widest = entry
        if problems:
            raise ConfigError(problems)
        self._routes = entries
        self._starts = [e[0] for e in entries]
        self._route_cache.clear()
        self._built = True

    def getAddrRanges(self) -> list[AddrRange]:
        """What this crossbar serves, seen from its CPU side (for a bridge or another bus)."""
        if not self._built:
            self.build_routes()
        ranges = [AddrRange(s, e) for s, e, _ in self._routes]
        if self.default.peer is not None and self.use_default_range:
            ranges += self.default.getAddrRanges()
        return ranges

    def route(self, addr: int, size: int = 1) -> RequestPort | None:
        """The mem-side port that serves [addr, addr + size), or None."""
        if not self._built:
            self.build_routes()
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0:
            start, end, port = self._routes[i]
            if addr + size <= end:
                return port
            if addr < end:
                raise SimulationError(
                    f"access of {size} bytes at {_describe(addr)} crosses the end of "
                    f"{port.peer.owner.name()}'s range [{start:#x}, {end:#x})",
                    self.name(),
                )
        return None

    # -- the compiled memory system ------------------------------------------------------
    def memsys_native(self, compiler: Any) -> Any:
        """This crossbar in a CPU's compiled memory system: its latencies and routes."""
        if self._native is None:
            from simobjs.mem.memsys.native import NativeXBar

            p = self.params
            period = self.clockPeriod()
            # only the coherent flavour declares a snoop filter
            sf = getattr(p, "snoop_filter", None)
            snoop = int(sf.params.lookup_latency) * period if sf is not None else 0
            self._native = NativeXBar(
                period=period,
                req_lat=(int(p.frontend_latency) + int(p.forward_latency)) * period,
                snoop_lat=snoop,
                resp_lat=int(p.response_latency) * period,
            )
        if not self._built:
            self.build_routes()
        routes = [(start, end, compiler.node_of(port)) for start, end, port in self._routes]
        default = compiler.node_of(self.default) if self.default.peer is not None else None
        self._native.set_routes(routes, default)
        return self._native.node

    # -- packets -----------------------------------------------------------------------
    def recvAtomic(self, pkt: Packet) -> int:
        key = (pkt.addr, pkt.size)
        port = self._route_cache.get(key)
        if port is None:
            port = self.route(pkt.addr, pkt.size)
            if port is not None and len(self._route_cache) < ROUTE_CACHE_SIZE:
                self._route_cache[key] = port  # device registers are hit again and again
        if port is not None:
            if debug.flags.XBar:
                debug.dprintf(
                    self,
                    "%s %#x size %d -> %s",
                    pkt.cmd.value,
                    pkt.addr,
                    pkt.size,
                    port.peer.owner.name(),
                )
            return port.sendAtomic(pkt)
        if self.default.peer is not None:
            return self.default.sendAtomic(pkt)
        kind = "read" if pkt.isRead() else "write"
        raise UnmappedAccess(self.name(), kind, pkt.addr, pkt.size, pkt.requestor or "")
