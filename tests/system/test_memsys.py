"""The example guests on X86TimingSimpleCPU with learning_gem5's L1I/L1D/L2 and a DDR3
MemCtrl: the recorded output and the reference CPU's RAM at the end, deterministic
statistics, switching from and back to KVM, checkpoints with caches, and miss rates
that tell a memory-bound guest from a compute-bound one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pcrun import DETERMINISTIC, EXAMPLES, expected, run, stat_values
from test_checkpoints import restore_in_fresh_process
from test_examples import reference_run

from simobjs.errors import CheckpointError

HERE = Path(__file__).resolve().parent
MEMSYS = {"caches": True, "dram": True}
SLOW = {"compute"}  # 100 M instructions: seconds on the timing CPU with caches
CACHES = ("system.cpu.icache", "system.cpu.dcache", "system.l2cache")


_timing: dict[str, object] = {}


def timing_run(name: str):
    """The timing CPU's run of `name` with caches and DDR3 (once per session)."""
    if name not in _timing:
        _timing[name] = run(name, cpu="timing", **MEMSYS)
    return _timing[name]


def host_independent(values: dict) -> dict:
    """Every stat but the host* ones, with nan made comparable."""
    return {k: json.dumps(v) for k, v in values.items() if not k.split(".")[-1].startswith("host")}


def total(stats: dict, name: str) -> float:
    """The ::total of a per-requestor vector (the value itself for a scalar)."""
    value = stats[name]
    return sum(v for v in value if v == v) if isinstance(value, list) else value


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in EXAMPLES]
)
def test_examples_on_the_timing_cpu_with_caches_and_ddr3(name):
    r = timing_run(name)
    assert r.output == expected(name)
    assert (r.causes[-1], r.code) == ("m5_exit instruction encountered", 0)
    if name in DETERMINISTIC:
        assert r.mem_hash == reference_run(name).mem_hash
    s = r.stats
    insts = s["system.cpu.commitStats0.numInsts"]
    assert total(s, "system.cpu.icache.demandAccesses") >= insts  # a fetch per instruction
    assert s["system.cpu.numCycles"] > insts
    # one core: what misses in the L2 is read from DRAM, what the L2 evicts dirty is written
    assert s["system.mem_ctrl.readReqs"] == total(s, "system.l2cache.demandMisses")
    assert s["system.mem_ctrl.writeReqs"] == total(s, "system.l2cache.writebacks")


def test_timing_statistics_are_deterministic():
    runs = [timing_run("switch"), run("switch", cpu="timing", **MEMSYS)]
    a, b = (host_independent(r.stats) for r in runs)
    assert a == b
    assert runs[0].ticks == runs[1].ticks
    assert total(runs[0].stats, "system.cpu.dcache.overallMisses") > 0


def test_the_atomic_cpu_with_caches_counts_the_same_hits_and_misses_at_one_cycle_each():
    """gem5's atomic mode with caches: same accesses, same hits and misses, no stalls."""
    timing = timing_run("switch").stats
    atomic = run("switch", cpu="reference", **MEMSYS).stats
    # no cache stalls: a cycle an instruction (plus what the UART charges for the output)
    insts = atomic["system.cpu.commitStats0.numInsts"]
    assert insts < atomic["system.cpu.numCycles"] < 1.05 * insts
    assert timing["system.cpu.numCycles"] > 2 * insts
    for cache in CACHES:
        for stat in ("overallHits", "overallMisses", "writebacks"):
            key = f"{cache}.{stat}"
            assert atomic[key] == timing[key], key
    assert total(atomic, "system.cpu.dcache.overallMisses") > 0
    assert total(atomic, "system.cpu.dcache.overallMissLatency") == 0  # gem5: timing only
    assert total(atomic, "system.mem_ctrl.dram.bytesRead") > 0
    assert atomic["system.mem_ctrl.readReqs"] == 0  # the controller counts timing requests


def test_a_memory_bound_guest_misses_where_a_compute_bound_one_hits():
    walk = timing_run("memwalk").stats
    hello = timing_run("fpu").stats

    def rate(s: dict, cache: str) -> float:
        return total(s, f"{cache}.demandMisses") / total(s, f"{cache}.demandAccesses")

    assert rate(walk, "system.cpu.dcache") > 0.5  # a random line of 16 MiB at every step
    assert rate(walk, "system.l2cache") > 0.9
    assert rate(hello, "system.cpu.dcache") < 0.05
    assert walk["system.cpu.ipc"] < 0.1 < hello["system.cpu.ipc"]
    assert walk["system.mem_ctrl.dram.readRowHitRate"] < 50


@pytest.mark.kvm
def test_kvm_fast_forward_then_timing_with_caches_then_back():
    def at_end(sim):
        return {c: sim.model(c).valid_lines() for c in CACHES}

    r = run("switch", cpu="kvm", switch_to="timing", at_end=at_end, **MEMSYS)
    assert r.output == expected("switch")
    assert r.switches == 2
    assert r.mem_hash == reference_run("switch").mem_hash
    # the timing CPU measured the region; switching back wrote back and emptied the caches
    assert r.stats["system.switch_cpus.commitStats0.numInsts"] > 100_000
    assert total(r.stats, "system.cpu.dcache.overallMisses") > 0
    assert r.extra == dict.fromkeys(CACHES, 0)


@pytest.mark.kvm
def test_random_switches_between_kvm_and_the_timing_cpu_with_caches():
    mean = timing_run("switch").ticks // 40
    r = run("switch", cpu="kvm", switch_to="timing", random_switch_every=2 * mean, seed=7, **MEMSYS)
    assert r.output == expected("switch")
    assert r.mem_hash == reference_run("switch").mem_hash
    assert r.switches >= 20


def region_cache_stats(sim) -> dict:
    """Totals over requestors (the CPU that ran the region differs: cpu or switch_cpus)."""
    values = stat_values(sim)
    stats = ("overallHits", "overallMisses", "writebacks", "replacements")
    return {f"{c}.{s}": total(values, f"{c}.{s}") for c in CACHES for s in stats}


@pytest.mark.kvm
def test_a_region_after_a_kvm_fast_forward_measures_as_on_the_timing_cpu_from_the_start():
    """The `switch` guest's middle (between its two m5_switch_cpu) measured twice: after
    KVM ran up to it, and on the timing CPU from the start with the caches written back
    and emptied there (the state a switch from KVM leaves them in)."""
    seen: list = []

    def fast_forwarded(sim, event):
        if event.getCause() == "switchcpu":
            if not seen:
                sim.stats.reset()
                seen.append(None)
            else:
                seen[0] = (region_cache_stats(sim), stat_values(sim))

    run("switch", cpu="kvm", switch_to="timing", between=fast_forwarded, **MEMSYS)
    after_kvm, kvm_values = seen[0]

    marks: list = []

    def from_start(sim, event):
        if event.getCause() == "switchcpu":
            if not marks:
                sim.memWriteback()
                sim.memInvalidate()
                sim.stats.reset()
                marks.append(None)
            else:
                marks[0] = (region_cache_stats(sim), stat_values(sim))

    run("switch", cpu="timing", between=from_start, **MEMSYS)
    on_timing, timing_values = marks[0]
    assert after_kvm == on_timing
    insts = timing_values["system.cpu.commitStats0.numInsts"]
    assert insts > 100_000
    assert kvm_values["system.switch_cpus.commitStats0.numInsts"] == insts


def restore(ckpt: str, spec: str, outdir: Path) -> dict:
    return restore_in_fresh_process(ckpt, spec, outdir)


@pytest.mark.kvm
def test_a_checkpoint_taken_with_caches_restores_into_any_cpu(tmp_path):
    original = run("checkpoint", cpu="timing", checkpoint_at=str(tmp_path / "cpt"), **MEMSYS)
    assert original.output == expected("checkpoint")
    (ckpt,) = original.checkpoints
    cpt = (Path(ckpt) / "m5.cpt").read_text()
    assert "[system.cpu.dcache]\nbad_checkpoint=false" in cpt  # written back before writing
    want = expected("checkpoint").split("checkpoint: before (counter 41)\n", 1)[1]
    for spec in ("kvm", "reference", "timing+caches"):
        restored = restore(ckpt, spec, tmp_path / spec.replace("+", "-"))
        assert restored["output"] == want, spec
        assert (restored["cause"], restored["code"]) == ("m5_exit instruction encountered", 0)
    # and one taken on KVM without caches restores into the timing CPU with them
    plain = run("checkpoint", cpu="kvm", checkpoint_at=str(tmp_path / "cpt-kvm"))
    (kvm_ckpt,) = plain.checkpoints
    restored = restore(kvm_ckpt, "timing+caches", tmp_path / "from-kvm")
    assert restored["output"] == want
    # a checkpoint whose caches held dirty lines is refused, as gem5 does (the manifest
    # goes first: it would refuse any edit of m5.cpt)
    (Path(ckpt) / "simobjs.manifest.json").unlink()
    (Path(ckpt) / "m5.cpt").write_text(cpt.replace("bad_checkpoint=false", "bad_checkpoint=true"))
    with pytest.raises(CheckpointError, match="dirty caches"):
        run("checkpoint", cpu="timing", restore=ckpt, **MEMSYS)
