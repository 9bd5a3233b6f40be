"""X86KvmCPU on a minimal machine (kvm_models): I/O through the data port, half
entries, the seed's state checks, bad configurations and guest faults."""

from __future__ import annotations

import os

import pytest
from kvm_models import BOOM_PORT, EXIT_PORT, MMIO_BASE, UART, load_guest, make_root

from kvm import exits as kx
from simobjs.config import build
from simobjs.cpu.kvm.base import KvmStatus
from simobjs.errors import ConfigError, GuestFault

pytestmark = pytest.mark.kvm

DONE = "mov $0x10, %dx\n mov $7, %al\n out %al, (%dx)\n"  # ends the run with code 7


def start(tmp_path, source, cpl=3, **cpu_params):
    sim = build.instantiate(make_root(**cpu_params), outdir=str(tmp_path))
    return sim, load_guest(sim, source, cpl)


def device(sim):
    return sim.model("system.dev")


def test_port_io_and_mmio_go_out_as_packets_with_their_data(tmp_path):
    sim, cpu = start(
        tmp_path,
        f"""
        mov $0x3f8, %dx
        mov $0x48, %al
        out %al, (%dx)
        in (%dx), %al
        mov %al, %bl
        mov ${MMIO_BASE + 0x44}, %rsi
        movl $0x11223344, (%rsi)
        movw 8(%rsi), %cx
        {DONE}""",
    )
    ev = sim.simulate()
    assert (ev.getCause(), ev.getCode()) == ("guest done", 7)
    log = device(sim).log
    assert log[:4] == [
        ("w", UART, 1, b"H"),
        ("r", UART, 1, b"\x5a"),
        ("w", MMIO_BASE + 0x44, 4, bytes.fromhex("44332211")),
        ("r", MMIO_BASE + 0x4C, 2, (0x4C).to_bytes(2, "little")),
    ]
    regs = cpu.get_state()
    assert regs.reg("rbx") & 0xFF == 0x5A and regs.reg("rcx") & 0xFFFF == 0x4C
    assert cpu.numIO.value() == 3 and cpu.numMMIO.value() == 2  # DONE is the third port access


def test_a_drain_completes_a_pending_read_without_running_further(tmp_path):
    sim, cpu = start(tmp_path, "mov $0x3f8, %dx\n in (%dx), %al\n mov $1, %bl\n 1: jmp 1b\n")
    service = cpu.handleKvmExitIO

    def then_stop(exit_):
        ticks = service(exit_)
        sim.exitSimLoop("serviced")  # runs after this tick, before KVM is entered again
        return ticks

    cpu.handleKvmExitIO = then_stop
    assert sim.simulate().getCause() == "serviced"
    assert cpu._status == KvmStatus.RunningServiceCompletion  # the IN has its data, in KVM
    sim.drain()
    st = cpu.get_state()
    assert st.reg("rax") & 0xFF == 0x5A  # the IN completed...
    assert st.reg("rbx") == 0  # ...and the next instruction did not run
    assert cpu.numVMHalfEntries.value() == 1 and cpu._status == KvmStatus.Idle


def test_an_exception_in_a_device_stops_the_run_with_a_dump_and_stats(tmp_path, capsys):
    sim, cpu = start(tmp_path, "mov $0x66, %dx\n out %al, (%dx)\n" + DONE)
    with pytest.raises(GuestFault) as info:
        sim.simulate()
    fault = info.value
    assert "ValueError in system.dev" in str(fault) and "device exploded" in str(fault)
    assert fault.rip is not None and "rip:" in fault.dump
    assert "panic: system.cpu" in capsys.readouterr().err
    assert cpu._status == KvmStatus.Idle and not cpu.tickEvent.scheduled()
    assert "system.cpu.numIO" in (tmp_path / "stats.txt").read_text()
    assert device(sim).log == []  # the device raised before logging: nothing half-done
    assert BOOM_PORT & 0xFFFF == 0x66


def test_a_triple_fault_stops_the_run_with_the_code_at_rip(tmp_path, capsys):
    sim, _ = start(tmp_path, "ud2\n", cpl=0)  # no IDT: #UD escalates to a shutdown
    with pytest.raises(GuestFault, match=r"triple fault"):
        sim.simulate()
    err = capsys.readouterr().err
    assert "code at rip 0x10000" in err and "ud2" in err and "cr3: 0x1000" in err
    assert os.path.getsize(tmp_path / "stats.txt") > 0


def test_an_unhandled_exit_is_a_guest_fault_naming_the_reason(tmp_path):
    sim, cpu = start(tmp_path, DONE)
    sim.simulate()
    with pytest.raises(GuestFault, match=r"KVM: Unexpected exit \(exit_reason: 4\)"):
        cpu.handleKvmExit(kx.DebugExit(1, 0x10000, 0, 0))


def test_wrong_memory_mode_gives_gem5s_fatal(tmp_path):
    with pytest.raises(ConfigError) as info:
        build.instantiate(make_root(mem_mode="atomic"), outdir=str(tmp_path))
    assert "The KVM-based CPUs requires the memory system to be in the 'noncaching' mode." in str(
        info.value
    )


def test_no_kvm_vm_says_what_to_add(tmp_path):
    with pytest.raises(ConfigError, match=r"add one, e.g. system.kvm_vm = KvmVM\(\)"):
        build.instantiate(make_root(vm=False), outdir=str(tmp_path))


def test_instruction_limits_are_refused_without_counters(tmp_path):
    # usePerf=False: no counters on any host (as on a host without a PMU)
    with pytest.raises(ConfigError, match="use the reference CPU") as info:
        build.instantiate(make_root(max_insts_any_thread=1000, usePerf=False), outdir=str(tmp_path))
    assert "max_insts_any_thread" in str(info.value)


def test_bad_host_factor_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="hostFactor"):
        build.instantiate(make_root(hostFactor=0.0), outdir=str(tmp_path))
    assert EXIT_PORT
