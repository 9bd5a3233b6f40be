"""Several CPUs on event queue 0 (system.cpu0, ...): the smp example boots every CPU
through INIT and startup IPIs and gives the right result on KVM and reference CPUs,
across switches of all CPUs together, and across a checkpoint restored into either
CPU; two reference runs give identical stats; the APIC timer interrupts arrive at the
programmed simulated rate."""

from __future__ import annotations

from pathlib import Path

import pytest
from pcrun import expected, guest, read_u64, run, symbol
from test_checkpoints import host_independent, restore_in_fresh_process

from simobjs.guest import build


def online(sim) -> int:
    return read_u64(sim, symbol(guest("smp"), "cpus_online")) & 0xFFFFFFFF


def check(r, n: int) -> None:
    assert r.output == expected("smp")
    assert (r.causes[-1], r.code) == ("m5_exit instruction encountered", 0)
    assert r.extra == n  # every CPU came up


@pytest.mark.kvm
@pytest.mark.parametrize("n", [2, 4])
def test_the_smp_example_runs_on_n_kvm_cpus(n):
    r = run("smp", cpu="kvm", num_cpus=n, at_end=online)
    check(r, n)
    # the first CPU takes the APIC timer's interrupt and the others' answers (IPIs sent
    # while one is pending merge), each other CPU its one go IPI
    assert 2 <= r.stats["system.cpu0.numInterrupts"] <= n
    for i in range(1, n):
        assert r.stats[f"system.cpu{i}.numInterrupts"] == 1


def test_the_smp_example_runs_on_two_reference_cpus():
    r = run("smp", cpu="reference", num_cpus=2, at_end=online)
    check(r, 2)
    assert r.stats["system.cpu1.commitStats0.numInsts"] > 0


def test_one_cpu_runs_the_smp_example_alone():
    r = run("smp", cpu="reference", at_end=online)
    check(r, 1)


@pytest.mark.kvm
@pytest.mark.parametrize("start,other", [("kvm", "reference"), ("reference", "kvm")])
def test_switching_all_cpus_together_at_random_times(start, other):
    mean = max(run("smp", cpu="reference", num_cpus=2).ticks // 40, 1000)
    r = run(
        "smp",
        cpu=start,
        switch_to=other,
        num_cpus=2,
        random_switch_every=2 * mean,
        seed=3,
        at_end=online,
    )
    check(r, 2)
    assert r.switches >= 10


@pytest.mark.kvm
@pytest.mark.parametrize("taken_on", ["kvm", "reference"])
def test_a_checkpoint_of_two_cpus_restores_into_either_cpu(tmp_path, taken_on):
    original = run("smp", cpu=taken_on, num_cpus=2, checkpoint_at=str(tmp_path / "cpt.%d"))
    assert original.output == expected("smp")
    (ckpt,) = original.checkpoints
    text = (Path(ckpt) / "m5.cpt").read_text()
    assert "[system.cpu1.xc.0]" in text and "startedUp=true" in text
    for cpu in ("kvm", "reference"):
        restored = restore_in_fresh_process(ckpt, cpu, tmp_path / f"r-{cpu}", guest="smp", n=2)
        assert restored["output"] == expected("smp"), cpu
        assert (restored["cause"], restored["code"]) == ("m5_exit instruction encountered", 0)


def test_two_reference_runs_of_two_cpus_give_identical_stats(tmp_path):
    texts = []
    for i in (1, 2):
        run("smp", cpu="reference", num_cpus=2, outdir=str(tmp_path / f"r{i}"))
        texts.append(host_independent((tmp_path / f"r{i}" / "stats.txt").read_text()))
    assert texts[0] == texts[1]
    assert any(line.startswith("system.cpu1.commitStats0.numInsts") for line in texts[0])


@pytest.mark.parametrize("cpu", ["reference", pytest.param("kvm", marks=pytest.mark.kvm)])
def test_apic_timer_interrupts_arrive_at_the_programmed_rate(cpu):
    """The guest programs 7812 counts at divide 16 of a 125 MHz bus clock (2 GHz / 16):
    one interrupt every 7812 * 16 * 8 ns; the count it took matches the time simulated."""
    elf = build.example_guest("apic_timer")
    period = 7812 * 16 * 8000  # ticks

    def at_end(sim):
        ticks = read_u64(sim, symbol(elf, "apic_timer_ticks"))
        return ticks, sim.curTick()

    r = run("apic_timer", cpu=cpu, at_end=at_end)
    assert r.output == expected("apic_timer")
    counted, now = r.extra
    assert counted >= 25
    # the timer started early in the run and stopped just before the end
    assert now // period - 2 <= counted <= now // period


@pytest.mark.kvm
def test_draining_two_kvm_cpus_again_and_again_loses_nothing(whole_run_bound):
    """Drains of two KVM CPUs on one queue, about every 1/100 of the run; the whole loop
    is bounded in time (a hang fails the run instead of stalling it)."""
    whole_run_bound(300)
    mean = max(run("smp", cpu="reference", num_cpus=2).ticks // 150, 1000)
    r = run("smp", cpu="kvm", num_cpus=2, drain_every=mean, at_end=online)
    check(r, 2)
    assert r.drains >= 100
