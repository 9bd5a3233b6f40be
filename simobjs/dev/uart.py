"""The 8250 UART (gem5's Uart8250): the registers a real driver uses.

Offsets: 0 THR/RBR (DLL when LCR.DLAB), 1 IER (DLM when DLAB), 2 IIR (read) /
FCR (write, ignored), 3 LCR, 4 MCR, 5 LSR, 6 MSR, 7 SCR. Transmission is
instantaneous: LSR always reports THRE and TEMT. No interrupt line is modelled
(the declaration has none); IIR reports the interrupt that would be raised:
received data (when IER enables it), else a transmitter-empty interrupt,
which becomes pending when IER enables it and after each THR write (the
transmitter empties at once) and, as on the hardware and in gem5, is cleared
by the IIR read that reports it.
"""

from __future__ import annotations

from simobjs.dev.pio import BasicPioDevice
from simobjs.sim import debug
from simobjs.sim.model import Params

LCR_DLAB = 0x80
LSR_DR, LSR_THRE, LSR_TEMT = 0x01, 0x20, 0x40
IER_RDA, IER_THRI = 0x01, 0x02
IIR_NOPEND, IIR_TXID, IIR_RXID = 0x1, 0x2, 0x4
STATUS_RX_INT, STATUS_TX_INT = 0x1, 0x2  # gem5's Uart::status bits
REGISTER_NAMES = ("THR", "IER", "IIR", "LCR", "MCR", "LSR", "MSR", "SCR")


class Uart8250(BasicPioDevice):
    def __init__(self, params: Params):
        super().__init__(params)
        self.pio_size = params.pio_size
        self.device = params.device  # the Terminal
        self.ier = 0
        self.lcr = 0
        self.mcr = 0
        self.msr = 0
        self.scr = 0
        self.dll = 0
        self.dlm = 0
        self.tx_int = False  # a transmitter-empty interrupt is pending

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
            elif self.tx_int and self.ier & IER_THRI:
                value = IIR_TXID
                self.tx_int = False  # reading IIR clears a transmitter-empty interrupt
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
            else:
                if self.device is not None:
                    self.device.writeData(value)
                self.tx_int = bool(self.ier & IER_THRI)  # sent at once: THR is empty again
        elif offset == 1:
            if dlab:
                self.dlm = value
            else:
                if value & IER_THRI and not self.ier & IER_THRI:
                    self.tx_int = True  # enabling it with THR empty raises it
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

    # gem5's keys (src/dev/serial/uart8250.cc): `status` holds the pending
    # interrupts (RX_INT 0x1, TX_INT 0x2); no interrupt event is ever scheduled
    # here (the 8250 has no interrupt line), so both "when"s are 0. Then the
    # registers gem5 does not keep.
    def serialize(self, section) -> None:
        rx = bool(self.ier & IER_RDA) and self._rx_ready()
        section["status"] = (STATUS_RX_INT if rx else 0) | (STATUS_TX_INT if self.tx_int else 0)
        section["IER"] = self.ier
        section["LCR"] = self.lcr
        section["MCR"] = self.mcr
        section["rxintrwhen"] = 0
        section["txintrwhen"] = 0
        section["MSR"] = self.msr
        section["SCR"] = self.scr
        section["DLL"] = self.dll
        section["DLM"] = self.dlm

    def unserialize(self, section) -> None:
        # the received-data interrupt follows the terminal's data; only TX is state
        self.tx_int = bool(section.get_int("status", 0, 3) & STATUS_TX_INT)
        # byte registers: a value that does not fit in 8 bits is refused by name
        self.ier = section.get_int("IER", 0, 0xFF)
        self.lcr = section.get_int("LCR", 0, 0xFF)
        self.mcr = section.get_int("MCR", 0, 0xFF)
        self.msr = section.get_int("MSR", 0, 0xFF)
        self.scr = section.get_int("SCR", 0, 0xFF)
        self.dll = section.get_int("DLL", 0, 0xFF)
        self.dlm = section.get_int("DLM", 0, 0xFF)
