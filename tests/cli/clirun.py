"""Run the real `simobjs` command in a subprocess (shared by the command-line tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A minimal gem5-style script: one System, an exit after `TICKS` ticks.
SCRIPT = """
import sys
import m5
from m5.objects import *

root = Root(full_system=False)
root.system = System()
root.system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
m5.instantiate()
print("instantiated", m5.options.outdir)
m5.scheduleTickExitFromCurrent(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
event = m5.simulate()
print("Exiting @ tick %i because %s" % (m5.curTick(), event.getCause()))
"""


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    e.pop("SIMOBJS_PROGRESS", None)
    return e


def simobjs(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    """`simobjs ARGS...` with stdout and stderr captured (pipes: never a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "simobjs.cli", *args],
        cwd=cwd,
        env=env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
