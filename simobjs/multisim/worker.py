"""Run one job where it lands (a Dask worker, or this process for a serial run).

`run_job(job)` unpacks the job's files into a private directory, starts the
simulation in a fresh Python process (`simobjs.multisim.child run`), waits
for it, and returns a `Result` holding the output files as bytes. A crash of
the simulation (a guest fault, a segfault, a kill) ends that process only:
the worker survives and reports it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from simobjs.multisim.child import EXIT_FILE
from simobjs.multisim.job import Job, Result, collect, write_files

TOPIC = "simobjs-multisim"  # Dask event topic: a simulation started on a worker
SPEC_FILE = "multisim-job.json"
STDOUT_FILE = "simout.txt"  # gem5's -r/-e names
STDERR_FILE = "simerr.txt"
INTERRUPT_CAUSE = "user interrupt received"  # simulate()'s exit at SIGINT


def _dask_worker():
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):
        return None


def _announce(job: Job) -> str:
    """Tell the client this simulation started; returns the worker's address."""
    worker = _dask_worker()
    if worker is None:
        return "local"
    try:
        worker.log_event(TOPIC, {"id": job.id, "state": "running"})
    except Exception:  # noqa: BLE001 - progress is a courtesy: never fail a run for it
        pass
    return str(worker.address)


def run_job(job: Job) -> Result:
    """Run `job` in a fresh process in a private directory; never raises for a
    simulation's failure (the Result says why)."""
    worker = _announce(job)
    host = socket.gethostname()
    work = Path(tempfile.mkdtemp(prefix=f"simobjs-multisim-{job.id}-"))
    try:
        write_files(job.files, work)
        spec = {
            "script": job.script,
            "argv": list(job.argv),
            "options": list(job.options),
            "outdir": "m5out",
            "shipped": dict(job.shipped),
            "client_cwd": job.client_cwd,
            "client_script_dir": job.client_script_dir,
            "parent": os.getpid(),
        }
        (work / SPEC_FILE).write_text(json.dumps(spec))
        began = time.monotonic()
        with open(work / STDOUT_FILE, "wb") as out, open(work / STDERR_FILE, "wb") as err:
            proc = subprocess.run(
                [sys.executable, "-m", "simobjs.multisim.child", "run", SPEC_FILE],
                cwd=work,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=_child_env(job.env, job.env_unset),
            )
        seconds = time.monotonic() - began
        exit_info = _read_json(work / EXIT_FILE)
        files = collect(work / job.output_dir, job.checkpoints)
        outer = (work / job.output_dir).parent
        if outer != work and outer.is_dir():  # files opened before the script moved the
            for path in sorted(outer.iterdir()):  # outdir (--debug-file) are its too
                if path.is_file() and not path.is_symlink():
                    files.setdefault(path.name, path.read_bytes())
        for name in (STDOUT_FILE, STDERR_FILE):
            files.setdefault(name, (work / name).read_bytes())
        stderr = files[STDERR_FILE].decode(errors="replace")
        interrupted = exit_info.get("cause") == INTERRUPT_CAUSE
        result = Result(
            id=job.id,
            status="done" if proc.returncode == 0 and not interrupted else "failed",
            exit_cause=exit_info.get("cause") or "",
            exit_code=exit_info.get("code"),
            returncode=proc.returncode,
            worker=worker,
            host=host,
            host_seconds=round(seconds, 3),
            files=files,
        )
        if interrupted:  # Ctrl-C reached it: the script ended early, not complete
            result.error = "interrupted (SIGINT) at tick %s" % exit_info.get("tick")
        elif proc.returncode != 0:
            result.error = failure_reason(proc.returncode, stderr, result)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _child_env(extra: Mapping[str, str], unset: tuple[str, ...] = ()) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("SIMOBJS_PROGRESS", *unset):
        env.pop(name, None)
    env["PYTHONUNBUFFERED"] = "1"  # a killed simulation still leaves its last lines
    env.update(extra)
    return env


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def failure_reason(returncode: int, stderr: str, result: Result) -> str:
    """One line saying why a simulation process failed."""
    lines = [line.rstrip() for line in stderr.splitlines() if line.strip()]
    fatal = [line for line in lines if line.startswith(("fatal:", "panic:"))]
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        last = f": {lines[-1]}" if lines else ""
        return f"killed by {name}{last}"
    if fatal:
        return fatal[-1]
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback")]
    if starts:  # the exception line: the first unindented line after the last traceback
        after = lines[starts[-1] + 1 :]
        return next((ln for ln in after if not ln.startswith(" ")), lines[-1])
    if result.exit_code:
        return f"{result.exit_cause} (exit code {result.exit_code})"
    return f"exit status {returncode}" + (f": {lines[-1]}" if lines else "")
