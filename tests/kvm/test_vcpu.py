import pytest

from kvm.exits import (
    HLT,
    INTR,
    CoalescedWrite,
    HltExit,
    IntrExit,
    IoExit,
    IrqWindowOpenExit,
    MmioExit,
)
from kvm.state import DebugRegs, Regs
from simobjs.guest.snippets import CODE_AT

pytestmark = pytest.mark.kvm

MMIO = 0x10000000  # above guest RAM: unbacked, so accesses exit as MMIO

PIO_MMIO_GUEST = f"""
    mov $0x42, %al
    out %al, $0x10
    movw $0xbeef, %ax
    out %ax, $0x12
    in $0x20, %al
    mov %al, %bl
    movl $0x12345678, {MMIO:#x}
    movq {MMIO + 8:#x}, %rcx
    mov $1, %rdx
    out %al, $0x11
"""


@pytest.mark.parametrize("cpl", [3, 0])
def test_pio_and_mmio_with_data(make_guest, cpl):
    g = make_guest(PIO_MMIO_GUEST, cpl=cpl)
    v = g.vcpu
    assert v.run() == IoExit(1, 1, 0x10, 1, b"\x42")
    e = v.run()
    assert e == IoExit(1, 2, 0x12, 1, b"\xef\xbe") and e.is_write
    e = v.run()
    assert e == IoExit(0, 1, 0x20, 1, None) and not e.is_write
    assert v.pending_read
    v.complete_io_in(b"\x5a")
    assert v.run() == MmioExit(MMIO, b"\x78\x56\x34\x12", 4, True)
    e = v.run()
    assert e == MmioExit(MMIO + 8, None, 8, False)
    v.complete_mmio_read(bytes(range(1, 9)))
    assert v.run() == IoExit(1, 1, 0x11, 1, b"\x5a")
    r = v.get_regs()
    assert r.rbx & 0xFF == 0x5A
    assert r.rcx == int.from_bytes(bytes(range(1, 9)), "little")
    assert r.rdx == 1


def test_completion_checks_length_and_pending(make_guest):
    g = make_guest("in $0x20, %al\n out %al, $0x10")
    v = g.vcpu
    with pytest.raises(RuntimeError, match="no pending read"):
        v.complete_io_in(b"\x00")
    assert v.run() == IoExit(0, 1, 0x20, 1, None)
    with pytest.raises(ValueError, match="expected 1 bytes, got 2"):
        v.complete_io_in(b"\x00\x00")


def test_hlt_at_cpl0(make_guest):
    g = make_guest("mov $7, %rax\n hlt\n mov $9, %rax\n hlt", cpl=0)
    assert g.vcpu.run() is HLT
    assert g.vcpu.get_regs().rax == 7
    assert isinstance(g.vcpu.run(), HltExit)
    assert g.vcpu.get_regs().rax == 9


def test_exit_equality_includes_type():
    assert HltExit() != IntrExit()
    assert HltExit() == HLT and IntrExit() == INTR
    assert len({HltExit(), IntrExit(), HLT}) == 2


@pytest.mark.parametrize("cpl", [3, 0])
def test_immediate_exit_completes_pending_reads_only(make_guest, cpl):
    g = make_guest(
        f"""
        in $0x20, %al
        mov %al, %bl
        movb {MMIO:#x}, %cl
        mov $0x1234, %edx
    1:  jmp 1b
        """,
        cpl=cpl,
    )
    v = g.vcpu
    assert v.run() == IoExit(0, 1, 0x20, 1, None)
    v.complete_io_in(b"\x5a")
    assert v.run_immediate_exit() is INTR
    assert not v.immediate_exit
    r = v.get_regs()
    assert r.rax & 0xFF == 0x5A and r.rbx == 0  # the IN finished, nothing after it ran
    assert r.rip == CODE_AT + 2
    assert v.run() == MmioExit(MMIO, None, 1, False)
    v.complete_mmio_read(b"\xa5")
    assert v.run_immediate_exit() is INTR
    r = v.get_regs()
    assert r.rcx & 0xFF == 0xA5 and r.rdx == 0
    rip = r.rip
    assert v.run_immediate_exit() is INTR  # nothing pending: returns at once
    assert v.get_regs().rip == rip


def test_immediate_exit_flag_round_trips(make_guest):
    v = make_guest("hlt").vcpu
    v.immediate_exit = True
    assert v.immediate_exit
    assert v.run() is INTR
    v.immediate_exit = False
    assert not v.immediate_exit


def test_coalesced_mmio_ring_contents_and_order(make_guest):
    zone = MMIO + 0x1000
    g = make_guest(
        f"""
        xor %rax, %rax
        mov $300, %rcx
    1:  movl %eax, {zone:#x}(,%rax,4)
        inc %rax
        dec %rcx
        jnz 1b
        movb $7, {MMIO:#x}
        out %al, $0x10
        """
    )
    v = g.vcpu
    assert v.has_ring
    g.vm.register_coalesced_mmio(zone, 0x1000)
    seen = []
    while True:
        e = v.run()
        seen += v.drain_coalesced()
        if isinstance(e, MmioExit):
            seen.append(CoalescedWrite(e.phys_addr, e.data, False))
        elif e == IoExit(1, 1, 0x10, 1, b"\x2c"):  # al = 300 & 0xff
            break
        else:
            raise AssertionError(f"unexpected exit {e}")
    expected = [CoalescedWrite(zone + 4 * i, i.to_bytes(4, "little"), False) for i in range(300)]
    assert seen[:300] == expected
    assert seen[300] == CoalescedWrite(MMIO, b"\x07", False)
    assert v.drain_coalesced() == []


def test_coalesced_pio(make_guest):
    g = make_guest(
        """
        mov $1, %al
        out %al, $0x80
        mov $2, %al
        out %al, $0x80
        mov $3, %al
        out %al, $0x10
        """
    )
    if not g.kvm.check_extension("coalesced_pio"):
        pytest.skip("no KVM_CAP_COALESCED_PIO")
    g.vm.register_coalesced_mmio(0x80, 1, pio=True)
    assert g.vcpu.run() == IoExit(1, 1, 0x10, 1, b"\x03")
    assert g.vcpu.drain_coalesced() == [
        CoalescedWrite(0x80, b"\x01", True),
        CoalescedWrite(0x80, b"\x02", True),
    ]
    g.vm.unregister_coalesced_mmio(0x80, 1, pio=True)


def test_interrupt_through_guest_idt_with_window(make_guest):
    g = make_guest(
        """
        out %al, $0x10
        sti
        nop
    1:  jmp 1b
        .org 0x100
        mov $0x20, %al
        out %al, $0x21
        iretq
        """,
        cpl=0,
        interrupts=True,
    )
    g.set_gate(0x20, CODE_AT + 0x100)
    v = g.vcpu
    assert v.run() == IoExit(1, 1, 0x10, 1, v.get_regs().rax.to_bytes(8, "little")[:1])
    assert not v.if_flag
    v.request_interrupt_window = True
    assert isinstance(v.run(), IrqWindowOpenExit)
    assert v.ready_for_interrupt_injection and v.if_flag
    v.interrupt(0x20)
    v.request_interrupt_window = False
    assert v.run() == IoExit(1, 1, 0x21, 1, b"\x20")


def test_regs_round_trip(make_guest):
    v = make_guest("hlt").vcpu
    regs = Regs(*(0x1111 * (i + 1) for i in range(16)), rip=CODE_AT + 4, rflags=0x3002)
    v.set_regs(regs)
    assert v.get_regs() == regs


def test_sregs_round_trip(make_guest):
    v = make_guest("hlt").vcpu
    s = v.get_sregs()
    s.cr2 = 0xDEAD000
    s.fs.base = 0x7000_0000
    s.gs.base = 0x7100_0000
    v.set_sregs(s)
    assert v.get_sregs() == s


def test_xsave_round_trip_reaches_guest(make_guest):
    g = make_guest("movq %xmm1, %rax\n out %al, $0x10")
    v = g.vcpu
    x = v.get_xsave()
    x.set_xmm(1, bytes(range(16)))
    x.mxcsr = 0x1F80 | 0x40  # DAZ
    x.xstate_bv |= 0x2  # SSE state present
    v.set_xsave(x)
    back = v.get_xsave()
    assert back.xmm(1) == bytes(range(16)) and back.mxcsr == x.mxcsr
    v.run()
    assert v.get_regs().rax == int.from_bytes(bytes(range(8)), "little")


def test_fpu_round_trip(make_guest):
    v = make_guest("hlt").vcpu
    f = v.get_fpu()
    f.xmm[3] = b"\x11" * 16
    f.fcw = 0x27F
    v.set_fpu(f)
    back = v.get_fpu()
    assert back.xmm[3] == b"\x11" * 16 and back.fcw == 0x27F


def test_msrs_round_trip(make_guest, kvm_sys):
    v = make_guest("hlt").vcpu
    lstar, kernel_gs = 0xC0000082, 0xC0000102
    v.set_msrs({lstar: 0xFFFF800000001000, kernel_gs: 0x1234000})
    assert v.get_msrs([lstar, kernel_gs]) == {lstar: 0xFFFF800000001000, kernel_gs: 0x1234000}


def test_xcrs_cpuid_events_debugregs_round_trip(make_guest, kvm_sys):
    v = make_guest("hlt").vcpu
    xcrs = v.get_xcrs()
    assert xcrs[0] & 1  # x87 always enabled in XCR0
    v.set_xcrs(xcrs)
    assert v.get_xcrs() == xcrs
    supported = {(e.function, e.index): e for e in kvm_sys.supported_cpuid()}
    got = {(e.function, e.index): e for e in v.get_cpuid()}
    assert set(got) <= set(supported)  # KVM adjusts some leaves at runtime
    assert got[(0, 0)] == supported[(0, 0)]
    d = v.get_debugregs()
    v.set_debugregs(DebugRegs((0x1000, 0x2000, 0, 0), d.dr6, d.dr7))
    assert v.get_debugregs().db == (0x1000, 0x2000, 0, 0)


def test_kvm_run_fields(make_guest):
    v = make_guest("hlt").vcpu
    v.request_interrupt_window = True
    assert v.request_interrupt_window
    v.request_interrupt_window = False
    v.cr8 = 0
    assert v.cr8 == 0
    assert isinstance(v.apic_base, int)


def test_vcpu_events_round_trip(make_guest):
    from kvm._kvm_ffi import lib

    from kvm.errors import KvmError

    v = make_guest("hlt").vcpu
    ev = v.get_vcpu_events()
    assert len(ev) == lib.so_vcpu_events_size()
    try:
        v.set_vcpu_events(ev)
    except KvmError as e:
        assert e.ioctl == "KVM_SET_VCPU_EVENTS"
        pytest.skip(f"this host refuses KVM_SET_VCPU_EVENTS (PVM does): {e}")
    assert v.get_vcpu_events() == ev


def test_single_step_at_cpl0_gives_debug_exits(make_guest):
    from kvm.exits import DebugExit

    g = make_guest("nop\n nop\n out %al, $0x10", cpl=0)
    v = g.vcpu
    if not g.kvm.check_extension("set_guest_debug"):
        pytest.skip("no KVM_CAP_SET_GUEST_DEBUG")
    v.set_guest_debug(single_step=True)
    e = v.run()
    assert isinstance(e, DebugExit) and e.exception == 1
    assert e.pc == CODE_AT + 1  # stopped after the first nop
    v.set_guest_debug(enable=False)
    assert v.run() == IoExit(1, 1, 0x10, 1, v.get_regs().rax.to_bytes(8, "little")[:1])


def test_public_api_is_importable():
    import kvm

    assert kvm.Kvm and kvm.Vcpu and kvm.IoExit and kvm.KvmError


def synced_guest(make_guest, source: str, cpl: int):
    """A snippet guest whose vCPU has KVM sync its registers, special registers and
    events into kvm_run (the test is skipped where the host's KVM does not)."""
    from kvm.vcpu import SYNC_STATE

    g = make_guest(source, cpl=cpl)
    if g.kvm.check_extension("sync_regs") & SYNC_STATE != SYNC_STATE:
        pytest.skip("this host's KVM does not sync special registers and events")
    g.vcpu.enable_sync_regs(SYNC_STATE)
    return g


@pytest.mark.parametrize("cpl", [0, 3])
def test_synced_state_is_what_the_ioctls_read(make_guest, cpl):
    """With KVM_CAP_SYNC_REGS (regs, sregs, events), the copy KVM leaves in kvm_run at an
    exit is what KVM_GET_REGS/SREGS/VCPU_EVENTS return; any write into the vCPU (or a
    half entry) makes it unusable until the next exit."""
    g = synced_guest(
        make_guest,
        """
        mov $0x1111, %rbx
        mov $0x2222, %r15
        out %al, $0x10
        mov $0x3333, %rbx
        in $0x20, %al
        out %al, $0x10
    1:  jmp 1b
        """,
        cpl,
    )
    v = g.vcpu
    assert v.synced_state() is None  # nothing stored yet
    assert isinstance(v.run(), IoExit)
    regs, sregs, events = v.synced_state()
    assert regs == v.get_regs() and regs.rbx == 0x1111 and regs.r15 == 0x2222
    assert sregs == v.get_sregs() and sregs.cs.dpl == cpl
    assert bytes(events) == bytes(v.get_vcpu_events())
    regs.rbx = 0x4444
    v.set_regs(regs)
    assert v.synced_state() is None  # written since the exit
    assert v.run() == IoExit(0, 1, 0x20, 1, None)
    assert v.synced_state()[0] == v.get_regs() and v.get_regs().rbx == 0x3333
    v.complete_io_in(b"\x5a")
    v.run_immediate_exit()
    assert v.synced_state() is None  # the half entry completed the IN after the copy
    assert v.get_regs().rax & 0xFF == 0x5A
    assert isinstance(v.run(), IoExit)
    assert v.synced_state()[0].rax & 0xFF == 0x5A


@pytest.mark.parametrize("cpl", [0, 3])
def test_staged_registers_are_what_the_next_run_starts_from(make_guest, cpl):
    """stage_regs/stage_sregs (KVM_CAP_SYNC_REGS' dirty bits) instead of KVM_SET_REGS and
    KVM_SET_SREGS: the guest runs on from the staged values, reads before the run see
    them, and a later ioctl write replaces them."""
    g = synced_guest(
        make_guest,
        """
        out %al, $0x10
        mov %rbx, %rcx
        mov %fs:0, %rdx
        out %al, $0x10
    1:  jmp 1b
        """,
        cpl,
    )
    v = g.vcpu
    assert v.can_stage()
    assert isinstance(v.run(), IoExit)
    regs, sregs, _ = v.synced_state()
    regs.rbx = 0xABCD
    data = 0x100000  # inside the guest's 2 MiB of RAM, away from code and tables
    g.ram.write(data, (0x5EED).to_bytes(8, "little"))
    sregs.fs.base = data  # the guest reads %fs:0 through the staged base
    v.stage_sregs(sregs)
    v.stage_regs(regs)
    assert v.get_regs().rbx == 0xABCD and v.get_sregs().fs.base == data
    assert isinstance(v.run(), IoExit)
    after = v.get_regs()
    assert after.rcx == 0xABCD and after.rdx == 0x5EED
    assert v.get_sregs().fs.base == data
    # an ioctl write after a staged one wins
    regs = v.get_regs()
    regs.rbx = 1
    v.stage_regs(regs)
    regs.rbx = 2
    v.set_regs(regs)
    assert not v.regs_dirty and v.get_regs().rbx == 2


@pytest.mark.parametrize("cpl", [0, 3])
def test_raw_thread_state_round_trips_through_kvm_run(make_guest, cpl):
    """A thread's state kept as KVM's raw structs (what an SE thread switch on KVM keeps:
    synced_raw, the XSAVE area) decodes to what the ioctls read, and staged back raw
    (stage_raw) it is what the guest runs on from."""
    from simobjs.cpu.kvm.x86_state import KvmThreadState

    g = synced_guest(
        make_guest,
        """
        mov $0x1111, %rbx
        out %al, $0x10
        mov %rbx, %rcx
        out %al, $0x10
    1:  jmp 1b
        """,
        cpl,
    )
    v = g.vcpu
    assert isinstance(v.run(), IoExit)
    regs, sregs, events = v.synced_raw()
    t = KvmThreadState(regs, sregs, events, v.get_xsave(), {}, {0: 1})
    k = t.kvm_state()
    assert k.regs == v.get_regs() and k.regs.rbx == 0x1111
    assert k.sregs == v.get_sregs() and t.cpl == cpl
    assert k.events.raw == bytes(v.get_vcpu_events())
    assert t.to_x86_state().reg("rbx") == 0x1111
    raw = bytearray(regs)
    raw[8:16] = (0x2222).to_bytes(8, "little")  # kvm_regs.rbx
    v.stage_raw(bytes(raw), sregs)
    assert v.get_regs().rbx == 0x2222 and v.get_sregs() == k.sregs
    assert isinstance(v.run(), IoExit)
    assert v.get_regs().rcx == 0x2222
