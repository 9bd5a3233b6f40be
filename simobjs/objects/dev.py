"""Devices: programmed-I/O devices, the 8250 UART and its terminal."""

from __future__ import annotations

import simobjs.objects.system  # noqa: F401  (Param.System below)
from simobjs.objects.sim import ClockedObject
from simobjs.params import Param, Parent, ResponsePort, ScopedEnum, SimObject
from simobjs.params.types import AddrRange


class PioDevice(ClockedObject):
    type = "PioDevice"
    cxx_class = "gem5::PioDevice"
    abstract = True
    pio = ResponsePort("Programmed I/O port", required=True)
    system = Param.System(Parent.any, "System this device is part of")


class BasicPioDevice(PioDevice):
    """A device at [pio_addr, pio_addr + pio_size) on its bus."""

    type = "BasicPioDevice"
    cxx_class = "gem5::BasicPioDevice"
    abstract = True
    pio_addr = Param.Addr("Device Address")
    pio_latency = Param.Latency("100ns", "Programmed IO latency")

    def _addr_ranges(self) -> list[AddrRange]:
        addr = self._values.get("pio_addr")
        size = self._values.get("pio_size")
        if addr is None or size is None or isinstance(addr, list) or not hasattr(addr, "value"):
            return []
        try:
            return [AddrRange(int(addr), size=int(size))]
        except Exception:
            return []


class SerialDevice(SimObject):
    type = "SerialDevice"
    cxx_class = "gem5::SerialDevice"
    abstract = True


class TerminalDump(ScopedEnum):
    """Where a Terminal copies guest output: gem5's values, plus `stdout`
    (same as `stdoutput`) and `both` (the file and stdout)."""

    vals = ["none", "stdoutput", "stderror", "file", "stdout", "both"]


class Terminal(SerialDevice):
    type = "Terminal"
    cxx_class = "gem5::Terminal"
    _model = "simobjs.dev.terminal:Terminal"
    port = Param.HostSocket(3456, "listen port/socket")
    number = Param.Int(0, "terminal number")
    outfile = Param.TerminalDump("file", "Selects if and where the terminal is dumping its output")


class Uart(BasicPioDevice):
    type = "Uart"
    cxx_class = "gem5::Uart"
    abstract = True
    device = Param.SerialDevice(Parent.any, "The terminal")


class Uart8250(Uart):
    type = "Uart8250"
    cxx_class = "gem5::Uart8250"
    _model = "simobjs.dev.uart:Uart8250"
    pio_size = Param.Addr(0x8, "Size of address range")


__all__ = [
    "BasicPioDevice",
    "PioDevice",
    "SerialDevice",
    "Terminal",
    "TerminalDump",
    "Uart",
    "Uart8250",
]
