"""`simobjs stats compare OUTDIR [stat ...]`: chosen stats across a sweep's simulations.

Prints a table (one row per simulation, one column per stat) and writes a PNG
with one bar chart per stat. The simulations are the rows of
OUTDIR/multisim.json (in its order) or, without it, every OUTDIR/<id>/ that
holds a stats file. Stats are full names, `name::sub` elements, or shell
patterns; the default is the table's stat columns (simTicks, simInsts,
hostSeconds and what the sweep asked for).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from simobjs.multisim import statsfile, table

PLOT_NAME = "multisim-compare.png"
MAX_PLOTS = 12


def simulations(outdir: Path, stats_file: str) -> tuple[list[tuple[str, str]], list[str]]:
    """[(id, status)] and the table's stat columns (or the main stats)."""
    if (outdir / table.TABLE_JSON).is_file():
        doc = table.read(outdir)
        sims = [(row["id"], row["status"]) for row in doc["simulations"]]
        columns = [c for c in doc["columns"] if c not in table.RUN_COLUMNS]
        return sims, columns or list(table.MAIN_STATS)
    sims = [
        (d.name, "") for d in sorted(outdir.iterdir()) if d.is_dir() and (d / stats_file).is_file()
    ]
    return sims, list(table.MAIN_STATS)


def gather(
    outdir: Path, sims: list[tuple[str, str]], patterns: list[str], stats_file: str, dump: int
) -> tuple[list[str], dict[str, dict[str, float]]]:
    """The stat names (patterns expanded, in order) and each simulation's values."""
    values: dict[str, dict[str, float]] = {}
    names: dict[str, None] = {}
    for id, _ in sims:
        path = outdir / id / stats_file
        if not path.is_file():
            continue
        try:
            chosen = statsfile.select(statsfile.read(path, dump), patterns)
        except IndexError:
            chosen = {}  # fewer dumps than asked for
        values[id] = chosen
        names.update(dict.fromkeys(chosen))
    return list(names), values


def fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if math.isnan(value):
        return "nan"
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def format_table(
    sims: list[tuple[str, str]], names: list[str], values: dict[str, dict[str, float]]
) -> str:
    header = ["id", "status", *names]
    body = [
        [id, status or "-", *(fmt(values.get(id, {}).get(n)) for n in names)] for id, status in sims
    ]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        left = [c.ljust(w) for c, w in zip(cells[:2], widths[:2], strict=True)]
        right = [c.rjust(w) for c, w in zip(cells[2:], widths[2:], strict=True)]
        return "  ".join(left + right).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(r) for r in body)])


def plot(
    path: Path,
    sims: list[tuple[str, str]],
    names: list[str],
    values: dict[str, dict[str, float]],
    title: str,
    log: bool = False,
) -> None:
    """One horizontal bar chart per stat, simulations on the vertical axis; a
    simulation without the value says why ("n/a", or its status)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = names[:MAX_PLOTS]
    ids = [id for id, _ in sims]
    status = dict(sims)
    cols = min(len(names), 3)
    rows = math.ceil(len(names) / cols)
    height = max(2.2, 0.32 * len(ids) + 1.2)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, height * rows), squeeze=False)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    for ax, name in zip(axes.flat, names, strict=False):
        data = [values.get(id, {}).get(name, math.nan) for id in ids]
        bars = [0.0 if math.isnan(v) or (log and v <= 0) else v for v in data]
        ys = range(len(ids))
        ax.barh(ys, bars, color="tab:blue")
        ax.set_yticks(list(ys), ids, fontsize=9)
        ax.invert_yaxis()  # first simulation on top, as in the table
        ax.set_title(name, fontsize=10)
        ax.grid(axis="x", alpha=0.3)
        top = max(bars) if bars else 0
        positive = [b for b in bars if b > 0]
        if log and positive:
            ax.set_xscale("log")
            ax.set_xlim(min(positive) / 2, top * 4)
        else:
            ax.ticklabel_format(axis="x", style="sci", scilimits=(-3, 4))
            ax.set_xlim(0, (top or 1) * 1.25)
        left = ax.get_xlim()[0]
        for id, y, v, b in zip(ids, ys, data, bars, strict=True):
            missing = math.isnan(v)
            label = (status.get(id) or "n/a") if missing and status.get(id) != "done" else fmt(v)
            label = "n/a" if missing and label == "nan" else label
            color = "tab:red" if missing and status.get(id) not in ("done", "") else "black"
            ax.text(b if b > 0 else left, y, f" {label}", va="center", fontsize=8, color=color)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "compare":
        print("usage: simobjs stats compare OUTDIR [stat ...]  (-h for help)", file=sys.stderr)
        return 2
    c = argparse.ArgumentParser(
        prog="simobjs stats compare",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    c.add_argument("outdir", help="a sweep's output directory (simobjs -d OUTDIR -m ...)")
    c.add_argument("stats", nargs="*", help="stat names or shell patterns")
    c.add_argument("-o", "--output", help=f"the PNG to write [default: OUTDIR/{PLOT_NAME}]")
    c.add_argument("--no-plot", action="store_true", help="print the table only")
    c.add_argument(
        "--dump", type=int, default=-1, help="which dump of stats.txt (0 = first) [default: last]"
    )
    c.add_argument("--log", action="store_true", help="logarithmic value axes in the plot")
    c.add_argument("--stats-file", default="stats.txt", help="[default: stats.txt]")
    args = c.parse_intermixed_args(argv[1:])

    outdir = Path(args.outdir)
    if not outdir.is_dir():
        print(f"fatal: {outdir}: no such directory", file=sys.stderr)
        return 1
    sims, default = simulations(outdir, args.stats_file)
    if not sims:
        print(
            f"fatal: {outdir}: no simulations (no {table.TABLE_JSON}, no */{args.stats_file})",
            file=sys.stderr,
        )
        return 1
    names, values = gather(outdir, sims, args.stats or default, args.stats_file, args.dump)
    if not names:
        print(f"fatal: no stat matches {' '.join(args.stats)}", file=sys.stderr)
        return 1
    print(format_table(sims, names, values))
    if not args.no_plot:
        out = Path(args.output) if args.output else outdir / PLOT_NAME
        if len(names) > MAX_PLOTS:
            print(f"warn: plotting the first {MAX_PLOTS} of {len(names)} stats", file=sys.stderr)
        title = f"{outdir} ({'last dump' if args.dump == -1 else f'dump {args.dump}'})"
        plot(out, sims, names, values, title=title, log=args.log)
        print(f"compare: wrote {out}")
    return 0
