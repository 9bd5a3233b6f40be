"""Uart8250: the registers a driver sees, output to the Terminal, checkpoints."""

import pytest
from platform_helpers import Requestor, fake_sim, make

from simobjs.objects.dev import Terminal, Uart8250
from simobjs.sim.serialize import CheckpointIn, CheckpointOut

COM1 = 0x8000000000000000 | 0x3F8
THR, IER, IIR, LCR, MCR, LSR, MSR, SCR = range(8)
DLL, DLM, FCR = 0, 1, 2


class Com1:
    """A UART at COM1 with its terminal, and a CPU that reads and writes its ports."""

    def __init__(self, outdir=None, outfile="none", with_terminal=True):
        self.sim = fake_sim(outdir)
        self.term = (
            make(Terminal, "system.terminal", self.sim, outfile=outfile) if with_terminal else None
        )
        self.uart = make(Uart8250, "system.uart", self.sim, pio_addr=COM1, device=self.term)
        self.cpu = Requestor()
        self.cpu.port.bind(self.uart.pio)

    def out(self, reg, value):
        self.cpu.write(COM1 + reg, value)

    def inb(self, reg):
        return self.cpu.read(COM1 + reg)


@pytest.fixture
def com1():
    return Com1()


def test_reset_values(com1):
    regs = [com1.inb(r) for r in range(8)]
    # RBR (no input), IER, IIR (none pending), LCR, MCR, LSR (THRE|TEMT), MSR, SCR
    assert regs == [0x00, 0x00, 0x01, 0x00, 0x00, 0x60, 0x00, 0x00]


def test_dlab_switches_thr_and_ier_to_the_divisor_latch(com1):
    com1.out(IER, 0x03)
    com1.out(LCR, 0x83)  # DLAB, 8N1
    com1.out(DLL, 0x0C)  # 9600 baud
    com1.out(DLM, 0x01)
    assert (com1.inb(DLL), com1.inb(DLM), com1.inb(LCR)) == (0x0C, 0x01, 0x83)
    assert com1.term.output == b""  # the divisor write did not transmit
    com1.out(LCR, 0x03)
    assert (com1.inb(IER), com1.inb(LCR)) == (0x03, 0x03)  # IER kept under DLAB
    com1.out(THR, ord("A"))
    assert com1.term.output == b"A"
    com1.out(LCR, 0x83)
    assert (com1.inb(DLL), com1.inb(DLM)) == (0x0C, 0x01)  # the divisor survived


def test_register_read_back_and_widths(com1):
    com1.out(LCR, 0x1B)
    com1.out(MCR, 0xFF)  # bits 5-7 of an 8250 MCR read 0
    com1.out(SCR, 0xA5)
    com1.out(IER, 0xFF)  # bits 4-7 of IER read 0
    assert [com1.inb(r) for r in (LCR, MCR, SCR, IER)] == [0x1B, 0x1F, 0xA5, 0x0F]


def test_lsr_and_msr_are_read_only(com1):
    com1.out(LSR, 0x00)
    com1.out(MSR, 0xFF)
    assert (com1.inb(LSR), com1.inb(MSR)) == (0x60, 0x00)


def test_fcr_write_is_ignored(com1):
    com1.out(FCR, 0xC7)  # enable and clear FIFOs: an 8250 has none
    assert com1.inb(IIR) == 0x01  # no FIFO bits (7:6) appear in IIR
    assert [com1.inb(r) for r in (IER, LCR, MCR, SCR)] == [0, 0, 0, 0]


def test_lsr_data_ready_follows_terminal_input(com1):
    assert com1.inb(LSR) == 0x60
    com1.term.feed(b"hi")
    assert com1.inb(LSR) == 0x61  # DR | THRE | TEMT
    assert com1.inb(THR) == ord("h")
    assert com1.inb(LSR) == 0x61
    assert com1.inb(THR) == ord("i")
    assert com1.inb(LSR) == 0x60
    assert com1.inb(THR) == 0x00  # nothing left to read


def test_rbr_under_dlab_reads_dll_not_input(com1):
    com1.term.feed(b"x")
    com1.out(LCR, 0x80)
    com1.out(DLL, 0x01)
    assert com1.inb(THR) == 0x01
    com1.out(LCR, 0x00)
    assert com1.inb(THR) == ord("x")  # the input byte was not consumed


@pytest.mark.parametrize(
    ("ier", "feed", "iir"),
    [
        (0x00, b"", 0x01),  # nothing enabled: no interrupt pending
        (0x00, b"a", 0x01),  # data, but RDA not enabled
        (0x01, b"", 0x01),  # RDA enabled, no data
        (0x01, b"a", 0x04),  # received data available
        (0x02, b"", 0x02),  # enabling THRE with the transmitter empty raises it
        (0x02, b"a", 0x02),
        (0x03, b"", 0x02),
        (0x03, b"a", 0x04),  # receive outranks transmit
    ],
)
def test_iir_per_ier(com1, ier, feed, iir):
    com1.term.feed(feed)
    com1.out(IER, ier)
    assert com1.inb(IIR) == iir


def test_reading_iir_clears_the_transmit_interrupt_and_a_write_raises_it_again(com1):
    com1.out(IER, 0x02)
    assert com1.inb(IIR) == 0x02
    assert com1.inb(IIR) == 0x01  # cleared by the read that reported it
    com1.out(IER, 0x02)  # already enabled: no new interrupt
    assert com1.inb(IIR) == 0x01
    com1.out(THR, ord("a"))  # sent at once: THR empty again
    assert com1.inb(IIR) == 0x02
    com1.out(THR, ord("b"))
    com1.out(IER, 0x00)
    assert com1.inb(IIR) == 0x01  # masked
    com1.out(IER, 0x02)  # enabling it again with THR empty raises it
    assert com1.inb(IIR) == 0x02


def test_output_bytes_reach_the_terminal(com1):
    for ch in b"hello\n\x00\xff":
        com1.out(THR, ch)
    assert com1.term.output == b"hello\n\x00\xff"
    assert com1.term.text() == "hello\n\x00\xff"


def test_no_terminal_is_tolerated():
    c = Com1(with_terminal=False)
    c.out(THR, ord("x"))
    assert (c.inb(THR), c.inb(LSR), c.inb(IIR)) == (0x00, 0x60, 0x01)


def test_output_file_is_named_after_the_terminal(tmp_path):
    c = Com1(outdir=str(tmp_path / "m5out"), outfile="file")
    for ch in b"boot ok\nbye":
        c.out(THR, ch)
    path = tmp_path / "m5out" / "system.terminal"
    assert c.term.path == str(path)
    assert path.read_bytes() == b"boot ok\n"  # flushed at each newline
    c.term.close()
    assert path.read_bytes() == b"boot ok\nbye"


def test_stdout_mode_prints_output(capsys, tmp_path):
    c = Com1(outdir=str(tmp_path), outfile="stdout")
    for ch in b"to the console\n":
        c.out(THR, ch)
    c.term.close()
    assert capsys.readouterr().out == "to the console\n"
    assert not (tmp_path / "system.terminal").exists()


def test_stdout_mode_decodes_utf8_and_the_file_keeps_the_bytes(capsys, tmp_path):
    c = Com1(outdir=str(tmp_path), outfile="both")
    text = "h\u00e9llo \u2713\n".encode() + b"\xff!\n"  # then a byte that is not UTF-8
    for ch in text:
        c.out(THR, ch)
    c.term.flush()
    assert capsys.readouterr().out == "h\u00e9llo \u2713\n\ufffd!\n"
    assert (tmp_path / "system.terminal").read_bytes() == text


def test_checkpoint_round_trip(tmp_path):
    c = Com1()
    c.out(LCR, 0x80)
    c.out(DLL, 0x01)
    c.out(DLM, 0x02)
    c.out(LCR, 0x1B)
    c.out(IER, 0x03)
    c.out(MCR, 0x0B)
    c.out(SCR, 0x5A)
    cpt = CheckpointOut(str(tmp_path))
    c.uart.serialize(cpt.section(c.uart.name()))
    text = cpt.text()
    # gem5's Uart8250 keys (status 2 = TX_INT pending), then the registers gem5 does not keep
    assert (
        "[system.uart]\nstatus=2\nIER=3\nLCR=27\nMCR=11\nrxintrwhen=0\ntxintrwhen=0\n"
        "MSR=0\nSCR=90\nDLL=1\nDLM=2\n"
    ) in text

    restored = Com1()
    restored.uart.loadState(CheckpointIn.parse(str(tmp_path), text))
    assert restored.inb(IIR) == 0x02  # the pending transmit interrupt came along
    assert [restored.inb(r) for r in (IER, LCR, MCR, SCR)] == [0x03, 0x1B, 0x0B, 0x5A]
    restored.out(LCR, 0x9B)
    assert (restored.inb(DLL), restored.inb(DLM)) == (0x01, 0x02)
