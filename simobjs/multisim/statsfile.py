"""Read a gem5/simobjs stats.txt: one dict of values per dump.

A dump is the text between "Begin Simulation Statistics" and "End Simulation
Statistics"; each line inside is `name value [pdf cdf] # description (unit)`.
Vector elements and distribution fields keep gem5's `name::sub` names. Values
are floats (`nan` where a stat could not be computed); the description is not
kept.
"""

from __future__ import annotations

import fnmatch
import math
from pathlib import Path

BEGIN = "Begin Simulation Statistics"
END = "End Simulation Statistics"


def parse(text: str) -> list[dict[str, float]]:
    """Every dump of a stats.txt text, in file order."""
    dumps: list[dict[str, float]] = []
    current: dict[str, float] | None = None
    for line in text.splitlines():
        if BEGIN in line:
            current = {}
            continue
        if END in line:
            if current is not None:
                dumps.append(current)
            current = None
            continue
        if current is None:
            continue
        fields = line.split("#", 1)[0].split()
        if len(fields) < 2:
            continue
        try:
            current[fields[0]] = float(fields[1])
        except ValueError:
            continue  # not a value line (gem5 prints none, but be lenient)
    if current:  # a dump cut short (the run was killed while writing): keep what is there
        dumps.append(current)
    return dumps


def read(path: str | Path, dump: int = -1) -> dict[str, float]:
    """Dump number `dump` (default the last) of the stats file at `path`; {} if it has none."""
    dumps = parse(Path(path).read_text(errors="replace"))
    if not dumps:
        return {}
    return dumps[dump]


def select(values: dict[str, float], patterns: list[str]) -> dict[str, float]:
    """The stats that `patterns` name, in pattern order: an exact name, or a shell-style
    pattern (`system.cpu*.numCycles`) matching any number of names. A name that is
    not in the dump is nan."""
    out: dict[str, float] = {}
    for pattern in patterns:
        if any(c in pattern for c in "*?["):
            for name in values:
                if fnmatch.fnmatchcase(name, pattern):
                    out[name] = values[name]
        else:
            out[pattern] = values.get(pattern, math.nan)
    return out


def number(value: float) -> int | float | str | None:
    """A value for JSON (as stats.json writes them): whole numbers as int, nan as
    null, infinities as the strings "inf"/"-inf"."""
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return int(value) if value == int(value) and abs(value) < 2**63 else value
