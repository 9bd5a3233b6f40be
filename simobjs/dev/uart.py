"""The 8250 UART (gem5's Uart8250): the registers a real driver uses.

Offsets: 0 THR/RBR (DLL when LCR.DLAB), 1 IER (DLM when DLAB), 2 IIR (read) /
FCR (write, ignored), 3 LCR, 4 MCR, 5 LSR, 6 MSR, 7 SCR. Transmission is
instantaneous: LSR always reports THRE and TEMT. No interrupt line is modelled
(the declaration has none); IIR reports a transmitter-empty interrupt when
IER enables it, as the hardware would.
"""

from __future__ import annotations

from simobjs.dev.pio import BasicPioDevice
from simobjs.sim import debug
from simobjs.sim.model import Params

LCR_DLAB = 0x80
LSR_DR, LSR_THRE, LSR_TEMT = 0x01, 0x20, 0x40
IER_RDA, IER_THRI = 0x01, 0x02
IIR_NOPEND, IIR_TXID, IIR_RXID = 0x1, 0x2, 0x4
REGISTER_NAMES = ("THR", "IER", "IIR", "LCR", "MCR", "LSR", "MSR", "SCR")


class Uart8250(BasicPioDevice):
    pio_size_default = 8

    def __init__(self, params: Params):
        super().__init__(params)
        self.device = getattr(params, "device", None)  # the Terminal
        self.ier = 0
        self.lcr = 0
        self.mcr = 0
        self.msr = 0
        self.scr = 0
        self.dll = 0
        self.dlm = 0

    def _rx_ready(self) -> bool:
        dev = self.device
        return dev is not None and dev.dataAvailable()

    def read(self, offset: int, size: int) -> int:
        dlab = self.lcr & LCR_DLAB
        if offset == 0:
            if dlab:
                value = self.dll
            else:
                value = self.device.readData() if self._rx_ready() else 0
        elif offset == 1:
            value = self.dlm if dlab else self.ier
        elif offset == 2:
            if self.ier & IER_RDA and self._rx_ready():
                value = IIR_RXID
            elif self.ier & IER_THRI:
                value = IIR_TXID
            else:
                value = IIR_NOPEND
        elif offset == 3:
            value = self.lcr
        elif offset == 4:
            value = self.mcr
        elif offset == 5:
            value = LSR_THRE | LSR_TEMT | (LSR_DR if self._rx_ready() else 0)
        elif offset == 6:
            value = self.msr
        else:
            value = self.scr
        if debug.flags.Uart:
            debug.dprintf(self, "read %s (offset %d) -> %#x", REGISTER_NAMES[offset], offset, value)
        return value

    def write(self, offset: int, size: int, value: int) -> None:
        value &= 0xFF
        dlab = self.lcr & LCR_DLAB
        if debug.flags.Uart:
            debug.dprintf(
                self, "write %s (offset %d) <- %#x", REGISTER_NAMES[offset], offset, value
            )
        if offset == 0:
            if dlab:
                self.dll = value
            elif self.device is not None:
                self.device.writeData(value)
        elif offset == 1:
            if dlab:
                self.dlm = value
            else:
                self.ier = value & 0x0F
        elif offset == 2:
            pass  # FCR: an 8250 has no FIFO
        elif offset == 3:
            self.lcr = value
        elif offset == 4:
            self.mcr = value & 0x1F
        elif offset == 7:
            self.scr = value
        # LSR and MSR are read-only

    def serialize(self, section) -> None:
        for key in ("ier", "lcr", "mcr", "msr", "scr", "dll", "dlm"):
            section[key] = getattr(self, key)

    def unserialize(self, section) -> None:
        for key in ("ier", "lcr", "mcr", "msr", "scr", "dll", "dlm"):
            setattr(self, key, section.get_int(key))
