"""I8259: initialization, masks, priorities, EOIs, cascade through INTA, checkpoints."""

import pytest
from platform_helpers import PinRecorder, Requestor, fake_sim, make

from simobjs.dev.intpin import IntSinkPin, IntSourcePin
from simobjs.objects.x86 import I8259
from simobjs.sim.serialize import CheckpointIn, CheckpointOut

IO = 0x8000000000000000
CMD, DATA = 0, 1
EOI, READ_IRR, READ_ISR = 0x20, 0x0A, 0x0B


class Pics:
    """The PC pair: a slave on the master's IR2, the master's output into a CPU pin.

    Input lines are numbered as IRQs: 0-7 on the master, 8-15 on the slave.
    """

    def __init__(self, init=True, master_icw4=0x01):
        sim = fake_sim()
        self.slave = make(I8259, "system.pic2", sim, pio_addr=IO | 0xA0, mode="I8259Slave")
        self.master = make(
            I8259, "system.pic", sim, pio_addr=IO | 0x20, mode="I8259Master", slave=self.slave
        )
        self.pics = (self.master, self.slave)
        self.cpus = [Requestor(f"cpu.{pic.name()}") for pic in self.pics]
        for cpu, pic in zip(self.cpus, self.pics, strict=True):
            cpu.port.bind(pic.pio)
        self.slave.output.bind(self.master.getPort("inputs", 2))
        self.cpu = PinRecorder("cpu.interrupts")
        self.intr = IntSinkPin("int_pin", self.cpu, 0)
        self.master.output.bind(self.intr)
        self.lines = {irq: IntSourcePin("int_pin", PinRecorder(f"dev{irq}")) for irq in range(16)}
        for irq, line in self.lines.items():
            if irq != 2:
                line.bind(self.pics[irq // 8].getPort("inputs", irq % 8))
        if init:  # the guest SDK's setup_pic, then every line unmasked
            self.out(0, CMD, 0x11)
            self.out(8, CMD, 0x11)
            self.out(0, DATA, 0x20, 0x04, master_icw4, 0x00)
            self.out(8, DATA, 0x28, 0x02, 0x01, 0x00)

    def out(self, base, port, *values):
        """Write the ports of the master (base 0) or the slave (base 8)."""
        for v in values:
            self.cpus[base // 8].write(self.pics[base // 8].pio_addr + port, v)

    def inb(self, base, port):
        return self.cpus[base // 8].read(self.pics[base // 8].pio_addr + port)

    def regs(self, base=0):
        """(IRR, ISR, IMR) read through the ports, OCW3 left selecting IRR."""
        self.out(base, CMD, READ_ISR)
        isr = self.inb(base, CMD)
        self.out(base, CMD, READ_IRR)
        return self.inb(base, CMD), isr, self.inb(base, DATA)

    def pulse(self, *irqs):
        for irq in irqs:
            self.lines[irq].pulse()

    @property
    def int_high(self):
        return self.master.output.high


@pytest.fixture
def pics():
    return Pics()


def test_init_sequence_cascade(pics):
    assert pics.master.vector_offset == 0x20 and pics.slave.vector_offset == 0x28
    assert (pics.master.cascade_bits, pics.slave.cascade_bits) == (0x04, 0x02)
    assert pics.regs(0) == (0, 0, 0) and pics.regs(8) == (0, 0, 0)
    pics.out(0, DATA, 0xFB)  # after ICW4, port 1 writes are OCW1
    assert pics.inb(0, DATA) == 0xFB and pics.master.vector_offset == 0x20
    pics.out(0, CMD, 0x11)  # ICW1 again: IMR cleared, ICW2 expected next
    assert pics.inb(0, DATA) == 0x00
    pics.out(0, DATA, 0x47)  # ICW2: the low three bits are not part of the base
    assert pics.master.vector_offset == 0x40 and pics.master.init_step == 3


def test_init_sequence_single():
    p = Pics(init=False)
    p.out(0, CMD, 0x13)  # edge, single, ICW4: no ICW3
    p.out(0, DATA, 0x08, 0x03, 0xF0)  # ICW2, ICW4 (auto-EOI), then OCW1
    assert (p.master.init_step, p.master.auto_eoi, p.inb(0, DATA)) == (0, True, 0xF0)
    p.out(0, CMD, 0x12)  # single, no ICW4: ICW2 only, and auto-EOI off
    p.out(0, DATA, 0x70, 0x0F)
    assert (p.master.vector_offset, p.master.auto_eoi, p.inb(0, DATA)) == (0x70, False, 0x0F)
    p.pulse(4)
    assert p.intr.acknowledge() == 0x74 and p.regs() == (0, 0x10, 0x0F)


def test_masked_request_waits_in_irr_until_unmasked(pics):
    pics.out(0, DATA, 0x08)
    pics.pulse(3)
    assert pics.regs() == (0x08, 0, 0x08) and not pics.int_high
    pics.out(0, DATA, 0x00)
    assert pics.int_high and pics.cpu.events == [("raise", 0)]
    assert pics.intr.acknowledge() == 0x23
    assert pics.regs() == (0, 0x08, 0) and not pics.int_high


def test_lower_line_first_and_nesting(pics):
    pics.pulse(5, 3, 6)
    assert pics.intr.acknowledge() == 0x23
    assert not pics.int_high  # 5 and 6 wait behind 3 in service
    pics.pulse(1)
    assert pics.int_high and pics.intr.acknowledge() == 0x21  # 1 outranks 3: nests
    assert pics.regs() == (0x60, 0x0A, 0)
    pics.out(0, CMD, EOI)  # non-specific: the highest in service (1)
    assert pics.regs() == (0x60, 0x08, 0) and not pics.int_high
    pics.out(0, CMD, EOI)
    assert pics.int_high and pics.intr.acknowledge() == 0x25
    pics.out(0, CMD, EOI)
    assert pics.intr.acknowledge() == 0x26


def test_specific_eoi_clears_the_named_line(pics):
    pics.pulse(3)
    pics.intr.acknowledge()
    pics.pulse(1)
    pics.intr.acknowledge()
    pics.out(0, CMD, 0x63)  # specific EOI, line 3
    assert pics.regs() == (0, 0x02, 0)
    pics.out(0, CMD, 0x65)  # a line not in service: no effect
    assert pics.regs() == (0, 0x02, 0)


def test_rotation(pics):
    pics.pulse(0)
    pics.intr.acknowledge()
    pics.out(0, CMD, 0xA0)  # rotate on non-specific EOI: IR0 becomes the lowest
    pics.pulse(0, 1)
    assert [pics.intr.acknowledge() for _ in range(2)] == [0x21, 0x27]  # 0 waits behind 1
    pics.out(0, CMD, 0xE1)  # rotate on specific EOI of line 1: 2 is now the highest
    assert pics.regs() == (0x01, 0, 0)
    pics.out(0, CMD, 0xC4)  # set priority: 4 lowest, 5 highest
    pics.pulse(3, 5)
    assert [pics.intr.acknowledge() for _ in range(3)] == [0x25, 0x27, 0x27]
    pics.out(0, CMD, EOI)  # clears 5, the highest in service
    assert pics.intr.acknowledge() == 0x20  # 0 comes before 3, counting from 5
    pics.out(0, CMD, EOI)
    assert pics.intr.acknowledge() == 0x23


def test_ocw3_selects_irr_or_isr(pics):
    pics.out(0, DATA, 0x80)
    pics.pulse(4, 7)
    pics.intr.acknowledge()
    assert pics.inb(0, CMD) == 0x80  # IRR after init
    pics.out(0, CMD, READ_ISR)
    assert pics.inb(0, CMD) == 0x10
    pics.out(0, CMD, 0x08)  # RR=0: the selection stays
    assert pics.inb(0, CMD) == 0x10 and pics.inb(0, DATA) == 0x80  # port 1 is always IMR
    pics.out(0, CMD, READ_IRR)
    assert pics.inb(0, CMD) == 0x80


POLL = 0x0C  # OCW3 with P set
SET_SMM, RESET_SMM = 0x68, 0x48


def test_poll_command_acknowledges_the_highest_request(pics):
    pics.out(0, DATA, 0xFF)  # all masked: polling software runs with INTR off
    assert pics.inb(0, CMD) == 0  # no poll asked: IRR
    pics.out(0, DATA, 0x00)
    pics.pulse(6, 4)
    pics.out(0, CMD, POLL)
    assert pics.inb(0, CMD) == 0x84  # IR4 is the highest: now in service
    assert pics.regs() == (0x40, 0x10, 0)  # the poll lasted one read
    pics.out(0, CMD, POLL)
    assert pics.inb(0, CMD) == 0  # 6 waits behind 4 in service: nothing to report
    pics.out(0, CMD, EOI)
    pics.out(0, CMD, POLL)
    assert pics.inb(0, CMD) == 0x86
    assert pics.regs() == (0, 0x40, 0) and not pics.int_high


def test_poll_of_a_cascade_line_then_the_slave(pics):
    pics.pulse(11)
    pics.out(0, CMD, POLL)
    assert pics.inb(0, CMD) == 0x82  # the master reports its cascade line
    pics.out(8, CMD, POLL)
    assert pics.inb(8, CMD) == 0x83  # and the slave its line 3 (IRQ 11)
    assert pics.regs(8) == (0, 0x08, 0) and pics.regs(0) == (0, 0x04, 0)


def test_special_mask_mode_lets_lower_lines_past_a_masked_one_in_service(pics):
    pics.pulse(3)
    assert pics.intr.acknowledge() == 0x23
    pics.pulse(5)
    assert not pics.int_high  # 5 waits behind 3 in service
    pics.out(0, DATA, 0x08)  # mask IR3
    assert not pics.int_high  # masking alone changes nothing
    pics.out(0, CMD, SET_SMM)
    assert pics.int_high and pics.intr.acknowledge() == 0x25
    pics.out(0, CMD, 0x65)  # specific EOI of 5
    pics.pulse(6)
    pics.out(0, CMD, RESET_SMM)
    assert not pics.int_high  # 3 in service holds 6 back again
    pics.out(0, CMD, 0x48 & ~0x40)  # OCW3 without ESMM leaves the mode alone
    pics.out(0, CMD, SET_SMM)
    assert pics.int_high


def test_edge_triggered_line_held_high_requests_once(pics):
    pics.lines[4].raise_()
    assert pics.intr.acknowledge() == 0x24
    pics.lines[4].raise_()  # still high: no new edge
    pics.out(0, CMD, EOI)
    assert pics.regs() == (0, 0, 0) and not pics.int_high
    pics.lines[4].lower()
    pics.lines[4].raise_()
    assert pics.regs() == (0x10, 0, 0) and pics.int_high


def test_level_triggered_request_follows_the_line():
    p = Pics(init=False)
    p.out(0, CMD, 0x1B)  # level, single, ICW4
    p.out(0, DATA, 0x20, 0x01)
    p.lines[6].raise_()
    assert p.regs() == (0x40, 0, 0) and p.int_high
    p.lines[6].lower()
    assert p.regs() == (0, 0, 0) and not p.int_high
    p.lines[6].raise_()
    assert p.intr.acknowledge() == 0x26
    assert p.regs() == (0x40, 0x40, 0) and not p.int_high  # still requested: the line is high
    p.out(0, CMD, EOI)  # not serviced: the held line interrupts again
    assert p.int_high and p.intr.acknowledge() == 0x26
    p.lines[6].lower()
    p.out(0, CMD, EOI)
    assert p.regs() == (0, 0, 0) and not p.int_high


def test_auto_eoi_leaves_nothing_in_service():
    p = Pics(master_icw4=0x03)
    p.pulse(1, 6)
    assert p.intr.acknowledge() == 0x21
    assert p.regs() == (0x40, 0, 0) and p.int_high  # 6 is deliverable at once
    assert p.intr.acknowledge() == 0x26
    assert p.regs() == (0, 0, 0) and not p.int_high


def test_cascade_slave_vector_through_master_inta(pics):
    pics.pulse(12, 3)
    assert pics.regs(8) == (0x10, 0, 0) and pics.regs(0) == (0x0C, 0, 0)
    assert pics.intr.acknowledge() == 0x2C  # IR2 outranks IR3: the slave gives the vector
    assert pics.regs(8) == (0, 0x10, 0) and pics.regs(0) == (0x08, 0x04, 0)
    assert not pics.int_high
    pics.out(8, CMD, EOI)
    pics.out(0, CMD, EOI)
    assert pics.regs(8) == (0, 0, 0) and pics.regs(0) == (0x08, 0, 0)
    assert pics.intr.acknowledge() == 0x23
    pics.pulse(0, 9)
    assert [pics.intr.acknowledge() for _ in range(2)] == [0x20, 0x27]  # 9 waits behind 0
    pics.out(0, CMD, EOI)
    assert pics.intr.acknowledge() == 0x29


def test_spurious_irq7_when_nothing_is_deliverable(pics):
    assert pics.intr.acknowledge() == 0x27 and pics.regs() == (0, 0, 0)
    pics.pulse(5)
    pics.out(0, DATA, 0x20)  # masked between the request and the INTA
    assert not pics.int_high
    assert pics.intr.acknowledge() == 0x27 and pics.regs() == (0x20, 0, 0x20)
    pics.pulse(13)
    pics.out(8, DATA, 0x20)  # the slave's request vanishes after the master saw IR2
    assert pics.intr.acknowledge() == 0x2F  # the slave's spurious IRQ 15, IR2 in service
    assert pics.regs(8) == (0x20, 0, 0x20)
    assert pics.regs(0) == (0x20, 0x04, 0x20)


def test_output_pin_level(pics):
    pics.pulse(3)
    pics.pulse(4)  # already high: no second raise
    assert pics.cpu.events == [("raise", 0)]
    pics.intr.acknowledge()
    assert pics.cpu.events == [("raise", 0), ("lower", 0)]  # 4 waits behind 3
    pics.out(0, CMD, EOI)
    assert pics.cpu.events[2:] == [("raise", 0)]
    pics.out(0, DATA, 0xFF)
    assert pics.cpu.events[3:] == [("lower", 0)] and not pics.int_high


def test_checkpoint_round_trip(tmp_path):
    p = Pics()
    p.out(0, CMD, 0xC3)  # lowest priority: IR3
    p.pulse(12, 5, 6)
    p.out(0, DATA, 0x40)
    assert p.intr.acknowledge() == 0x25  # 5 outranks 2 after the rotation
    p.out(0, CMD, READ_ISR)
    p.out(8, CMD, SET_SMM)
    cpt = CheckpointOut(str(tmp_path))
    for pic in (p.master, p.slave):
        pic.serialize(cpt.section(pic.name()))
    text = cpt.text()
    master = text.split(f"[{p.master.name()}]\n")[1].split("\n\n")[0].splitlines()
    assert master[:13] == [  # gem5's I8259 keys, in gem5's order
        "pinStates=false false true false false false false false",
        "mode=0",  # slave on IR2
        "IRR=68",
        "ISR=32",
        "IMR=64",
        "vectorOffset=32",
        "cascadeMode=true",
        "cascadeBits=4",
        "edgeTriggered=true",
        "readIRR=false",
        "expectICW4=true",
        "initControlWord=0",
        "autoEOI=false",
    ]
    cpt_in = CheckpointIn.parse(str(tmp_path), text)

    q = Pics(init=False)
    for pic in (q.master, q.slave):
        pic.loadState(cpt_in)
    assert q.inb(0, CMD) == 0x20  # ISR still selected
    assert q.slave.special_mask and not q.master.special_mask
    assert q.regs(0) == (0x44, 0x20, 0x40) and q.regs(8) == (0x10, 0, 0)
    assert not q.int_high
    q.out(0, CMD, EOI)
    assert q.int_high and q.intr.acknowledge() == 0x2C  # the rotated order and the cascade
    q.out(8, CMD, EOI)
    q.out(0, CMD, EOI)
    q.out(0, DATA, 0x00)
    assert q.intr.acknowledge() == 0x26
