"""configs/gem5_library's scripts, run by the simobjs command as a gem5 user
runs gem5's: an X86 static hello in SE mode on KVM, atomic and timing CPUs,
with NoCache and PrivateL1PrivateL2CacheHierarchy, the binary from a local
resources JSON (GEM5_RESOURCE_JSON); a KVM -> timing switch at the first
work-begin exit; a checkpoint saved by the exit generator and restored
through set_se_binary_workload(checkpoint=...)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from resources_json import write_binaries

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "configs" / "gem5_library"
PROGRAMS = Path(__file__).parent / "programs"


pytestmark = pytest.mark.kvm


@pytest.fixture(scope="module")
def resources(tmp_path_factory):
    """A resources JSON listing the test programs, as gem5-resources lists binaries."""
    from simobjs.guest import se_build

    programs = {
        "x86-hello64-static": se_build.build_se_program([PROGRAMS / "hello.c"], "gem5lib-hello"),
        "x86-checkpoint-hello": se_build.build_se_program(
            [PROGRAMS / "checkpoint_hello.c"], "gem5lib-checkpoint"
        ),
        "x86-m5-work": se_build.se_example("m5_work"),
    }
    return write_binaries(tmp_path_factory.mktemp("resources") / "resources.json", programs)


def run(resources, outdir, script, *args):
    env = {**os.environ, "GEM5_RESOURCE_JSON": str(resources), "PYTHONPATH": str(ROOT)}
    env.pop("GEM5_RESOURCE_JSON_APPEND", None)
    proc = subprocess.run(
        [sys.executable, "-m", "simobjs.cli", "-q", "-d", str(outdir), str(script), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=outdir.parent,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.mark.parametrize("cache", ["none", "l1l2"])
@pytest.mark.parametrize("cpu", ["kvm", "atomic", "timing"])
def test_x86_hello(resources, tmp_path, cpu, cache):
    out = run(
        resources, tmp_path / "m5out", CONFIGS / "x86-hello.py", "--cpu", cpu, "--cache", cache
    )
    assert "Hello world!\n" in out
    assert "because exiting with last active thread context." in out
    ini = (tmp_path / "m5out" / "config.ini").read_text()
    # gem5 writes the C++ type: X86AtomicSimpleCPU is a BaseAtomicSimpleCPU there too
    cpu_class = {
        "kvm": "X86KvmCPU",
        "atomic": "BaseAtomicSimpleCPU",
        "timing": "BaseTimingSimpleCPU",
    }
    assert f"type={cpu_class[cpu]}" in ini and "type=DRAMInterface" in ini
    stats = (tmp_path / "m5out" / "stats.txt").read_text()
    if cache == "l1l2":
        assert "[board.cache_hierarchy.l2-cache-0]" in ini
        if cpu != "kvm":  # KVM's accesses bypass the caches (atomic_noncaching), as in gem5
            assert "board.cache_hierarchy.l1d-cache-0.overallMisses" in stats


def test_switch_from_kvm_to_timing_at_work_begin(resources, tmp_path):
    out = run(
        resources, tmp_path / "m5out", CONFIGS / "x86-switch-at-roi.py", "--arguments", "addr"
    )
    assert "Switching to the timing CPU at tick" in out
    assert "phase 2: " in out and "sum: 21" in out
    rois = json.loads(out.split("Regions of interest (ticks): ")[1].splitlines()[0])
    assert len(rois) == 3 and all(t > 0 for t in rois)
    stats = (tmp_path / "m5out" / "stats.txt").read_text()
    # per region: the handler's dump at work end and the program's m5_dump_stats; the final
    assert stats.count("Begin Simulation Statistics") == 7
    assert "board.processor.switch.core.commitStats0.numInsts" in stats


def test_checkpoint_saved_by_the_generator_and_restored_through_the_workload(resources, tmp_path):
    cpts = tmp_path / "cpts"
    script = CONFIGS / "checkpoints" / "x86-hello-save-checkpoint.py"
    out = run(
        resources, tmp_path / "save", script, "--checkpoint-dir", str(cpts), "--arguments", "addr"
    )
    assert (
        "before the checkpoint (counter 41)" in out and "after the checkpoint (counter 42)" in out
    )
    (cpt,) = cpts.iterdir()
    assert cpt.name.startswith("cpt.") and (cpt / "m5.cpt").is_file()
    script = CONFIGS / "checkpoints" / "x86-hello-restore-checkpoint.py"
    out = run(resources, tmp_path / "restore", script, "--cpu", "kvm", "--checkpoint", str(cpt))
    assert "before the checkpoint" not in out
    assert "after the checkpoint (counter 42)" in out
