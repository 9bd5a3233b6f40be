"""x86-64: the architectural state type, the loader, the interrupt controller."""

from simobjs.base.addr_range import IO_ADDRESS_SPACE, x86IOAddress

__all__ = ["IO_ADDRESS_SPACE", "x86IOAddress"]
