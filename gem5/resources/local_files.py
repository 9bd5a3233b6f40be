"""Where a script's resources are on disk, for sweeps (gem5.utils.multisim).

Every place that resolves a resource to a local path (the resources JSON
files, the file an entry's url names, the copy placed in a resource
directory, a resource made from a `local_path`) passes it through
`located()`. In the process that lists a sweep's simulations, that records
the file (or directory) to be shipped with every simulation; where a
simulation runs, possibly on a machine without the client's filesystem, it
gives the shipped copy instead. Elsewhere it changes nothing.

In a sweep, a resource that cannot be obtained must fail only the
simulations that use it: while `deferring` (set by gem5.utils.multisim),
`obtain_resource` returns an `UnresolvedResource` that keeps the error, a
board given one records the error (`defer`), and the simulator of that board
raises it when it runs (`errors_of`).
"""

from __future__ import annotations

import os
from pathlib import Path

from simobjs.multisim import front

deferring = False
_deferred: dict[int, tuple[object, list[Exception]]] = {}


# where resources are found and placed: each simulation sees the client's settings
ENVIRONMENT = ("GEM5_RESOURCE_JSON", "GEM5_RESOURCE_JSON_APPEND", "GEM5_CONFIG")


def pass_on_environment() -> None:
    """Give every simulation of the sweep the client's resource settings, and the
    client's resource directory (a copy placed there is found among the shipped
    copies under the same name)."""
    from gem5.resources.downloader import default_resource_dir

    for name in ENVIRONMENT:
        front.pass_on(name, os.environ.get(name))
    front.pass_on("GEM5_RESOURCE_DIR", str(default_resource_dir().absolute()))


def located(path: str | os.PathLike[str]) -> str:
    """The path to read for `path`, as the client names it (see the module's doc)."""
    return front.locate(path)


def client_absolute(path: str | os.PathLike[str]) -> Path:
    """`path` made absolute as the client would (where a simulation runs, a
    relative path is relative to the directory the client ran in)."""
    return Path(front.client_path(path))


def client_cwd() -> Path:
    """The directory the client runs in (gem5 looks for ./gem5-config.json there)."""
    return client_absolute(".")


def defer(owner: object, error: Exception) -> None:
    """`owner` (a board) uses a resource that could not be obtained: `error` is
    raised when its simulation runs."""
    _deferred.setdefault(id(owner), (owner, []))[1].append(error)


def errors_of(owner: object) -> list[Exception]:
    """The errors deferred for `owner` (empty: every resource it uses was obtained)."""
    entry = _deferred.get(id(owner))
    return list(entry[1]) if entry is not None and entry[0] is owner else []


def reset() -> None:
    global deferring
    deferring = False
    _deferred.clear()
