"""The gem5-style scripts in configs/ run through the simobjs command."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.kvm


def simobjs(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    # this tree's simobjs, not an installed one
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "simobjs.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, PYTHONPATH=path),
    )


def test_kvm_hello_runs_the_hello_guest_on_kvm(tmp_path):
    out = simobjs(str(ROOT / "configs" / "kvm_hello.py"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Hello from a simobjs guest!\nrunning at CPL 3\n" in out.stdout
    assert re.search(
        r"^Exiting @ tick \d+ because m5_exit instruction encountered$", out.stdout, re.M
    )
    m5out = tmp_path / "m5out"
    for name in ("config.ini", "config.json", "stats.txt", "system.terminal"):
        assert (m5out / name).is_file(), name
    assert "type=X86KvmCPU" in (m5out / "config.ini").read_text()
    stats = (m5out / "stats.txt").read_text()
    assert re.search(r"^system\.cpu\.numIO +[1-9]\d* ", stats, re.M)
    assert (
        m5out / "system.terminal"
    ).read_text() == "Hello from a simobjs guest!\nrunning at CPL 3\n"


def test_a_second_kvm_cpu_waits_while_the_guest_runs_on_the_first(tmp_path):
    out = simobjs(str(ROOT / "configs" / "kvm_hello.py"), "--cpus", "2", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Hello from a simobjs guest!\nrunning at CPL 3\n" in out.stdout
    stats = (tmp_path / "m5out" / "stats.txt").read_text()
    assert re.search(r"^system\.cpu0\.numIO +[1-9]\d* ", stats, re.M)
    assert re.search(r"^system\.cpu1\.numVMExits +0 ", stats, re.M)  # never entered KVM
    ini = (tmp_path / "m5out" / "config.ini").read_text()
    assert "[system.cpu1]" in ini and "cpu_id=1" in ini


def test_kvm_hello_with_four_cpus_runs_the_smp_example_on_all_of_them(tmp_path):
    from simobjs.guest import build

    elf = build.example_guest("smp")
    out = simobjs(
        str(ROOT / "configs" / "kvm_hello.py"), "--cpus", "4", "--guest", str(elf), cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert build.expected_output("smp") in out.stdout
    stats = (tmp_path / "m5out" / "stats.txt").read_text()
    for i in range(1, 4):  # each other CPU took its go IPI
        assert re.search(rf"^system\.cpu{i}\.numInterrupts +1 ", stats, re.M)


def test_the_switch_config_hands_the_guest_over_and_back(tmp_path):
    out = simobjs(str(ROOT / "configs" / "config_kvm_switch.py"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("switching cpus") == 2
    assert "now running on system.switch_cpus (X86AtomicSimpleCPU)" in out.stdout
    assert "now running on system.cpu (X86KvmCPU)" in out.stdout
    assert "switch: done" in out.stdout


@contextlib.contextmanager
def spinning_guest(tmp_path: Path):
    """configs/kvm_hello.py running the `spin` guest (in KVM_RUN, no event due for
    ages), started and past its first output line; killed on the way out."""
    from pcrun import guest

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simobjs.cli",
            str(ROOT / "configs" / "kvm_hello.py"),
            "--guest",
            guest("spin"),
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in proc.stdout:
            if line == "spin: running\n":
                break
        else:
            raise AssertionError(f"the guest never started: {proc.stderr.read()}")
        yield proc
    finally:
        proc.kill()


def test_ctrl_c_stops_a_guest_that_never_exits(tmp_path):
    """Ctrl-C while the KVM CPU is inside KVM_RUN (no event due for ages) ends
    simulate() with gem5's cause, and the stats are written."""
    with spinning_guest(tmp_path) as proc:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "because user interrupt received" in out
    assert "system.cpu.numExitSignal" in (tmp_path / "m5out" / "stats.txt").read_text()


def _stat_blocks(path: Path) -> list[dict[str, float]]:
    """The dumps in a stats.txt, each as {name: first value}."""
    blocks = []
    for line in path.read_text().splitlines() if path.exists() else []:
        if line.startswith("---------- Begin"):
            blocks.append({})
        elif blocks and line and not line.startswith("-"):
            name, value = line.split()[:2]
            blocks[-1][name] = float(value)
    return blocks


def test_sigusr1_dumps_and_sigusr2_dumps_and_resets_the_stats_of_a_running_guest(tmp_path):
    """gem5's signals: the dump comes at once (a KVM CPU in KVM_RUN is kicked out of
    it) and the simulation goes on."""
    stats = tmp_path / "m5out" / "stats.txt"

    def blocks_after(proc: subprocess.Popen, signo: int, n: int) -> list[dict[str, float]]:
        proc.send_signal(signo)
        deadline = time.monotonic() + 60
        while len(blocks := _stat_blocks(stats)) < n:
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, f"no stats dump {n} after signal {signo}"
            time.sleep(0.05)
        return blocks

    with spinning_guest(tmp_path) as proc:
        blocks_after(proc, signal.SIGUSR1, 1)
        time.sleep(0.2)  # let the guest run on between the dumps
        blocks_after(proc, signal.SIGUSR2, 2)
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "because user interrupt received" in out
    first, second, last = _stat_blocks(stats)
    assert 0 < first["finalTick"] < second["finalTick"] < last["finalTick"]
    assert second["simTicks"] == second["finalTick"]  # SIGUSR1 did not reset
    assert last["simTicks"] == last["finalTick"] - second["finalTick"]  # SIGUSR2 did
    assert last["system.cpu.numExitSignal"] >= 1


@pytest.mark.parametrize("script", ["simple.py", "two_level.py"])
def test_learning_gem5_style_configs_run_the_hello_guest_on_the_timing_cpu(tmp_path, script):
    args = [str(ROOT / "configs" / "learning_gem5" / script), "--baremetal"]
    if script == "two_level.py":
        args += ["--l2_size", "512kB"]
    out = simobjs(*args, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Beginning simulation!\n" in out.stdout
    assert "Hello from a simobjs guest!\nrunning at CPL 3\n" in out.stdout
    assert re.search(
        r"^Exiting @ tick \d+ because m5_exit instruction encountered$", out.stdout, re.M
    )
    ini = (tmp_path / "m5out" / "config.ini").read_text()
    stats = (tmp_path / "m5out" / "stats.txt").read_text()
    # gem5's X86TimingSimpleCPU has no type of its own: config.ini says BaseTimingSimpleCPU
    assert "type=BaseTimingSimpleCPU" in ini and "type=DRAMInterface" in ini
    assert re.search(r"^system\.mem_ctrl\.readReqs +[1-9]\d* ", stats, re.M)
    if script == "two_level.py":
        assert "[system.l2cache]" in ini and "size=524288" in ini
        assert re.search(r"^system\.cpu\.icache\.overallMisses::cpu\.inst +[1-9]", stats, re.M)
        assert re.search(r"^system\.l2cache\.overallAccesses::total +[1-9]", stats, re.M)


def test_learning_gem5_two_level_runs_an_se_program_as_gem5s_script_does(tmp_path):
    out = simobjs(str(ROOT / "configs" / "learning_gem5" / "two_level.py"), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert re.search(r"^hello from \S+ \(0 arguments\)$", out.stdout, re.M)
    assert re.search(
        r"^Exiting @ tick \d+ because exiting with last active thread context$", out.stdout, re.M
    )
    stats = (tmp_path / "m5out" / "stats.txt").read_text()
    assert re.search(r"^system\.cpu\.dcache\.overallHits::cpu\.data +[1-9]", stats, re.M)
    assert re.search(r"^system\.mem_ctrl\.dram\.readRowHits +[1-9]", stats, re.M)
