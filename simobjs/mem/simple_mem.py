"""SimpleMemory: one GuestRam for params.range, served through an atomic response port."""

from __future__ import annotations

from typing import Any

from simobjs.errors import SimulationError
from simobjs.mem.guest_ram import GuestRam
from simobjs.mem.memsys import statdefs
from simobjs.mem.memsys.native import NativeSimpleMemory, requestor_names, system_of
from simobjs.mem.packet import Packet
from simobjs.mem.port import ResponsePort
from simobjs.sim.model import ClockedModel, Params


class SimpleMemory(ClockedModel):
    """gem5's SimpleMemory in atomic mode: the latency of each access is `latency`."""

    def __init__(self, params: Params):
        super().__init__(params)
        rng = params.range
        self.range = rng
        self.latency = int(getattr(params, "latency", 0) or 0)
        self.writeable = bool(getattr(params, "writeable", True))
        self.ram: GuestRam | None = GuestRam(int(rng.start), int(rng.size()), name=self.name())
        self.port = ResponsePort("port", self, self.recvAtomic, lambda: [self.range])
        self.native: NativeSimpleMemory | None = None

    def init(self) -> None:
        self.requestor_names = requestor_names(system_of(self))
        self.native = NativeSimpleMemory(
            latency=self.latency,
            ticks_per_byte=float(self.params.bandwidth),
            nreq=len(self.requestor_names),
        )

    def memsys_native(self, compiler: Any) -> Any:
        """This memory in a CPU's compiled memory system (its latency and bandwidth)."""
        return self.native.node

    def regStats(self) -> None:
        statdefs.memory_stats(self, self.native.s.mem, self.requestor_names)

    def getPort(self, name: str, index: int = -1):
        if name == "port":
            return self.port
        return super().getPort(name, index)

    def recvAtomic(self, pkt: Packet) -> int:
        ram = self.ram
        off = pkt.addr - ram.start
        if off < 0 or off + pkt.size > ram.size:
            raise SimulationError(
                f"access of {pkt.size} bytes at {pkt.addr:#x} from {pkt.requestor} is outside "
                f"[{ram.start:#x}, {ram.end:#x})",
                self.name(),
            )
        if pkt.isRead():
            pkt.data[:] = ram.view[off : off + pkt.size]  # in bounds: checked above
        elif self.writeable:
            ram.view[off : off + pkt.size] = pkt.data  # in bounds: checked above
        return self.latency

    def close(self) -> None:
        if self.ram is not None:
            self.ram.close()
            self.ram = None
