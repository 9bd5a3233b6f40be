"""gem5.utils.multisim.multisim: gem5 v24's multisim calls over
simobjs.multisim.front, which decides what adding a simulation does (record
it, list it, run it, or refuse) from how the script was started.

The differences from gem5: an id given twice is an error when it is added
(gem5 fails only when that id runs); an id on the command line that no
simulator has is an error (gem5 runs nothing); the simulations run on Dask
(simobjs.multisim), locally or on a cluster, and the files the script's
resources resolve to are shipped with them (gem5.resources.local_files).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gem5.resources import local_files
from m5.util import warn
from simobjs.multisim import front

if TYPE_CHECKING:
    from gem5.simulate.simulator import Simulator

MODULE = "gem5.utils.multisim"

# a resource that cannot be obtained fails only the simulations that use it
local_files.deferring = True
local_files.pass_on_environment()

_added: dict[str, Simulator] = {}


def __getattr__(name: str) -> Any:
    if name == "module_run":  # gem5's flag: this process only lists the simulations
        return front.module_run
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def set_num_processes(num_processes: int) -> None:
    """At most this many simulations at once on the local machine (a Dask cluster
    named in Dask's configuration runs as many as it has worker threads)."""
    front.set_num_processes(num_processes)


def num_simulators() -> int:
    """How many simulators were added."""
    return front.num_simulations()


def get_simulator_ids(config_module_path: Path | str) -> list[str]:
    """The ids the script at `config_module_path` adds (it is loaded in another process)."""
    return front.get_simulation_ids(config_module_path)


def get_num_processes(config_module_path: Path | str) -> int | None:
    """The script's set_num_processes() value, None if it does not call it."""
    from simobjs.multisim import sweep

    return sweep.describe(Path(config_module_path))["num_processes"]


def run(module_path: Path | str, processes: int | None = None) -> int:
    """Run every simulator the script at `module_path` adds; returns the exit
    status (0: all completed)."""
    return front.run(module_path, processes)


def add_simulator(simulator: Simulator) -> None:
    """Add a simulator. It needs an id (Simulator(..., id=...)); without one it
    gets gem5's default, `sim_<n>` (n: the simulators added before it).

    Run with `simobjs -m gem5.utils.multisim SCRIPT`, this only records it;
    run as `simobjs SCRIPT ID`, the simulator with that id runs in OUTDIR/ID/;
    `simobjs SCRIPT -l` prints its id."""
    id = simulator.get_id()
    if id is not None and _added.get(id) is simulator:
        return  # gem5 keeps a set: the same simulator added twice is added once
    if id is None:
        id = f"sim_{front.num_simulations()}"
        simulator.set_id(id)
    errors = local_files.errors_of(simulator._board)
    if errors and (front.module_run or "-l" in sys.argv[1:] or "--list" in sys.argv[1:]):
        warn(f"simulation '{id}' will fail when it runs: {errors[0]}")

    def run_one(outdir: Path) -> None:
        simulator.override_outdir(outdir)
        simulator.run()

    front.add(id, run_one, module=MODULE)
    _added[id] = simulator


def reset() -> None:
    """Forget the simulators added so far, and stop deferring resource errors (for
    tests that use this module in their own process)."""
    _added.clear()
    front.reset()
    local_files.reset()
