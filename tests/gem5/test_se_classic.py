"""configs/se_classic.py (se.py's options, built the way gem5's configs/common
builds them) through the simobjs command, for every option combination
test_gem5_se_py.py runs against gem5's own se.py: the same code paths (CPU
classes by name, walker and L2 caches, MemConfig's interleaved DRAM range,
FileSystemConfig's RedirectPaths, switched-out CPUs, apply_config, checkpoints)
without gem5's tree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import se_options as so

SCRIPT = Path(__file__).resolve().parents[2] / "configs" / "se_classic.py"
pytestmark = pytest.mark.kvm


def test_kvm_with_options(tmp_path):
    so.kvm(SCRIPT, tmp_path)


def test_kvm_two_cpus_and_a_memory_size(tmp_path):
    so.kvm_two_cpus_small_memory(SCRIPT, tmp_path)


def test_timing_with_l1_and_l2_caches(tmp_path):
    so.timing_caches_l2(SCRIPT, tmp_path)


def test_fast_forward_on_the_atomic_cpu_then_timing(tmp_path):
    total = so.atomic(SCRIPT, tmp_path / "atomic")
    so.fast_forward(SCRIPT, tmp_path / "ff", total)


def test_checkpoint_at_end_then_restore(tmp_path):
    so.checkpoint_at_end_then_restore(SCRIPT, tmp_path)


def test_fast_forward_on_kvm_counts_with_hardware_counters_or_says_why_not(tmp_path):
    """-F on X86KvmCPU: max_insts_any_thread on KVM stops after N instructions counted
    by the PMU; a host without one refuses the param with the reason (no estimate)."""
    from simobjs.cpu.kvm import host

    prog = so.program()
    out = tmp_path / "m5out"
    proc = so.simobjs(
        SCRIPT, out, "--cpu-type", "X86TimingSimpleCPU", "--caches", "-F", str(so.FF),
        "--fast-forward-cpu-type", "X86KvmCPU", "-c", prog,
    )  # fmt: skip
    pmu, why = host.pmu_status()
    if not pmu:
        assert proc.returncode == 1
        assert (
            "fatal: system.cpu.max_insts_any_thread: instruction counts are not available "
            f"on this host (no hardware counters: {why})"
        ) in proc.stderr
        return
    so.check_run(proc, out, prog, [])
    assert re.search(r"^Switched CPUS @ tick \d+$", proc.stdout, re.M)
    assert so.stat(out, "system.switch_cpus.commitStats0.numInsts") > 0


def test_an_unmodelled_memory_type_says_so(tmp_path):
    out = tmp_path / "m5out"
    proc = so.simobjs(SCRIPT, out, "--mem-type", "HBM_1000_4H_1x128", "-c", so.program())
    assert proc.returncode == 1
    assert "HBM_1000_4H_1x128 is a gem5 object not modelled by simobjs" in proc.stderr
    assert "NameError" not in proc.stderr
