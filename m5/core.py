"""gem5's m5.core: the output directory."""

from __future__ import annotations

import os

# gem5's m5.options: the command line's values (scripts read m5.options.outdir)
from simobjs.options import options


def setOutputDir(path: str) -> None:
    options.outdir = path


def getOutputDir() -> str:
    return options.outdir


def seedRandom(seed: int) -> None:
    import random

    random.seed(seed)


def outputPath(name: str) -> str:
    return os.path.join(options.outdir, name)


def setInterpDir(path: str) -> None:
    """gem5's: where a dynamically linked SE program's interpreter is found. simobjs
    runs static programs only (static or static-pie), so this is refused."""
    from simobjs.errors import UnsupportedError

    raise UnsupportedError(
        f"m5.core.setInterpDir({path!r}): dynamically linked SE programs are not "
        "supported by simobjs (no interpreter is loaded): link the program with -static "
        "(or -static-pie), and drop --interp-dir"
    )
