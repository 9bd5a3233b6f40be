"""gem5.components.processors.cpu_types: the CPU models a core may use."""

from __future__ import annotations

import os
from enum import Enum

from gem5.components.boards.mem_mode import MemMode


class CPUTypes(Enum):
    ATOMIC = "atomic"
    KVM = "kvm"
    O3 = "o3"
    TIMING = "timing"
    MINOR = "minor"


def get_cpu_types_str_set() -> set[str]:
    return {cpu_type.value for cpu_type in CPUTypes}


def get_cpu_type_from_str(input: str) -> CPUTypes:  # noqa: A002 - gem5's parameter name
    """The CPU type called `input` (any case); an unknown name lists the known ones."""
    for cpu_type in CPUTypes:
        if input.lower() == cpu_type.value:
            return cpu_type
    known = "".join(f"{os.linesep}{name}" for name in sorted(get_cpu_types_str_set()))
    raise Exception(
        f"CPU type '{input}' does not correspond to a known CPU type. Known CPU Types:{known}"
    )


_MEM_MODES = {
    CPUTypes.TIMING: MemMode.TIMING,
    CPUTypes.O3: MemMode.TIMING,
    CPUTypes.MINOR: MemMode.TIMING,
    CPUTypes.KVM: MemMode.ATOMIC_NONCACHING,
    CPUTypes.ATOMIC: MemMode.ATOMIC,
}


def get_mem_mode(input: CPUTypes) -> MemMode:  # noqa: A002 - gem5's parameter name
    """The memory mode a board needs for cores of type `input`."""
    return _MEM_MODES[input]
