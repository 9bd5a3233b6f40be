"""gem5.components.memory.dram_interfaces.ddr3: the DDR3 interfaces simobjs
declares (m5.objects), looked up when first used."""

from typing import Any

NAMES = ("DDR3_1600_8x8", "DDR3_2133_8x8")


def __getattr__(name: str) -> Any:
    if name in NAMES:
        import m5.objects

        return getattr(m5.objects, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = list(NAMES)
