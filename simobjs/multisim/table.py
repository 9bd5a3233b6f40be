"""The sweep's results in one table: OUTDIR/multisim.json and OUTDIR/multisim.csv.

One row per simulation: how it ran (id, status, error, exit cause and code,
worker, host, host seconds) and its main stats (simTicks, simInsts,
hostSeconds, then the stats the script or the command asked for), read from
the last dump of OUTDIR/<id>/stats.txt. Each simulation's own row is also kept
in OUTDIR/<id>/multisim.json: a row with status "done" there is what marks
the simulation complete for a later run (resume).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from simobjs.multisim import statsfile
from simobjs.multisim.job import Result

MAIN_STATS = ("simTicks", "simInsts", "hostSeconds")
RUN_COLUMNS = (
    "id",
    "status",
    "error",
    "exit_cause",
    "exit_code",
    "worker",
    "host",
    "host_seconds",
)
MARKER = "multisim.json"
TABLE_JSON = "multisim.json"
TABLE_CSV = "multisim.csv"
DONE = "done"


def run_info(result: Result) -> dict[str, Any]:
    """The run columns of a result."""
    return {name: getattr(result, name) for name in RUN_COLUMNS}


def not_run(id: str, why: str) -> dict[str, Any]:
    info = dict.fromkeys(RUN_COLUMNS, "")
    info.update(id=id, status="not run", error=why, exit_code=None, host_seconds=None)
    return info


def read_marker(sim_dir: Path) -> dict[str, Any] | None:
    """The row a finished simulation left in its directory, or None."""
    try:
        info = json.loads((sim_dir / MARKER).read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and "status" in info else None


def completed(sim_dir: Path) -> dict[str, Any] | None:
    """The marker's row if the simulation in `sim_dir` completed, else None."""
    info = read_marker(sim_dir)
    return info if info is not None and info.get("status") == DONE else None


def write_marker(sim_dir: Path, info: dict[str, Any]) -> None:
    (sim_dir / MARKER).write_text(json.dumps(info, indent=1) + "\n")


def rows(
    outdir: Path,
    infos: Iterable[dict[str, Any]],
    stats: Iterable[str] = (),
    stats_file: str = "stats.txt",
) -> tuple[list[dict[str, Any]], list[str]]:
    """The table's rows (run columns + stats) and its stat column names in order."""
    wanted = list(dict.fromkeys([*MAIN_STATS, *stats]))
    out: list[dict[str, Any]] = []
    stat_columns: dict[str, None] = dict.fromkeys(MAIN_STATS)
    for info in infos:
        path = outdir / info["id"] / stats_file
        values = statsfile.read(path) if path.is_file() else {}
        chosen = statsfile.select(values, wanted)
        stat_columns.update(dict.fromkeys(chosen))
        row = {name: info.get(name) for name in RUN_COLUMNS}
        row.update({k: statsfile.number(v) for k, v in chosen.items()})
        out.append(row)
    return out, list(stat_columns)


def write(outdir: Path, table: list[dict[str, Any]], stat_columns: list[str], **meta: Any) -> None:
    """Write OUTDIR/multisim.json (meta + columns + rows) and OUTDIR/multisim.csv."""
    columns = [*RUN_COLUMNS, *stat_columns]
    doc = {**meta, "columns": columns, "simulations": table}
    (outdir / TABLE_JSON).write_text(json.dumps(doc, indent=1) + "\n")
    with open(outdir / TABLE_CSV, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for row in table:
            writer.writerow([_csv(row.get(c)) for c in columns])


def _csv(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return str(value)


def read(outdir: Path) -> dict[str, Any]:
    """OUTDIR/multisim.json as written by `write`."""
    return json.loads((outdir / TABLE_JSON).read_text())
