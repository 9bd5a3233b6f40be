"""Sweeps of real simulations (the demo PC with the hello guest, on the KVM CPU
and the reference CPU) through the `simobjs` command: listed, run by id, run
all on a local Dask cluster, on a Dask cluster of separate worker processes,
with a failing simulation, a lost worker, and a resumed run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from simobjs.guest import build

sys.path.insert(0, str(Path(__file__).parent))
from dask_cluster import environment, left_in, separate_cluster  # noqa: E402

HELLO = "Hello from a simobjs guest!"
EXIT = "m5_exit instruction encountered"

SCRIPT = """
import os
import signal

import simobjs.multisim as multisim
from simobjs.demo.config import build_system


def build(guest, cpu, clock):
    root = build_system(guest, cpu=cpu)
    root.system.clk_domain.clock = clock
    root.system.terminal.outfile = "file"
    return root


def lose_worker():
    os.kill(os.getppid(), signal.SIGKILL)  # the worker that started this simulation


multisim.set_num_processes(2)
multisim.report_stats("system.cpu.numCycles")
GUEST = multisim.ship({guest!r})
for cpu in ("kvm", "reference"):
    for clock in {clocks!r}:
        multisim.add_simulation(f"{{cpu}}-{{clock}}", build, guest=GUEST, cpu=cpu, clock=clock)
{extra}
"""
BAD = 'multisim.add_simulation("bad-clock", build, guest=GUEST, cpu="reference", clock="fast")'
FIXED = 'multisim.add_simulation("bad-clock", build, guest=GUEST, cpu="reference", clock="3GHz")'
LOST = 'multisim.add_simulation("lost", lose_worker)'
GOOD = ["kvm-1GHz", "kvm-2GHz", "reference-1GHz", "reference-2GHz"]


def simobjs(*args: str, cwd: Path, timeout: float = 180, **extra: str):
    return subprocess.run(
        [sys.executable, "-m", "simobjs.cli", *(args if args[0] == "stats" else ("-q", *args))],
        cwd=cwd,
        env=environment(**extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def sweep_script(
    tmp_path: Path, extra: str = "", guest: str = "guests/hello.elf", clocks=("1GHz", "2GHz")
) -> Path:
    if guest == "guests/hello.elf":
        (tmp_path / "guests").mkdir(exist_ok=True)
        shutil.copy(build.example_guest("hello"), tmp_path / "guests" / "hello.elf")
    path = tmp_path / "sweep.py"
    path.write_text(SCRIPT.format(guest=guest, extra=extra, clocks=clocks))
    return path


def rows(outdir: Path) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads((outdir / "multisim.json").read_text())["simulations"]}


def check_done(outdir: Path, row: dict) -> None:
    sim = outdir / row["id"]
    assert row["status"] == "done", row
    assert row["exit_cause"] == EXIT and row["exit_code"] == 0
    assert row["simTicks"] > 0 and row["system.cpu.numCycles"] > 0
    assert row["worker"].startswith("tcp://")
    assert HELLO in (sim / "system.terminal").read_text()  # the program's output came back
    for name in ("stats.txt", "stats.json", "config.ini", "config.json", "simout.txt"):
        assert (sim / name).is_file(), name
    assert f"Exiting @ tick {row['simTicks']} because {EXIT}" in (sim / "simout.txt").read_text()


def test_list_the_ids(tmp_path):
    script = sweep_script(tmp_path, BAD)
    out = simobjs(str(script), "-l", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [*GOOD, "bad-clock"]
    m5out = tmp_path / "m5out"  # the command's outdir (locked while it runs) stays empty
    assert not m5out.exists() or not list(m5out.iterdir())  # nothing ran


@pytest.mark.kvm
def test_run_one_by_id(tmp_path):
    script = sweep_script(tmp_path, BAD)
    out = simobjs("-d", "out", str(script), "reference-2GHz", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert f"because {EXIT}" in out.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["reference-2GHz"]
    assert HELLO in (tmp_path / "out" / "reference-2GHz" / "system.terminal").read_text()
    wrong = simobjs(str(script), "no-such-id", cwd=tmp_path)
    assert wrong.returncode == 1 and "no simulation has the id 'no-such-id'" in wrong.stderr


@pytest.mark.kvm
def test_sweep_on_a_local_cluster_with_failures_then_resume(tmp_path):
    script = sweep_script(tmp_path, BAD + "\n" + LOST)
    # Dask's own configuration: a simulation whose worker dies is not tried again
    out = simobjs(
        "-d",
        "out",
        "-m",
        "simobjs.multisim",
        str(script),
        cwd=tmp_path,
        DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="0",
    )
    assert out.returncode == 1, out.stderr  # some failed
    outdir = tmp_path / "out"
    table = rows(outdir)
    assert list(table) == [*GOOD, "bad-clock", "lost"]  # the script's order
    for id in GOOD:
        check_done(outdir, table[id])
    ref1, ref2 = table["reference-1GHz"], table["reference-2GHz"]
    assert ref1["simInsts"] == ref2["simInsts"] > 0  # the reference CPU counts instructions
    # the same instructions at 1 GHz and 2 GHz: each cycle takes 500 ps longer
    assert ref1["system.cpu.numCycles"] == ref2["system.cpu.numCycles"]
    assert ref1["simTicks"] - ref2["simTicks"] == ref1["system.cpu.numCycles"] * 500
    assert table["kvm-2GHz"]["simInsts"] is None or table["kvm-2GHz"]["simInsts"] > 0
    bad = table["bad-clock"]
    assert bad["status"] == "failed"
    assert "system.clk_domain.clock" in bad["error"] and "'fast'" in bad["error"]
    assert "multisim: bad-clock failed: fatal: system.clk_domain.clock" in out.stderr
    assert "Traceback" not in (outdir / "bad-clock" / "simerr.txt").read_text()
    assert table["lost"]["status"] == "failed"
    assert table["lost"]["error"].startswith("worker lost: the worker running it died")
    csv = (outdir / "multisim.csv").read_text().splitlines()
    assert len(csv) == 7 and csv[0].split(",")[:3] == ["id", "status", "error"]

    # compare the chosen stats: a table on stdout and a PNG
    cmp = simobjs("stats", "compare", "out", "simTicks", "system.cpu.*Cycles", cwd=tmp_path)
    assert cmp.returncode == 0, cmp.stderr
    header, _, *lines = cmp.stdout.splitlines()[:8]
    assert header.split() == ["id", "status", "simTicks", "system.cpu.numCycles"]
    assert lines[2].split()[:3] == ["reference-1GHz", "done", str(ref1["simTicks"])]
    png = outdir / "multisim-compare.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # fix the bad one, drop the lost one, run again: only the fixed one runs
    stamps = {id: (outdir / id / "multisim.json").stat().st_mtime_ns for id in GOOD}
    script.write_text(script.read_text().replace(BAD, FIXED).replace(LOST, ""))
    again = simobjs("-d", "out", "-m", "simobjs.multisim", str(script), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "5 done, 0 failed (4 already done, skipped)" in again.stderr
    table = rows(outdir)
    assert list(table) == [*GOOD, "bad-clock"]
    check_done(outdir, table["bad-clock"])
    assert stamps == {id: (outdir / id / "multisim.json").stat().st_mtime_ns for id in GOOD}


@pytest.mark.kvm
def test_sweep_on_a_cluster_of_separate_workers(tmp_path):
    client_dir, far = tmp_path / "client", tmp_path / "far"
    client_dir.mkdir()
    # the guest lives outside the script's directory: it is shipped to a private place
    script = sweep_script(client_dir, guest=str(build.example_guest("hello")), clocks=("2GHz",))
    with separate_cluster(far, workers=2) as address:
        # the command's options before -m reach every simulation
        out = simobjs(
            "-d",
            "sweep",
            "--debug-flags=Uart",
            "--debug-file=uart.txt",
            "-m",
            "simobjs.multisim",
            str(script),
            cwd=client_dir,
            timeout=120,
            DASK_SCHEDULER_ADDRESS=address,
        )
        assert out.returncode == 0, out.stderr + (far / "worker0.log").read_text()
    outdir = client_dir / "sweep"
    table = rows(outdir)
    assert list(table) == ["kvm-2GHz", "reference-2GHz"]
    for row in table.values():
        check_done(outdir, row)
        assert "system.uart: write THR" in (outdir / row["id"] / "uart.txt").read_text()
    assert json.loads((outdir / "multisim.json").read_text())["cluster"] == address
    # nothing was written where the workers run but their logs (job directories are removed)
    assert left_in(far) == []


@pytest.mark.kvm
def test_a_builder_job_runs_in_a_fresh_process_and_brings_back_checkpoints():
    from simobjs.multisim.job import Job
    from simobjs.multisim.worker import run_job

    elf = build.example_guest("checkpoint")
    job = Job.for_builder(
        "ckpt",
        "simobjs.demo.config:build_system",
        {"guest": "guest.elf", "cpu": "kvm"},  # relative: the job directory holds it
        files={"guest.elf": elf.read_bytes()},
        checkpoints=True,
    )
    result = run_job(job)  # what a Dask worker calls; here without Dask
    assert result.status == "done", result.error
    assert result.exit_cause == EXIT and result.worker == "local"
    assert result.files["system.terminal"].decode() == build.expected_output("checkpoint")
    (cpt,) = {name.split("/")[0] for name in result.files if name.startswith("cpt.")}
    assert f"{cpt}/m5.cpt" in result.files
    assert b"Exiting @ tick" in result.files["simout.txt"]
    without = run_job(
        Job.for_builder(
            "ckpt",
            "simobjs.demo.config:build_system",
            {"guest": "guest.elf", "cpu": "kvm"},
            files={"guest.elf": elf.read_bytes()},
        )
    )
    assert not [name for name in without.files if name.startswith("cpt.")]


def test_a_shipped_builder_module_that_runs_nothing_itself():
    from simobjs.multisim.job import Job
    from simobjs.multisim.worker import run_job

    probe = "import os\n\ndef build(word):\n    print('probe', word, os.environ['PROBE'])\n"
    job = Job.for_builder(
        "probe",
        "probe:build",
        {"word": "hi"},
        files={"probe.py": probe.encode()},
        env={"PROBE": "here"},
    )
    result = run_job(job)
    assert result.status == "done", result.error
    assert b"probe hi here" in result.files["simout.txt"]
    assert result.exit_cause == "" and "stats.txt" not in result.files  # nothing simulated
