"""gem5.utils.multisim: several simulations from one script (gem5 v24's API),
run by simobjs's multisim engine on Dask.

    import gem5.utils.multisim as multisim

    multisim.set_num_processes(2)
    for n in range(3):
        ...
        multisim.add_simulator(Simulator(board=board, id=f"run_{n}"))

`simobjs -m gem5.utils.multisim SCRIPT` runs them all (each in OUTDIR/<id>/,
results in OUTDIR/multisim.json and .csv); `simobjs SCRIPT ID` runs one;
`simobjs SCRIPT -l` lists the ids.
"""

from gem5.utils.multisim.multisim import (
    add_simulator,
    get_num_processes,
    get_simulator_ids,
    num_simulators,
    run,
    set_num_processes,
)

__all__ = [
    "add_simulator",
    "get_num_processes",
    "get_simulator_ids",
    "num_simulators",
    "run",
    "set_num_processes",
]
