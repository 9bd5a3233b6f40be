"""The sweep a script declares, and what the script does when run on its own.

A script adds simulations by id; what happens then depends on how it runs,
as in gem5 v24's `gem5.utils.multisim`:

- `simobjs -m simobjs.multisim SCRIPT`: the script is loaded in a separate
  process only to learn its ids (module-run mode: adding only records), then
  every simulation runs in a fresh process (see `simobjs.multisim.sweep`);
- `simobjs SCRIPT -l`: each id is printed as it is added;
- `simobjs SCRIPT ID`: the simulation with that id runs when it is added, in
  `OUTDIR/ID/` (this is also how a worker runs one simulation);
- `simobjs SCRIPT`: an error that says the above.

Front ends register a simulation with `add(id, run_one)`: `run_one(outdir)`
runs it in that output directory. The plain-m5 form is `add_simulation`;
gem5's standard library (`gem5.utils.multisim.add_simulator`) adds
`lambda d: (sim.override_outdir(d), sim.run())` for each Simulator. Files a
front end reads go through `locate(path)`: shipped with the simulations, and
found again among the shipped copies where a simulation runs.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simobjs.multisim.job import MultisimError, check_id

# True in the process that only lists the script's simulations (gem5's `module_run`).
module_run = False


@dataclass
class Entry:
    id: str
    run_one: Callable[[Path], Any]
    needs: set[str] = field(default_factory=set)  # shipped files only this one needs


_entries: dict[str, Entry] = {}
_num_processes: int | None = None
_stats: list[str] = []
_checkpoints = False
_shipped: set[str] = set()  # the client's absolute path of every shipped file or directory
_environment: dict[str, str | None] = {}  # what the simulations see (None: unset)
_worker_files: WorkerFiles | None = None  # set in a worker's simulation process
_ran: list[str] = []


# -- the script's API ----------------------------------------------------------------------
def set_num_processes(num_processes: int) -> None:
    """At most this many simulations at once on the local machine (gem5's name).
    Without it: one per CPU. A cluster named in Dask's configuration ignores it."""
    if not isinstance(num_processes, int) or isinstance(num_processes, bool):
        raise ValueError("Number of processes must be an integer.")
    if num_processes < 1:
        raise ValueError("Number of processes must be greater than 0.")
    global _num_processes
    _num_processes = num_processes


def add_simulation(id: str, build_function: Callable[..., Any], **params: Any) -> str:
    """Add the simulation `id`: `build_function(**params)` returns the Root of one
    configuration, which is then instantiated and simulated to its end as
    `simobjs config.yaml` does (checkpoint at "checkpoint" exits, switch at
    "switchcpu" exits when the system has `switch_cpus`, gem5's "Exiting @ tick"
    line). A build function that returns None has run the simulation itself.

    Shipped files (`ship()`) among `params` go to this simulation only."""
    if not callable(build_function):
        raise MultisimError(f"add_simulation({id!r}): {build_function!r} is not callable")
    needs = {v for v in _strings(params) if v in _shipped}
    return add(id, lambda outdir: run_built(build_function, params, outdir), needs)


def ship(path: str | os.PathLike[str]) -> str:
    """Send the file at `path` with the simulations (workers need not share a
    filesystem with this machine); returns its path where the simulation runs.

    A file under the script's directory keeps its relative place beside the
    script (so `import helper` works); others go to a private directory."""
    name = os.fspath(path)
    if _worker_files is not None:
        return _worker_files.resolve(name)
    full = os.path.abspath(name)
    if not os.path.isfile(full):
        raise MultisimError(f"multisim.ship({name!r}): no such file ({full})")
    _shipped.add(full)
    return full


def locate(name: str | os.PathLike[str]) -> str:
    """A local file or directory a simulation reads, named as the client names it
    (front ends call this where a path is resolved, e.g. gem5's resources): on the
    client, one that exists is recorded to be shipped with every simulation and
    the name comes back unchanged; where a simulation runs, the path of its
    shipped copy (the name as given if it was not shipped)."""
    name = os.fspath(name)
    if _worker_files is not None:
        return _worker_files.resolve(name)
    if os.path.exists(name):
        _shipped.add(os.path.abspath(name))
    return name


def pass_on(name: str, value: str | None) -> None:
    """Where the simulations run, the environment variable `name` is `value` (None:
    unset), whatever it is on the worker; front ends pass on the client's settings
    that name files this way (their files go through `locate`)."""
    if _worker_files is None:
        _environment[name] = value


def client_path(name: str | os.PathLike[str]) -> str:
    """`name` made absolute as the client would: where a simulation runs, a relative
    name is relative to the directory the client ran in."""
    name = os.fspath(name)
    if _worker_files is not None and not os.path.isabs(name):
        return os.path.normpath(os.path.join(_worker_files.client_cwd, name))
    return os.path.abspath(name)


def report_stats(*names: str) -> None:
    """Put these stats (full names, `name::sub` elements, or shell patterns such
    as `system.cpu*.numCycles`) in OUTDIR/multisim.json and .csv, from the last
    dump of each simulation's stats.txt."""
    for name in names:
        if name not in _stats:
            _stats.append(name)


def collect_checkpoints(enabled: bool = True) -> None:
    """Bring checkpoint directories (cpt.*) back from the workers too (off by default)."""
    global _checkpoints
    _checkpoints = bool(enabled)


def num_simulations() -> int:
    """How many simulations the script added so far (gem5's `num_simulators`)."""
    return len(_entries)


def get_simulation_ids(module_path: str | Path) -> list[str]:
    """The ids a script adds, read by loading it in a separate process (gem5's
    `get_simulator_ids`)."""
    from simobjs.multisim import sweep

    return list(sweep.describe(Path(module_path))["ids"])


def run(module_path: str | Path, processes: int | None = None) -> int:
    """Run every simulation of the script at `module_path` (what `simobjs -m
    simobjs.multisim SCRIPT` does); returns the exit status."""
    from simobjs.multisim import sweep

    return sweep.run_script(Path(module_path), processes=processes)


# -- the hook for front ends ---------------------------------------------------------------
def add(
    id: str | None,
    run_one: Callable[[Path], Any],
    needs: Iterable[str] = (),
    module: str = "simobjs.multisim",
) -> str:
    """Register simulation `id` (None: `sim_<n>`, gem5's default), run by
    `run_one(outdir)`; then list it, run it, or refuse, as the command line says
    (`module`: the front end's module, named in the refusal)."""
    if id is None:
        id = f"sim_{len(_entries)}"
    check_id(id)
    if id in _entries:
        raise MultisimError(f"two simulations have the id '{id}': ids must be unique")
    entry = Entry(id, run_one, set(needs))
    _entries[id] = entry
    if module_run:
        return id
    args = _script_args()
    if args.list:
        print(id)
    elif not args.id:
        raise MultisimError(
            "this script declares several simulations: give the id of the one to run "
            "(`simobjs SCRIPT ID`; `simobjs SCRIPT -l` lists the ids), or run them all "
            f"with `simobjs -m {module} SCRIPT`"
        )
    elif args.id == id:
        from simobjs.options import options

        outdir = Path(options.outdir) / id
        outdir.mkdir(parents=True, exist_ok=True)
        _ran.append(id)
        run_one(outdir)
    return id


def _script_args() -> argparse.Namespace:
    """The script's command line as gem5's add_simulator reads it: [ID] [-l]."""
    parser = argparse.ArgumentParser(
        prog=os.path.basename(sys.argv[0]) if sys.argv else "script",
        description="Run one of this script's simulations by id.",
    )
    parser.add_argument("id", nargs="?", default=None, help="the id of the simulation to run")
    parser.add_argument("-l", "--list", action="store_true", help="list the ids of the simulations")
    return parser.parse_args(sys.argv[1:])


def check_after_script(code: int) -> int:
    """Called by the command after a script ended: an id that matched nothing is an
    error (gem5 silently does nothing)."""
    if module_run or code != 0 or not _entries:
        return code
    args = _script_args()
    if args.id and not args.list and args.id not in _ran:
        known = ", ".join(_entries)
        print(f"fatal: no simulation has the id '{args.id}' (ids: {known})", file=sys.stderr)
        return 1
    return code


# -- running one ---------------------------------------------------------------------------
def run_built(build_function: Callable[..., Any], params: dict[str, Any], outdir: Path) -> None:
    """Build one configuration in `outdir` and run it to its end (see add_simulation)."""
    import m5

    m5.core.setOutputDir(str(outdir))
    root = build_function(**params)
    if root is None:
        return
    from m5.objects import Root

    if not isinstance(root, Root):
        name = getattr(build_function, "__name__", repr(build_function))
        raise MultisimError(f"{name}() returned {type(root).__name__}: expected a Root or None")
    from simobjs.cli import run_root

    run_root(root)


def run_builder(builder: str, params_file: str) -> None:
    """The body of a builder job's script: import "module:function", load its params,
    and run what it builds in the command's output directory."""
    import m5

    module, _, name = builder.partition(":")
    function = getattr(importlib.import_module(module), name)
    params = pickle.loads(Path(params_file).read_bytes())
    run_built(function, params, Path(m5.options.outdir))


# -- where the simulation runs -------------------------------------------------------------
@dataclass
class WorkerFiles:
    """Maps a ship()ped path, as the script names it, to the copy in the job directory."""

    shipped: dict[str, str]  # client absolute path -> path relative to work_dir
    client_cwd: str
    client_script_dir: str
    work_dir: str

    def resolve(self, name: str) -> str:
        candidates = []
        if os.path.isabs(name):
            candidates.append(os.path.normpath(name))
            rel = os.path.relpath(name, self.work_dir)
            if not rel.startswith(".."):  # named from __file__ here: the client's script dir
                candidates.append(os.path.normpath(os.path.join(self.client_script_dir, rel)))
        else:
            candidates.append(os.path.normpath(os.path.join(self.client_cwd, name)))
        for client_path in candidates:
            if client_path in self.shipped:
                return os.path.join(self.work_dir, self.shipped[client_path])
        for client_path in candidates:  # a file inside a shipped directory
            for shipped, rel in self.shipped.items():
                if client_path.startswith(shipped + os.sep):
                    inner = os.path.relpath(client_path, shipped)
                    return os.path.join(self.work_dir, rel, inner)
        return name  # not shipped with this simulation: the path as given


def use_worker_files(files: WorkerFiles) -> None:
    global _worker_files
    _worker_files = files


# -- what the listing process reports ------------------------------------------------------
def description() -> dict[str, Any]:
    """The sweep as data: ids in order, processes, stats, checkpoints, files."""
    claimed = set().union(*(e.needs for e in _entries.values())) if _entries else set()
    return {
        "ids": list(_entries),
        "num_processes": _num_processes,
        "stats": list(_stats),
        "checkpoints": _checkpoints,
        "environment": dict(_environment),
        "files": {
            "common": sorted(_shipped - claimed),
            "by_id": {e.id: sorted(e.needs) for e in _entries.values()},
        },
    }


def _strings(value: Any) -> Iterable[str]:
    """Every string in a params structure (dicts, lists, tuples, sets)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list | tuple | set | frozenset):
        for v in value:
            yield from _strings(v)


def reset() -> None:
    """Forget the sweep declared so far (for tests and for tools that load several scripts)."""
    global module_run, _num_processes, _checkpoints, _worker_files
    module_run = False
    _num_processes = None
    _checkpoints = False
    _worker_files = None
    _entries.clear()
    _stats.clear()
    _shipped.clear()
    _environment.clear()
    _ran.clear()
