"""The processes a sweep starts: one to list a script's simulations, one per simulation.

    python -m simobjs.multisim.child describe OUT.json SCRIPT
    python -m simobjs.multisim.child run SPEC.json

`describe` loads the script in module-run mode (adding only records) and
writes the sweep's description. `run` runs one simulation through the
`simobjs` command in the job directory (the current directory) and writes
what the command cannot say in its exit status: the last exit event's cause
and code, to `multisim-exit.json`. Each simulation gets its own fresh process
(spawned, not forked): KVM descriptors and signal handlers are per process.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

EXIT_FILE = "multisim-exit.json"
PR_SET_PDEATHSIG = 1


class ExitRecorder:
    """A simulate() listener (simobjs.sim.core.listeners): keeps the last exit event."""

    def __init__(self) -> None:
        self.cause = ""
        self.code: int | None = None
        self.tick: int | None = None

    def simulate_begin(self, sim: Any) -> None:
        pass

    def simulate_end(self, sim: Any, event: Any) -> None:
        if event is not None:
            self.cause = str(event.getCause())
            self.code = int(event.getCode())
            self.tick = int(sim.curTick())


def _die_with_parent(parent: int) -> None:
    """Be killed when the worker that started us dies (a lost worker leaves no orphan)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before prctl took effect
        os._exit(1)


def run(spec_path: Path) -> int:
    from simobjs import cli
    from simobjs.multisim import front
    from simobjs.sim import core

    spec = json.loads(spec_path.read_text())
    _die_with_parent(spec["parent"])
    work = Path.cwd()
    front.use_worker_files(
        front.WorkerFiles(
            shipped=spec["shipped"],
            client_cwd=spec["client_cwd"],
            client_script_dir=spec["client_script_dir"],
            work_dir=str(work),
        )
    )
    recorder = ExitRecorder()
    core.listeners.append(recorder)
    script = str(work / spec["script"])  # absolute: __file__-relative names map back
    code = cli.main([*spec["options"], "-d", spec["outdir"], script, *spec["argv"]])
    info = {"status": code, "cause": recorder.cause, "code": recorder.code, "tick": recorder.tick}
    (work / EXIT_FILE).write_text(json.dumps(info))
    return code


def describe(out: Path, script: str) -> int:
    from simobjs import cli
    from simobjs.multisim import front

    front.module_run = True
    # an outdir of its own: nothing is simulated, and the sweep's command holds its outdir
    code = cli.main(["-q", "--progress", "off", "-d", str(out.parent), script])
    if code == 0:
        desc = front.description()
        if not desc["ids"]:
            print(f"fatal: {script} adds no simulation", file=sys.stderr)
            return 1
        out.write_text(json.dumps(desc))
    return code


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "run":
        return run(Path(argv[1]))
    if len(argv) == 3 and argv[0] == "describe":
        return describe(Path(argv[1]), argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.stdout.flush()
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.exit(code)
