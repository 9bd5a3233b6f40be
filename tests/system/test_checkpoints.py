"""Checkpoints taken at the guest's m5_checkpoint() under either CPU, restored in a
fresh process into either CPU, continue exactly as the uninterrupted run did; the
reference CPU restores deterministically."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pcrun import expected, run

HERE = Path(__file__).resolve().parent
MARK = "checkpoint: before (counter 41)\n"  # what the checkpoint guest prints before m5_checkpoint


def restore_in_fresh_process(
    ckpt: str, cpu: str, outdir: Path, guest: str = "checkpoint", n: int = 1
) -> dict:
    # this tree's simobjs, not an installed one
    path = os.pathsep.join([str(HERE), str(HERE.parents[1]), os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=path)
    spec = f"{cpu}:{n}" if n > 1 else cpu
    out = subprocess.run(
        [sys.executable, str(HERE / "restore_main.py"), guest, ckpt, spec, str(outdir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=HERE,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def host_independent(stats_txt: str) -> list[str]:
    """stats.txt without the host* lines (wall time, memory, rates of this host)."""
    return [line for line in stats_txt.splitlines() if not line.startswith("host")]


@pytest.fixture(scope="module")
def remaining() -> str:
    want = expected("checkpoint")
    assert want.startswith(MARK)
    return want[len(MARK) :]


@pytest.mark.kvm
@pytest.mark.parametrize("taken_on", ["kvm", "reference"])
def test_a_checkpoint_restores_into_either_cpu_in_a_fresh_process(tmp_path, taken_on, remaining):
    original = run("checkpoint", cpu=taken_on, checkpoint_at=str(tmp_path / "cpt.%d"))
    assert original.output == expected("checkpoint")
    (ckpt,) = original.checkpoints
    assert (Path(ckpt) / "m5.cpt").is_file()
    for cpu in ("kvm", "reference"):
        restored = restore_in_fresh_process(ckpt, cpu, tmp_path / f"restored-{cpu}")
        assert restored["output"] == remaining, cpu
        assert (restored["cause"], restored["code"]) == ("m5_exit instruction encountered", 0)


def test_restoring_twice_into_the_reference_cpu_gives_identical_stats(tmp_path, remaining):
    original = run("checkpoint", cpu="reference", checkpoint_at=str(tmp_path / "cpt"))
    (ckpt,) = original.checkpoints
    runs = [restore_in_fresh_process(ckpt, "reference", tmp_path / f"r{i}") for i in (1, 2)]
    assert runs[0] == runs[1] and runs[0]["output"] == remaining
    texts = [(tmp_path / f"r{i}" / "stats.txt").read_text() for i in (1, 2)]
    assert "system.cpu.commitStats0.numInsts" in texts[0]
    assert host_independent(texts[0]) == host_independent(texts[1])
