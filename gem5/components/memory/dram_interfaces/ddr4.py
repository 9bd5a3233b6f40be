"""gem5.components.memory.dram_interfaces.ddr4: the DDR4 interfaces simobjs
declares (m5.objects), looked up when first used."""

from typing import Any

NAMES = ("DDR4_2400_16x4", "DDR4_2400_8x8", "DDR4_2400_4x16")


def __getattr__(name: str) -> Any:
    if name in NAMES:
        import m5.objects

        return getattr(m5.objects, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = list(NAMES)
