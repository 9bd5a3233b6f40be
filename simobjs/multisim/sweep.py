"""A script's sweep as jobs: list its simulations, pack what each needs, run them all.

This is `simobjs -m simobjs.multisim SCRIPT`. The script is loaded in a
separate process to learn its ids (as gem5's multisim does: loading it here
would build its configurations in this process); each simulation then runs on
a worker as `simobjs SCRIPT ID` in a directory holding the script and the
files it shipped, and comes back into OUTDIR/ID/.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from simobjs.multisim import engine
from simobjs.multisim.job import Job, MultisimError


def describe(script: Path) -> dict[str, Any]:
    """The script's sweep (ids, processes, stats, checkpoints, files), from a child process."""
    if not script.is_file():
        raise MultisimError(f"Python script {script} not found")
    with tempfile.TemporaryDirectory(prefix="simobjs-multisim-") as tmp:
        out = Path(tmp) / "describe.json"
        proc = subprocess.run(
            [sys.executable, "-m", "simobjs.multisim.child", "describe", str(out), str(script)],
            stdin=subprocess.DEVNULL,
        )
        if proc.returncode != 0 or not out.is_file():
            raise MultisimError(
                f"{script}: could not list its simulations (exit status {proc.returncode})"
            )
        return json.loads(out.read_text())


def layout(path: str, script_dir: str) -> str:
    """Where a shipped file goes in the job directory: its place relative to the
    script if it is under the script's directory, else a private directory."""
    rel = os.path.relpath(path, script_dir)
    if not rel.startswith(".."):
        return Path(rel).as_posix()
    digest = hashlib.sha1(os.path.dirname(path).encode()).hexdigest()[:10]
    return f"_shipped/{digest}/{os.path.basename(path)}"


def jobs_for(
    script: Path, desc: dict[str, Any], options: list[str], checkpoints: bool = False
) -> list[Job]:
    """One job per id: `simobjs [options] SCRIPT ID`, with the files it needs."""
    script_path = os.path.abspath(script)
    script_dir = os.path.dirname(script_path)
    name = os.path.basename(script_path)
    files = desc["files"]
    contents: dict[str, bytes] = {}

    def data(path: str) -> bytes:
        if path not in contents:
            contents[path] = Path(path).read_bytes()
        return contents[path]

    def pack(shipped: dict[str, str]) -> dict[str, bytes]:
        """The bytes of the shipped files; a shipped directory: every file under it."""
        out: dict[str, bytes] = {}
        for path, rel in shipped.items():
            if os.path.isdir(path):
                for here, dirs, names in os.walk(path):
                    dirs.sort()
                    for n in sorted(names):
                        full = os.path.join(here, n)
                        if os.path.isfile(full):
                            sub = Path(os.path.relpath(full, path)).as_posix()
                            out[f"{rel}/{sub}"] = data(full)
            else:
                out[rel] = data(path)
        return out

    environment = desc.get("environment", {})  # what the front end asked (front.pass_on)
    env = {k: v for k, v in environment.items() if v is not None}
    unset = tuple(k for k, v in environment.items() if v is None)
    jobs = []
    for id in desc["ids"]:
        needed = [*files["common"], *files["by_id"].get(id, [])]
        shipped = {p: layout(p, script_dir) for p in needed if p != script_path}
        job_files = pack(shipped)
        job_files[name] = data(script_path)
        jobs.append(
            Job(
                id=id,
                script=name,
                argv=(id,),
                files=job_files,
                output_dir=f"m5out/{id}",
                options=tuple(options),
                checkpoints=checkpoints or bool(desc.get("checkpoints")),
                env=env,
                env_unset=unset,
                shipped=shipped,
                client_cwd=os.getcwd(),
                client_script_dir=script_dir,
            )
        )
    return jobs


def child_options() -> list[str]:
    """The command's simulation options (output names, debug flags) for each simulation."""
    from simobjs.options import Options, options

    default = Options()
    flags = {
        "stats_file": "--stats-file",
        "dump_config": "--dump-config",
        "json_config": "--json-config",
        "dot_config": "--dot-config",
        "debug_flags": "--debug-flags",
        "debug_file": "--debug-file",
        "debug_start": "--debug-start",
    }
    out: list[str] = []
    for attr, flag in flags.items():
        value = getattr(options, attr)
        if value != getattr(default, attr):
            out.append(f"{flag}={value}")
    if options.config_only:
        out.append("--config-only")
    return out


def run_script(
    script: Path,
    processes: int | None = None,
    force: bool = False,
    stats: list[str] | None = None,
    checkpoints: bool = False,
    progress: str = "auto",
) -> int:
    """Run every simulation of `script` into OUTDIR (m5.options.outdir); the exit
    status is 0 only if every simulation completed."""
    from simobjs import progress as progress_line
    from simobjs.options import options

    try:
        desc = describe(script)
        jobs = jobs_for(script, desc, child_options(), checkpoints)
    except (MultisimError, OSError) as e:
        print(f"fatal: {e}", file=sys.stderr)
        return 1
    outdir = Path(options.outdir)
    outcome = engine.run_jobs(
        jobs,
        outdir,
        num_processes=processes or desc["num_processes"],
        force=force,
        stats=[*desc["stats"], *(stats or [])],
        stats_file=options.stats_file,
        show_progress=progress_line.wanted(progress, sys.stderr),
        meta={"script": str(script), "cluster": engine.scheduler_address() or "local"},
    )
    engine.print_summary(outcome, outdir)
    if outcome.interrupted:
        return 130
    return 0 if outcome.ok else 1
