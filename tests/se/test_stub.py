"""The system-call entry page (simobjs/se/stub.S, simobjs.se.stub): the bytes are what
the source assembles to, the stub does what it says on real instructions (Unicorn),
and a thread stopped at any instruction of it is brought back to the state it would
have reached (call served) or to its SYSCALL again (call not served)."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest
from unicorn import UC_ARCH_X86, UC_HOOK_CODE, UC_MODE_64, UC_PROT_ALL, Uc
from unicorn import x86_const as X

from kvm.state import Regs
from simobjs.se import stub

PAGE_VA = 0x7FFF_FFFF_F000
CODE_VA, STACK_VA = 0x400000, 0x600000
NR, RET = 39, 0xFFFF_FFFF_FFFF_FFF2  # getppid; -14
REGS = {
    X.UC_X86_REG_RDI: 0x1111,
    X.UC_X86_REG_RSI: 0x2222,
    X.UC_X86_REG_RDX: 0x3333,
    X.UC_X86_REG_R10: 0x4444,
    X.UC_X86_REG_R8: 0x5555,
    X.UC_X86_REG_R9: 0x6666,
    X.UC_X86_REG_RCX: CODE_VA + 2,  # after the program's SYSCALL
    X.UC_X86_REG_R11: 0x247,  # its RFLAGS (CF PF ZF IF)
    X.UC_X86_REG_RSP: STACK_VA + 0x800,
}
NAMES = {
    "rax": X.UC_X86_REG_RAX,
    "rcx": X.UC_X86_REG_RCX,
    "rdx": X.UC_X86_REG_RDX,
    "rsi": X.UC_X86_REG_RSI,
    "rdi": X.UC_X86_REG_RDI,
    "rsp": X.UC_X86_REG_RSP,
    "r8": X.UC_X86_REG_R8,
    "r9": X.UC_X86_REG_R9,
    "r10": X.UC_X86_REG_R10,
    "r11": X.UC_X86_REG_R11,
    "rip": X.UC_X86_REG_RIP,
    "rflags": X.UC_X86_REG_RFLAGS,
}
CHECKED = ("rax", "rdi", "rsi", "rdx", "r10", "r8", "r9", "rsp", "rip", "rflags")


def test_bytes_are_what_the_source_assembles_to(tmp_path):
    source = Path(stub.__file__).with_name("stub.S")
    assert shutil.which("as"), "binutils' as is needed (the project's install command has it)"
    obj, flat = tmp_path / "stub.o", tmp_path / "stub.bin"
    subprocess.run(["as", str(source), "-o", str(obj)], check=True)
    subprocess.run(["objcopy", "-O", "binary", "-j", ".text", str(obj), str(flat)], check=True)
    assert flat.read_bytes()[: stub.CODE_END] == stub.CODE
    labels = {}
    for line in subprocess.run(["nm", str(obj)], capture_output=True, text=True).stdout.split("\n"):
        if line:
            addr, _kind, name = line.split()
            labels[name] = int(addr, 16)
    for name in (
        "slow",
        "common",
        "off_jmp",
        "post",
        "withdrawn_jmp",
        "on_slot_stack",
        "off_slot_stack",
        "return3",
        "return0",
        "end",
        "spin_bound",
        "timeouts",
    ):
        constant = {"end": "CODE_END", "spin_bound": "SPIN_BOUND"}.get(name, name.upper())
        assert labels[name] == getattr(stub, constant), name


def _machine(outcome: int, ring3_tail: bool, context: int):
    """Unicorn with the entry page (spin bound set), a stack, and a 'host' that answers
    the call with `outcome` when the stub starts spinning."""
    uc = Uc(UC_ARCH_X86, UC_MODE_64)
    page = bytearray(stub.page())
    page[stub.SPIN_BOUND : stub.SPIN_BOUND + 8] = (10**12).to_bytes(8, "little")
    if ring3_tail:  # Unicorn runs it in ring 0: take the ring-3 return anyway
        at = stub.CODE.index(bytes.fromhex("7419"), 0x9C)
        page[at : at + 2] = b"\x90\x90"
    uc.mem_map(PAGE_VA, 0x1000, UC_PROT_ALL)
    uc.mem_write(PAGE_VA, bytes(page))
    uc.mem_map(CODE_VA, 0x1000, UC_PROT_ALL)
    uc.mem_map(STACK_VA, 0x1000, UC_PROT_ALL)
    for reg, value in REGS.items():
        uc.reg_write(reg, value)
    uc.reg_write(X.UC_X86_REG_RAX, NR)
    uc.reg_write(X.UC_X86_REG_RFLAGS, 0x2)  # what SYSCALL leaves (FMASK)
    slot = PAGE_VA + stub.slot(context)

    def host(uc, address, size, data):
        if address == PAGE_VA + 0x55:  # `spin`: the first look at the state
            state = int.from_bytes(uc.mem_read(slot, 8), "little")
            if state == stub.POSTED:
                if outcome == stub.DONE:
                    uc.mem_write(slot + 8, RET.to_bytes(8, "little"))
                uc.mem_write(slot, outcome.to_bytes(8, "little"))

    uc.hook_add(UC_HOOK_CODE, host, begin=PAGE_VA + 0x55, end=PAGE_VA + 0x55)
    return uc


def _regs(uc) -> Regs:
    return Regs(**{name: uc.reg_read(reg) for name, reg in NAMES.items()})


def _expected(served: bool, ring3: bool) -> dict:
    want = {name: REGS[NAMES[name]] for name in ("rdi", "rsi", "rdx", "r10", "r8", "r9", "rsp")}
    rcx = REGS[X.UC_X86_REG_RCX]
    want["rax"] = RET if served else NR
    if ring3:
        want["rip"] = rcx if served else rcx - 2
        want["rflags"] = REGS[X.UC_X86_REG_R11]
    else:
        want["rip"] = PAGE_VA + (stub.SYSRET if served else stub.SLOW)
    return want


@pytest.mark.parametrize("context", [0, 5, stub.CONTEXTS - 1])
@pytest.mark.parametrize("outcome", [stub.DONE, stub.WITHDRAWN])
@pytest.mark.parametrize("ring3_tail", [True, False])
def test_stopped_anywhere_in_the_stub_the_thread_is_made_plain(outcome, ring3_tail, context):
    uc = _machine(outcome, ring3_tail, context)
    stops = []  # (registers, page bytes) before each instruction of the stub

    def record(uc, address, size, data):
        stops.append((_regs(uc), bytes(uc.mem_read(PAGE_VA, 0x1000))))

    uc.hook_add(UC_HOOK_CODE, record, begin=PAGE_VA, end=PAGE_VA + 0xFFF)
    rcx = REGS[X.UC_X86_REG_RCX]
    served = outcome == stub.DONE
    end = rcx if served and ring3_tail else PAGE_VA + (stub.RETURN0 if served else stub.SLOW)
    uc.emu_start(PAGE_VA + stub.trampoline(context), end, count=100_000)
    final = _regs(uc)
    # the stub itself: the program's registers back, the result in RAX
    for name, value in _expected(served, True).items():
        if name == "rip":
            value = end
        elif name == "rflags" and not (served and ring3_tail):
            continue
        assert getattr(final, name) == value, name
    assert len(stops) > 20
    for regs, page in stops:
        off = regs.rip - PAGE_VA
        inside = stub.inside(regs.rip, PAGE_VA)
        assert inside or off in (stub.SLOW, stub.SYSRET)
        if not inside:
            continue
        state = int.from_bytes(page[stub.slot(context) : stub.slot(context) + 8], "little")
        made_served = state == stub.DONE and off > stub.POST
        for ring3 in (True, False):
            r = dataclasses.replace(regs)
            writes: list = []
            stub.finish_in_host(r, PAGE_VA, page, lambda k, v, w=writes: w.append((k, v)), ring3)
            want = _expected(made_served, ring3)
            for name in CHECKED:
                if name in want:
                    assert getattr(r, name) == want[name], (hex(off), name, ring3)
            if state == stub.POSTED and off > stub.POST:  # still posted: withdrawn
                assert writes == [(context, stub.WITHDRAWN)]
            else:
                assert writes == []


def test_a_call_nobody_claims_is_withdrawn_by_the_stub_and_counted():
    uc = _machine(stub.POSTED, False, 3)  # the 'host' leaves it posted
    uc.mem_write(PAGE_VA + stub.SPIN_BOUND, (1000).to_bytes(8, "little"))  # TSC cycles
    uc.emu_start(PAGE_VA + stub.trampoline(3), PAGE_VA + stub.SLOW, count=10_000_000)
    regs = _regs(uc)
    for name, value in _expected(False, True).items():
        if name not in ("rip", "rflags"):
            assert getattr(regs, name) == value, name
    slot = PAGE_VA + stub.slot(3)
    assert int.from_bytes(uc.mem_read(slot, 8), "little") == stub.WITHDRAWN
    assert int.from_bytes(uc.mem_read(PAGE_VA + stub.TIMEOUTS, 8), "little") == 1
