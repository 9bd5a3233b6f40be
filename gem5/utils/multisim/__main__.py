"""`simobjs -m gem5.utils.multisim SCRIPT`: run every simulator the script adds
(gem5's `gem5 -m gem5.utils.multisim SCRIPT`), each in OUTDIR/<id>/; the
results table in OUTDIR/multisim.json and .csv. The options are those of
`simobjs -m simobjs.multisim` (-n, --force, --stat, --checkpoints, --progress)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from simobjs.multisim.__main__ import main as run_sweep

    return run_sweep(argv, prog="simobjs [options] -m gem5.utils.multisim")


if __name__ in ("__m5_main__", "__main__"):
    sys.exit(main())
