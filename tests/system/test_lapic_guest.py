"""A real guest reads and writes its local APIC's registers (ring 3, at 0xFEE00000) and
takes a self IPI held back by the task priority and a one-shot timer interrupt: the same
on the KVM CPU and the reference CPU."""

from __future__ import annotations

import pytest
from pcrun import run

WANT = """id 0 version 0x50014
lint0 0x700 lint1 0x400 timer 0x10000 svr 0xff dfr 0xffffffff
tpr 0x20 ppr 0x20
held: irr 0x10000 ipis 0
taken: irr 0 isr 0 ipis 1
timer: divide 0xb, count running, then 0; 1 interrupt
esr 0 ldr 0
"""


@pytest.mark.parametrize("cpu", ["reference", pytest.param("kvm", marks=pytest.mark.kvm)])
def test_a_guest_sees_the_apic_registers(cpu):
    r = run("lapic_regs", cpu=cpu)
    assert r.output == WANT
    assert (r.causes[-1], r.code) == ("m5_exit instruction encountered", 0)
