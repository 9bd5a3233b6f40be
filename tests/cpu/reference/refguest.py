"""A guest RAM with the boot contract's tables, and an engine over it, for the tests."""

from __future__ import annotations

import struct

from simobjs.cpu.reference.engine import ReferenceEngine
from simobjs.guest.snippets import (
    CODE_AT,
    IDT_AT,
    TSS_AT,
    assemble,
    idt_gate,
    long_mode_state,
    write_tables,
)
from simobjs.mem.guest_ram import GuestRam

RAM_SIZE = 4 << 20
KSTACK = RAM_SIZE - 0x1000  # RSP0 in the TSS
USTACK = 0x300000
IST1 = 0x200000
MIB = 1 << 20


class RefGuest:
    """`source` assembled at CODE_AT; `.org` places handlers at known offsets."""

    def __init__(self, source: str, cpl: int = 0, io_read=None, io_write=None) -> None:
        self.ram = GuestRam(0, RAM_SIZE)
        write_tables(self.ram, KSTACK)
        self.ram.write(TSS_AT + 36, struct.pack("<Q", IST1))
        self.code = assemble(source)
        self.ram.write(CODE_AT, self.code)
        self.io = []
        self.engine = ReferenceEngine(
            [self.ram], io_read or self._io_read, io_write or self._io_write
        )
        self.state = long_mode_state(cpl, CODE_AT, USTACK if cpl else KSTACK)
        self.engine.load_state(self.state)

    def _io_read(self, addr: int, size: int) -> int:
        self.io.append(("r", addr, size))
        return 0x5A

    def _io_write(self, addr: int, size: int, value: int) -> None:
        self.io.append(("w", addr, size, value))

    def gate(
        self, vector: int, offset: int, dpl: int = 0, ist: int = 0, trap: bool = False
    ) -> None:
        raw = bytearray(idt_gate(CODE_AT + offset, dpl=dpl))
        raw[4] = ist
        if trap:
            raw[5] |= 1
        self.ram.write(IDT_AT + 16 * vector, bytes(raw))

    def u64s(self, addr: int, n: int) -> list[int]:
        return list(struct.unpack(f"<{n}Q", self.ram.read(addr, 8 * n)))

    def close(self) -> None:
        self.engine.close()
        self.ram.close()
