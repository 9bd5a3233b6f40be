"""Atomic memory packets."""

from __future__ import annotations

from enum import Enum


class MemCmd(Enum):
    ReadReq = "ReadReq"
    WriteReq = "WriteReq"


class Packet:
    """One atomic access: command, physical address, size and data (little-endian)."""

    __slots__ = ("cmd", "addr", "size", "data", "requestor")

    def __init__(
        self,
        cmd: MemCmd,
        addr: int,
        size: int,
        data: bytes | bytearray | None = None,
        requestor: str = "",
    ):
        self.cmd = cmd
        self.addr = addr
        self.size = size
        if data is None:
            self.data = bytearray(size)
        else:
            if len(data) != size:
                raise ValueError(f"packet data is {len(data)} bytes, size is {size}")
            self.data = bytearray(data)
        self.requestor = requestor

    @classmethod
    def read(cls, addr: int, size: int, requestor: str = "") -> Packet:
        return cls(MemCmd.ReadReq, addr, size, None, requestor)

    @classmethod
    def write(cls, addr: int, data: bytes | bytearray, requestor: str = "") -> Packet:
        return cls(MemCmd.WriteReq, addr, len(data), data, requestor)

    def isRead(self) -> bool:
        return self.cmd is MemCmd.ReadReq

    def isWrite(self) -> bool:
        return self.cmd is MemCmd.WriteReq

    def get_uint(self) -> int:
        return int.from_bytes(self.data, "little")

    def set_uint(self, value: int) -> None:
        self.data[:] = (value & ((1 << (8 * self.size)) - 1)).to_bytes(self.size, "little")

    def __repr__(self) -> str:
        return f"<Packet {self.cmd.value} {self.addr:#x} size={self.size} from {self.requestor}>"
