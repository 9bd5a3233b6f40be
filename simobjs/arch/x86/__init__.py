"""x86-64: the architectural state type, the loader, the interrupt controller."""

IO_ADDRESS_SPACE = 0x8000000000000000


def x86IOAddress(port: int) -> int:
    """The physical address gem5 gives x86 I/O port `port`."""
    return IO_ADDRESS_SPACE | port
