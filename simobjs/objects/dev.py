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


class IsaFake(BasicPioDevice):
    """A device that answers every access in its range with fixed data (gem5's
    IsaFake); with `ret_bad_addr` it answers every access with a bad-address error."""

    type = "IsaFake"
    cxx_class = "gem5::IsaFake"
    _model = "simobjs.dev.isa_fake:IsaFake"
    pio_size = Param.Addr(0x8, "Size of address range")
    ret_data8 = Param.UInt8(0xFF, "Default data to return")
    ret_data16 = Param.UInt16(0xFFFF, "Default data to return")
    ret_data32 = Param.UInt32(0xFFFFFFFF, "Default data to return")
    ret_data64 = Param.UInt64(0xFFFFFFFFFFFFFFFF, "Default data to return")
    ret_bad_addr = Param.Bool(False, "Return pkt status bad address on access")
    update_data = Param.Bool(False, "Update the data that is returned on writes")
    warn_access = Param.String("", "String to print when device is accessed")
    fake_mem = Param.Bool(
        False, "Is this device acting like a memory and thus may get a cache line sized req"
    )

    def _addr_ranges(self) -> list[AddrRange]:
        if self._values.get("ret_bad_addr"):
            return []  # claims no range: it is a crossbar's default responder
        return super()._addr_ranges()


class BadAddr(IsaFake):
    """The responder for addresses no device claims (a crossbar's `default`
    port): every access stops the simulation with a bad-address error."""

    pio_addr = 0
    ret_bad_addr = Param.Bool(True, "Return pkt status bad address on access")


__all__ = [
    "BadAddr",
    "BasicPioDevice",
    "IsaFake",
    "PioDevice",
    "SerialDevice",
    "Terminal",
    "TerminalDump",
    "Uart",
    "Uart8250",
]
