"""What one simulation is, independent of how a script describes it.

A `Job` is plain data (it is pickled to a Dask worker): the id, the script to
run with `simobjs` and its arguments, every file the simulation needs as bytes
(the script itself, guest binaries, helper modules), and which outputs come
back. A `Result` is what comes back: status, error, exit cause and code, where
and how long it ran, and the output files as bytes. Neither refers to a path
on the client, so workers need not share a filesystem with it.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from simobjs.errors import ConfigError

CHECKPOINT_MARKER = "m5.cpt"  # a directory holding this file is a checkpoint
PARAMS_FILE = "multisim-params.pickle"
BUILDER_SCRIPT = "multisim-builder.py"


class MultisimError(ConfigError):
    """A sweep cannot run as described (bad id, unsafe path, missing file)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, path="multisim")


@dataclass(frozen=True)
class Job:
    """One simulation: run `simobjs [options] -d m5out SCRIPT ARGV...` in a fresh
    directory holding `files`, then bring back `output_dir` (relative to it)."""

    id: str
    script: str
    argv: tuple[str, ...] = ()
    files: Mapping[str, bytes] = field(default_factory=dict)
    output_dir: str = "m5out"
    options: tuple[str, ...] = ()
    checkpoints: bool = False
    env: Mapping[str, str] = field(default_factory=dict)  # more environment for the process
    env_unset: tuple[str, ...] = ()  # variables removed from the process's environment
    # multisim.ship(): the client's absolute path of each shipped file -> its relative
    # path in the job directory; and where the client ran, to map relative names.
    shipped: Mapping[str, str] = field(default_factory=dict)
    client_cwd: str = ""
    client_script_dir: str = ""

    def __post_init__(self) -> None:
        check_id(self.id)
        for name in (self.script, self.output_dir, *self.files, *self.shipped.values()):
            safe_relative(name)
        if self.script not in self.files:
            raise MultisimError(f"job {self.id}: the script {self.script!r} is not in its files")

    @classmethod
    def for_builder(
        cls,
        id: str,
        builder: str,
        params: Mapping[str, Any] | None = None,
        files: Mapping[str, bytes] | None = None,
        **kw: Any,
    ) -> Job:
        """A job that calls `builder` ("package.module:function", importable on the
        worker or shipped in `files`) with `params` and runs the Root it returns
        (see `simobjs.multisim.front.run_builder`)."""
        if ":" not in builder:
            raise MultisimError(f"job {id}: builder {builder!r} is not 'module:function'")
        text = (
            "from simobjs.multisim.front import run_builder\n\n"
            f"run_builder({builder!r}, {PARAMS_FILE!r})\n"
        )
        all_files = dict(files or {})
        all_files[BUILDER_SCRIPT] = text.encode()
        all_files[PARAMS_FILE] = pickle.dumps(dict(params or {}))
        return cls(id=id, script=BUILDER_SCRIPT, files=all_files, **kw)


@dataclass
class Result:
    """What a job gave back. status: "done" (the simulation process exited 0) or
    "failed" (error says why)."""

    id: str
    status: str
    error: str = ""
    exit_cause: str = ""
    exit_code: int | None = None
    returncode: int | None = None
    worker: str = ""
    host: str = ""
    host_seconds: float = 0.0
    files: dict[str, bytes] = field(default_factory=dict)


def check_id(id: str) -> None:
    """gem5's Simulator.set_id rules: the id names a directory."""
    if not isinstance(id, str) or not id:
        raise MultisimError(f"a simulation id must be a non-empty string, got {id!r}")
    if not id[0].isalpha():
        raise MultisimError(f"simulation id {id!r}: must start with a letter")
    if not id[-1].isalnum():
        raise MultisimError(f"simulation id {id!r}: must end with a letter or a digit")
    if not all(c.isalnum() or c in "_-" for c in id):
        raise MultisimError(f"simulation id {id!r}: only letters, digits, underscores and dashes")


def safe_relative(name: str) -> PurePosixPath:
    """`name` as a relative path that stays inside its directory, or MultisimError."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts:
        raise MultisimError(f"unsafe path in a job: {name!r} (must be relative, without '..')")
    return path


def collect(directory: Path, checkpoints: bool) -> dict[str, bytes]:
    """Every regular file under `directory` by relative path; checkpoint directories
    (holding m5.cpt) only when `checkpoints`."""
    out: dict[str, bytes] = {}
    if not directory.is_dir():
        return out
    for here, dirs, files in os.walk(directory):
        base = Path(here)
        if not checkpoints:
            dirs[:] = [d for d in dirs if not (base / d / CHECKPOINT_MARKER).is_file()]
        dirs.sort()
        for name in sorted(files):
            path = base / name
            if path.is_file() and not path.is_symlink():
                out[path.relative_to(directory).as_posix()] = path.read_bytes()
    return out


def write_files(files: Mapping[str, bytes], directory: Path) -> None:
    """Write `files` (relative path -> bytes) under `directory`."""
    for name, data in files.items():
        target = directory.joinpath(*safe_relative(name).parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
