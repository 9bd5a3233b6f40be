"""configs/se_hello.py (gem5 se.py's calls) through the simobjs command, and what a
run prints: gem5's exit cause, the program's status as the exit code, the warning
for a system call SE mode does not emulate."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import serun

from simobjs.guest.se_build import build_se_program

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def simobjs(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "simobjs.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.kvm
def test_se_hello_runs_the_hello_example_on_kvm(tmp_path):
    out = simobjs(str(ROOT / "configs" / "se_hello.py"), "--mem-size", "128MiB", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "hello from " in out.stdout and "monotonic: ok" in out.stdout
    assert re.search(
        r"^Exiting @ tick \d+ because exiting with last active thread context$", out.stdout, re.M
    )
    ini = (tmp_path / "m5out" / "config.ini").read_text()
    assert "type=X86EmuLinux" in ini and "type=Process" in ini
    assert (tmp_path / "m5out" / "stats.txt").is_file()


@pytest.mark.program(serun.BUSYBOX, "busybox-static")
def test_the_exit_status_of_the_program_is_the_exit_code(tmp_path):
    out = simobjs(
        str(ROOT / "configs" / "se_hello.py"),
        "--cpu-type",
        "X86AtomicSimpleCPU",
        "--mem-size",
        "128MiB",
        "--cmd",
        serun.BUSYBOX,
        "--options",
        "sh -c 'echo $((6*7)) && exit 5'",
        cwd=tmp_path,
    )  # ';' separates workloads, as in se.py
    assert out.returncode == 5, out.stderr
    assert "42\n" in out.stdout


def test_an_unknown_system_call_is_enosys_with_one_warning(tmp_path, monkeypatch, capfd):
    prog = str(build_se_program([HERE / "programs" / "unknown.c"], "unknown"))
    monkeypatch.chdir(tmp_path)
    r = serun.run(prog, [], "ref", tmp_path / "m5out")
    assert r.stdout == b"io_setup: -1 errno ENOSYS\n" * 2 and r.code == 0
    err = capfd.readouterr().err
    assert err.count("warn: ignoring syscall io_setup(...)") == 1
