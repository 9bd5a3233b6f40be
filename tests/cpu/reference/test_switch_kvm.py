"""A guest moved KVM -> reference CPU -> KVM mid-computation finishes as on one CPU."""

from __future__ import annotations

import pytest
from ref_models import RAM_SIZE, RefSwitchDevice, load_guest, make_root, make_switch_root

import m5
from simobjs.config import build

# x87 + SSE + integer work in ring 3 (PVM runs ring 3 natively), asking for a
# switch twice through MMIO, then storing its results and ending the run
GUEST = """
    mov $0xe0000000, %rsi
    mov $3, %r14
    fninit
    fld1
    xorpd %xmm0, %xmm0
2:  mov $20000, %rcx
1:  imul $0x5bd1e995, %rax, %rax
    add %rcx, %rax
    cvtsi2sd %rcx, %xmm1
    addsd %xmm1, %xmm0
    fadd %st(0), %st
    fmul %st(0), %st
    fsqrt
    dec %rcx
    jnz 1b
    movl $1, (%rsi)
    dec %r14
    jnz 2b
    mov %rax, 0x200000
    movsd %xmm0, 0x200008
    fstpl 0x200010
    movl $0x2a, 0x10(%rsi)
"""


@pytest.mark.kvm
def test_kvm_reference_kvm_round_trip_matches_a_pure_reference_run():
    sim = build.instantiate(make_root(RefSwitchDevice), outdir=None)
    solo = load_guest(sim, GUEST.replace("movl $1, (%rsi)", "nop"), cpl=3)
    assert sim.simulate().getCause() == "done"  # the reference CPU alone
    want = bytes(sim.model("system.mem").ram.read(0x200000, 24))
    sim.close()

    root = make_switch_root()
    sim = build.instantiate(root, outdir=None)
    kvm = load_guest(sim, GUEST, cpl=3)
    st = kvm.get_state()
    st.rflags = 0x2  # PVM keeps IOPL 0 in ring 3
    kvm.set_state(st)
    ref = sim.model("system.switch_cpus")
    assert sim.simulate().getCause() == "switch"
    m5.switchCpus(root.system, [(root.system.cpu, root.system.switch_cpus[0])], verbose=False)
    assert sim.simulate().getCause() == "switch"
    assert ref.totalInsts() > 9 * 20000  # the second round ran on the reference CPU
    m5.switchCpus(root.system, [(root.system.switch_cpus[0], root.system.cpu)], verbose=False)
    assert sim.simulate().getCause() == "switch"  # the third round, back on KVM
    ev = sim.simulate()
    assert (ev.getCause(), ev.getCode()) == ("done", 0x2A)
    got = bytes(sim.model("system.mem").ram.read(0x200000, 24))
    assert got == want
    assert kvm.get_state().reg("r14") == 0 and solo is not None and RAM_SIZE
