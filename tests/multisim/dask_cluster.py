"""A Dask cluster of separate processes for the sweep tests: a scheduler and
workers started with Dask's own command-line tools from a directory of their
own (`far`), as a cluster whose workers do not share the client's directory."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def environment(**extra: str) -> dict[str, str]:
    """This environment without Dask's settings, with this checkout importable."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("DASK_")}
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    e.update(extra)
    return e


def _start(args: list[str], cwd: Path, log: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=cwd,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


@contextlib.contextmanager
def separate_cluster(far: Path, workers: int = 2, **env: str) -> Iterator[str]:
    """Start a scheduler and `workers` one-thread worker processes in `far` (their
    logs: sched.log, worker<n>.log; temporary files under `far` too); yields the
    scheduler's address; stops them all at the end."""
    far.mkdir(parents=True, exist_ok=True)
    environ = environment(TMPDIR=str(far), **env)
    sched_file = far / "scheduler.json"
    scheduler = [
        "distributed.cli.dask_scheduler",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--no-dashboard",
        "--scheduler-file",
        str(sched_file),
    ]
    procs = [_start(scheduler, far, far / "sched.log", environ)]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(sched_file.read_text())["address"]
        worker = ["distributed.cli.dask_worker", address, "--nthreads", "1", "--no-nanny"]
        for n in range(workers):
            procs.append(_start([*worker, "--no-dashboard"], far, far / f"worker{n}.log", environ))
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def left_in(far: Path) -> list[str]:
    """What is in the workers' directory but their logs and Dask's scratch space."""
    logs = {"sched.log", "scheduler.json"} | {f"worker{n}.log" for n in range(16)}
    return sorted(
        p.name
        for p in far.iterdir()
        if p.name not in logs and not p.name.startswith("dask-scratch")
    )
