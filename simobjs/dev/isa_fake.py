"""gem5's IsaFake and BadAddr: a device that answers with fixed data, or (with
`ret_bad_addr`) the responder behind a crossbar's `default` port that turns
every access nobody claims into a clear simulation error."""

from __future__ import annotations

import sys

from simobjs.base.addr_range import AddrRange
from simobjs.dev.pio import BasicPioDevice
from simobjs.errors import SimulationError
from simobjs.mem.packet import Packet
from simobjs.sim.model import Params


def _describe(addr: int) -> str:
    if addr & 0x8000000000000000:
        return f"{addr:#x} (I/O port {addr & 0xFFFF:#x})"
    return f"{addr:#x}"


class IsaFake(BasicPioDevice):
    def __init__(self, params: Params):
        super().__init__(params)
        p = params
        self.bad_addr = p.ret_bad_addr
        self.pio_size = 0 if p.ret_bad_addr else p.pio_size
        self.update_data = p.update_data
        self.warn_access = p.warn_access
        self.data = {1: p.ret_data8, 2: p.ret_data16, 4: p.ret_data32, 8: p.ret_data64}

    def getAddrRanges(self) -> list[AddrRange]:
        if self.bad_addr:
            return []  # a default responder: it serves what no range claims
        return super().getAddrRanges()

    def recvAtomic(self, pkt: Packet) -> int:
        if self.bad_addr:
            kind = "read" if pkt.isRead() else "write"
            raise SimulationError(
                f"bad address: the {pkt.size}-byte {kind} at {_describe(pkt.addr)} "
                f"(requested by {pkt.requestor or 'an unnamed requestor'}) is claimed by "
                "no device and reached the bad-address responder",
                self.name(),
            )
        return super().recvAtomic(pkt)

    def _check_size(self, size: int) -> None:
        if size not in self.data:
            raise SimulationError(f"invalid access size {size} (1, 2, 4 or 8)", self.name())

    def read(self, offset: int, size: int) -> int:
        self._check_size(size)
        if self.warn_access:
            print(
                f"warn: Device {self.name()} accessed by read to address "
                f"{self.pio_addr + offset:#x} size={size}",
                file=sys.stderr,
            )
        return self.data[size]

    def write(self, offset: int, size: int, value: int) -> None:
        self._check_size(size)
        if self.warn_access:
            print(
                f"warn: Device {self.name()} accessed by write to address "
                f"{self.pio_addr + offset:#x} size={size} data={value:#x}",
                file=sys.stderr,
            )
        if self.update_data:
            self.data[size] = value
