"""Many simulations from one script, run in parallel on Dask (gem5 v24's multisim).

    import simobjs.multisim as multisim

    multisim.set_num_processes(2)
    for size in ("64MiB", "128MiB"):
        multisim.add_simulation(f"mem-{size}", build, guest=multisim.ship(ELF), size=size)

`simobjs -d sweep -m simobjs.multisim script.py` runs them all (each in
sweep/<id>/, results in sweep/multisim.json and .csv); `simobjs script.py -l`
lists the ids; `simobjs script.py ID` runs one. See docs/guide.md.

Importing this package is light: Dask is imported only to run a sweep.
"""

from simobjs.multisim.front import (
    add,
    add_simulation,
    collect_checkpoints,
    get_simulation_ids,
    num_simulations,
    report_stats,
    run,
    set_num_processes,
    ship,
)
from simobjs.multisim.job import Job, MultisimError, Result

__all__ = [
    "Job",
    "MultisimError",
    "Result",
    "add",
    "add_simulation",
    "collect_checkpoints",
    "get_simulation_ids",
    "num_simulations",
    "report_stats",
    "run",
    "set_num_processes",
    "ship",
]
