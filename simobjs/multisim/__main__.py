"""`simobjs -m simobjs.multisim SCRIPT`: run every simulation the script declares.

gem5 v24's `gem5 -m gem5.utils.multisim SCRIPT`, on Dask: a local cluster of
the script's `set_num_processes()` worker processes, or the cluster Dask's
configuration names. Outputs go to OUTDIR/<id>/ (OUTDIR: `simobjs -d`), the
table of results to OUTDIR/multisim.json and OUTDIR/multisim.csv.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None, prog: str = "simobjs [options] -m simobjs.multisim") -> int:
    from simobjs.multisim import front, sweep

    front.module_run = True  # this process never runs a simulation itself
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run the simulations a config script declares, in parallel, "
        "each in OUTDIR/<id>/; results in OUTDIR/multisim.json and multisim.csv.",
    )
    parser.add_argument("config", help="the config script that declares the simulations")
    parser.add_argument(
        "-n",
        "--num-processes",
        type=int,
        default=None,
        metavar="N",
        help="simulations at once on a local cluster [default: the script's "
        "set_num_processes(), else one per CPU]",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="run again the simulations an earlier run completed (default: skip them)",
    )
    parser.add_argument(
        "--stat",
        action="append",
        default=[],
        metavar="NAME",
        help="a stat for the results table (repeatable; shell patterns allowed)",
    )
    parser.add_argument(
        "--checkpoints", action="store_true", help="bring the checkpoint directories back too"
    )
    parser.add_argument(
        "--progress",
        choices=("auto", "on", "off"),
        default="auto",
        help="progress line on stderr [default: auto = only on a terminal]",
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.num_processes is not None and args.num_processes < 1:
        parser.error("--num-processes must be at least 1")
    return sweep.run_script(
        Path(args.config),
        processes=args.num_processes,
        force=args.force,
        stats=args.stat,
        checkpoints=args.checkpoints,
        progress=args.progress,
    )


if __name__ in ("__m5_main__", "__main__"):
    sys.exit(main())
