"""Address ranges (gem5's base/addr_range.hh): [start, end), optionally interleaved.

This is the value models work with; the `AddrRange` param type
(`simobjs.params.types`) parses gem5's spellings and freezes to one of these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

IO_ADDRESS_SPACE = 0x8000000000000000  # gem5's x86 port I/O space


def x86IOAddress(port: int) -> int:  # noqa: N802 - gem5's name
    """The physical address gem5 gives x86 I/O port `port`."""
    return IO_ADDRESS_SPACE | port


class AddrRange:
    """[start, end) with optional interleaving: an address belongs to the range when
    the parity of `addr & masks[i]` is bit i of `intlvMatch`, for every mask."""

    def __init__(self, start: int, end: int, intlvMatch: int = 0, masks: Sequence[int] = ()):  # noqa: N803
        self.start = start
        self.end = end
        self.intlvMatch = intlvMatch
        self.masks = list(masks)

    @property
    def intlvBits(self) -> int:  # noqa: N802 - gem5's name
        return len(self.masks)

    def size(self) -> int:
        """Bytes covered (divided by the interleave factor, as gem5)."""
        return (self.end - self.start) >> len(self.masks)

    def interleaved(self) -> bool:
        return bool(self.masks)

    def contains(self, addr: int) -> bool:
        if not self.start <= addr < self.end:
            return False
        for i, mask in enumerate(self.masks):
            if (addr & mask).bit_count() % 2 != (self.intlvMatch >> i) & 1:
                return False
        return True

    def __contains__(self, addr: int) -> bool:
        return self.contains(addr)

    def intersects(self, other: AddrRange) -> bool:
        """True when the two ranges share an address (interleaving is respected only
        when both use the same masks)."""
        if self.start >= other.end or other.start >= self.end:
            return False
        if self.masks and self.masks == other.masks:
            return self.intlvMatch == other.intlvMatch
        return True

    def is_subset(self, other: AddrRange) -> bool:
        return other.start <= self.start and self.end <= other.end

    def _key(self) -> tuple:
        return (self.start, self.end, self.intlvMatch, tuple(self.masks))

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, AddrRange) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        """gem5's config.ini form: start:end, with interleaving start:end:match:mask..."""
        if not self.masks:
            return f"{self.start}:{self.end}"
        return f"{self.start}:{self.end}:{self.intlvMatch}:" + ":".join(str(m) for m in self.masks)

    def __repr__(self) -> str:
        return f"AddrRange({self.start:#x}, {self.end:#x})"
