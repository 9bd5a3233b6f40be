"""Programmed-I/O devices: a response port at [pio_addr, +pio_size), accesses by offset."""

from __future__ import annotations

from simobjs.base.addr_range import AddrRange
from simobjs.errors import SimulationError
from simobjs.mem.packet import Packet
from simobjs.sim.model import ClockedModel, Params
from simobjs.sim.port import ResponsePort


class BasicPioDevice(ClockedModel):
    """gem5's BasicPioDevice: subclasses implement read(offset, size) / write(offset, size, value)."""

    pio_size = 8  # bytes the device decodes (a declared param where gem5 declares one)

    def __init__(self, params: Params):
        super().__init__(params)
        self.pio_addr = params.pio_addr
        self.pio_latency = params.pio_latency
        self.system = params.system
        self.pio = ResponsePort("pio", self, self.recvAtomic, self.getAddrRanges)

    def getAddrRanges(self) -> list[AddrRange]:
        return [AddrRange(self.pio_addr, self.pio_addr + self.pio_size)]

    def getPort(self, name: str, index: int = -1):
        if name == "pio":
            return self.pio
        return super().getPort(name, index)

    def recvAtomic(self, pkt: Packet) -> int:
        offset = pkt.addr - self.pio_addr
        if offset < 0 or offset + pkt.size > self.pio_size:
            raise SimulationError(
                f"access of {pkt.size} bytes at {pkt.addr:#x} is outside the device's "
                f"range [{self.pio_addr:#x}, {self.pio_addr + self.pio_size:#x})",
                self.name(),
            )
        if pkt.isRead():
            pkt.set_uint(self.read(offset, pkt.size))
        else:
            self.write(offset, pkt.size, pkt.get_uint())
        return self.pio_latency

    def read(self, offset: int, size: int) -> int:
        raise NotImplementedError

    def write(self, offset: int, size: int, value: int) -> None:
        raise NotImplementedError
