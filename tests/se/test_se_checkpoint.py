"""A checkpoint of an SE run, taken mid-run (after some output, with an input file
open), restores in a fresh process into either CPU and finishes with the same output
as the uninterrupted run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import serun

from simobjs.guest.se_build import se_example

HERE = Path(__file__).resolve().parent
LINES = 1000
AT = 450  # the program asks for the checkpoint after this many lines


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / "input.txt").write_text("".join(f"{i * 7919 % 1009} line {i}\n" for i in range(LINES)))
    monkeypatch.chdir(work)
    return work


def restore_in_fresh_process(
    program: str,
    ckpt: str,
    cpu: str,
    outdir: Path,
    cwd: Path,
    args: tuple[str, ...] = ("input.txt", "0"),
    num_cpus: int = 1,
) -> dict:
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            [str(HERE), str(HERE.parents[1]), os.environ.get("PYTHONPATH", "")]
        ),
    )
    code = (
        "import json, sys, serun\n"
        "r = serun.run(sys.argv[1], sys.argv[6:], sys.argv[3], __import__('pathlib').Path(sys.argv[4]),"
        " restore=sys.argv[2], switch_to=serun.OTHER[sys.argv[3]], num_cpus=int(sys.argv[5]))\n"
        "print(json.dumps({'stdout': r.stdout.decode(), 'code': r.code, 'causes': r.causes}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, program, ckpt, cpu, str(outdir), str(num_cpus), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=cwd,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.kvm
@pytest.mark.parametrize("taken_on", ["kvm", "ref"])
def test_checkpoint_restores_into_either_cpu(workdir, taken_on):
    prog = str(se_example("lines", "glibc"))
    want = serun.native(prog, ["input.txt", "0"])  # natively the m5op would be a SIGILL
    # a config with both CPUs: the program starts with the GLIBC_TUNABLES that keep glibc
    # off AVX (which a KVM host shows it and the reference CPU lacks)
    full = serun.run(
        prog,
        ["input.txt", str(AT)],
        taken_on,
        workdir.parent / "orig",
        switch_to=serun.OTHER[taken_on],
        checkpoint_dir=str(workdir.parent / "cpts"),
    )
    assert full.stdout == want.stdout and full.code == 0
    (ckpt,) = full.checkpoints
    text = want.stdout.decode()
    cut = text.index(f"{AT - 50} lines")  # what was printed (and flushed) before the checkpoint
    cut = text.index("\n", cut) + 1
    for cpu in ("kvm", "ref"):
        r = restore_in_fresh_process(prog, ckpt, cpu, workdir.parent / f"restored-{cpu}", workdir)
        assert r["stdout"] == text[cut:], cpu
        assert r["code"] == 0 and r["causes"][-1] == "exiting with last active thread context"


def test_a_checkpoint_with_an_open_pipe_is_refused(workdir):
    from simobjs.errors import CheckpointError
    from simobjs.guest.se_build import build_se_program

    prog = str(build_se_program([HERE / "programs" / "pipe_checkpoint.c"], "pipe_checkpoint"))
    with pytest.raises(CheckpointError, match="pipe") as info:
        serun.run(
            prog, [], "ref", workdir.parent / "m5out", checkpoint_dir=str(workdir.parent / "c")
        )
    assert "system.workload" in str(info.value)
    assert not list((workdir.parent / "c").glob("cpt.*"))  # nothing half written is left
