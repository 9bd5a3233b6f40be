"""gem5.components.boards.mem_mode: the memory modes a board may be in."""

from enum import Enum


class MemMode(Enum):
    TIMING = 1
    ATOMIC = 2
    ATOMIC_NONCACHING = 3


_NAMES = {
    MemMode.TIMING: "timing",
    MemMode.ATOMIC: "atomic",
    MemMode.ATOMIC_NONCACHING: "atomic_noncaching",
}


def mem_mode_to_string(mem_mode: MemMode) -> str:
    """The System.mem_mode value of `mem_mode` ("timing", "atomic", ...)."""
    try:
        return _NAMES[mem_mode]
    except KeyError:
        raise NotImplementedError(f"unknown memory mode {mem_mode!r}") from None
