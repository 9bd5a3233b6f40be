"""gem5.isas: the instruction set architectures the standard library names."""

from __future__ import annotations

import os
from enum import Enum


class ISA(Enum):
    """An ISA, by gem5's lower-case name (simobjs builds only X86)."""

    X86 = "x86"
    RISCV = "riscv"
    ARM = "arm"
    MIPS = "mips"
    POWER = "power"
    SPARC = "sparc"
    NULL = "null"


def get_isas_str_set() -> set[str]:
    """The names of every ISA ("x86", "arm", ...)."""
    return {isa.value for isa in ISA}


def get_isa_from_str(input: str) -> ISA:  # noqa: A002 - gem5's parameter name
    """The ISA called `input` (any case); an unknown name lists the known ones."""
    for isa in ISA:
        if input.lower() == isa.value:
            return isa
    known = "".join(f"{os.linesep}{name}" for name in sorted(get_isas_str_set()))
    raise Exception(f"Value '{input}' does not correspond to a known ISA. Known ISAs:{known}")
