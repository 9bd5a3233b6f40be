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
