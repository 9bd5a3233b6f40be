"""Guest RAM creation: populated up to a bound (PREFAULT_LIMIT) against populated whole.

For each size, both ways run in a fresh process, one after the other: the time
to create the mapping, the host memory it holds right after (RssShmem), and
the time to touch one byte in every page of the whole range afterwards (what
a guest touching all of its RAM pays later, from the host side). Prints the
numbers and the ratios.

    python bench/guest_ram.py [--sizes 512MiB,2GiB]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, sys, time
from simobjs.mem import guest_ram
size, whole = int(sys.argv[1]), sys.argv[2] == "whole"
if whole:
    guest_ram.PREFAULT_LIMIT = size  # the previous behaviour: MAP_POPULATE of everything
def shmem():
    for line in open("/proc/self/status"):
        if line.startswith("RssShmem:"):
            return int(line.split()[1]) << 10
t = time.perf_counter()
ram = guest_ram.GuestRam(0, size, "bench")
create = time.perf_counter() - t
held = shmem()
t = time.perf_counter()
view = ram.view
for off in range(0, size, 4096):
    view[off] = 1
touch = time.perf_counter() - t
ram.close()
print(json.dumps({"create": create, "held": held, "touch": touch}))
"""


def _size(text: str) -> int:
    units = {"KiB": 10, "MiB": 20, "GiB": 30}
    for unit, shift in units.items():
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * (1 << shift))
    return int(text)


def _run(size: int, how: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(size), how], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="512MiB,2GiB")
    a = p.parse_args()
    print(f"{'size':>8} {'way':>7} {'create s':>9} {'held MiB':>9} {'touch-all s':>12}")
    for text in a.sizes.split(","):
        size = _size(text)
        r = {how: _run(size, how) for how in ("bounded", "whole")}
        for how, v in r.items():
            print(f"{text:>8} {how:>7} {v['create']:9.3f} {v['held'] >> 20:9d} {v['touch']:12.3f}")
        b, w = r["bounded"], r["whole"]
        print(
            f"{text:>8}   ratio: create {w['create'] / b['create']:.1f}x faster, "
            f"{w['held'] / max(b['held'], 1):.1f}x less memory held at start, "
            f"touching everything later {b['touch'] / w['touch']:.1f}x the whole-populate cost"
        )


if __name__ == "__main__":
    main()
