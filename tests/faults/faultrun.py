"""Run the `simobjs` command on a small kernel-only machine, as a user would, and
look at what it printed and left behind (shared by the fault-injection tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS_SIM = ROOT / "tests" / "sim"

# A System with a 16 MiB memory and a Ticker (a Python event every cycle): a run
# that goes on until something stops it. argv[1] says what the script does.
SCRIPT = f"""
import os, random, sys, time
sys.path.insert(0, {str(TESTS_SIM)!r})
import m5
from kernel_models import Ticker, make_root

mode = sys.argv[1]
root = make_root(t=Ticker(every=1))
m5.instantiate()
outdir = m5.options.outdir
cpt = sys.argv[2] if len(sys.argv) > 2 else os.path.join(outdir, "cpt")
ram = root.system.mem.getCCObject().ram


def fill_disk():
    with open(os.path.join(outdir, "filler"), "wb") as f:
        try:
            while True:
                f.write(bytes(65536))
                f.flush()
        except OSError:
            pass


if mode == "run":  # until a signal
    m5.simulate(1000)
    m5.stats.dump()
    print("ready", flush=True)
    m5.simulate()
elif mode == "idle":  # a signal outside simulate()
    m5.simulate(1000)
    print("ready", flush=True)
    time.sleep(60)
elif mode == "checkpoints":  # checkpoints of 4 MiB of random pages, one after another
    ram.write(0x100000, random.Random(1).randbytes(4 << 20))
    m5.simulate(1000)
    m5.checkpoint(cpt)
    print("ready", flush=True)
    while True:
        m5.simulate(1000)
        m5.checkpoint(cpt)
elif mode == "full-run":  # the disk fills up before the final stats dump
    m5.simulate(1000)
    fill_disk()
    m5.simulate(1000)
    print("done", flush=True)
elif mode == "full-checkpoint":  # the disk fills up before the second checkpoint
    ram.write(0x100000, random.Random(1).randbytes(64 << 10))
    m5.simulate(1000)
    m5.checkpoint(cpt)
    fill_disk()
    m5.simulate(1000)
    m5.checkpoint(cpt)
    print("done", flush=True)
elif mode == "quick":
    m5.simulate(1000)
    print("done", flush=True)
"""


def env(**extra: str) -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    e.pop("SIMOBJS_PROGRESS", None)
    e.pop("SIMOBJS_TRACEBACK", None)
    e.update(extra)
    return e


def command(*args: str) -> list[str]:
    return [sys.executable, "-m", "simobjs.cli", "-q", *args]


def script(tmp: Path, text: str = SCRIPT, name: str = "machine.py") -> Path:
    path = tmp / name
    path.write_text(text)
    return path


def run(*args: str, cwd: Path, timeout: float = 60, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        command(*args), cwd=cwd, env=env(**extra), capture_output=True, text=True, timeout=timeout
    )


def start(*args: str, cwd: Path, ready_in: Path | None = None) -> subprocess.Popen:
    """Start the command; returns once it printed 'ready' (its work is under way), on its
    stdout or, with -r, in `ready_in`."""
    proc = subprocess.Popen(
        command(*args),
        cwd=cwd,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    if ready_in is None:
        seen = ""
        for line in proc.stdout:
            seen += line
            if line.strip() == "ready":
                return proc
    else:
        while proc.poll() is None and time.monotonic() < deadline:
            if ready_in.exists() and "ready" in ready_in.read_text():
                return proc
            time.sleep(0.02)
        seen = ready_in.read_text() if ready_in.exists() else ""
    proc.kill()
    out, err = proc.communicate()
    raise AssertionError(f"the run did not start: {seen}{out}\n{err}")


def terminate(proc: subprocess.Popen, delay: float = 0.0) -> tuple[int, str, str]:
    time.sleep(delay)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def clean(err: str) -> None:
    """No Python traceback, and each fatal/panic line printed once."""
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.startswith(("fatal:", "panic:"))]
    assert len(lines) == len(set(lines)), err
