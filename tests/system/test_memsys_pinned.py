"""Every statistic of deterministic runs on the timing and atomic CPUs with learning_gem5's
L1I/L1D/L2 and a DDR3 MemCtrl, pinned to the values recorded in
data/memsys_stats.json: a change to the compiled memory system or to the hooks that drive
it (a speedup, say) must leave them bit-identical.

The guests are compiled on the host, so the values hold for the guest binaries they were
recorded with (their sha256 is recorded too): with another compiler the test skips.
Record again, only for a deliberate change of the model, with
`python tests/system/test_memsys_pinned.py --record`.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pytest
from pcrun import guest, run

PINNED = Path(__file__).resolve().parent / "data" / "memsys_stats.json"
MEMSYS = {"caches": True, "dram": True}
RUNS = {
    "timing:hello": ("hello", "timing"),
    "timing:fpu": ("fpu", "timing"),
    "timing:switch": ("switch", "timing"),
    "timing:memwalk": ("memwalk", "timing"),
    "atomic:switch": ("switch", "reference"),
    "atomic:memwalk": ("memwalk", "reference"),
}


def sha256(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def host_independent(values: dict) -> dict:
    """Every stat but the host* ones, as JSON text (nan compares equal to nan)."""
    return {k: json.dumps(v) for k, v in values.items() if not k.split(".")[-1].startswith("host")}


def measure(key: str) -> dict:
    name, cpu = RUNS[key]
    r = run(name, cpu=cpu, **MEMSYS)
    return {"ticks": r.ticks, "stats": host_independent(r.stats)}


@pytest.mark.parametrize("key", list(RUNS))
def test_memsys_statistics_stay_as_recorded(key):
    pinned = json.loads(PINNED.read_text())
    name = RUNS[key][0]
    if sha256(guest(name)) != pinned["guests"][name]:
        pytest.skip(f"guest '{name}' was compiled differently here than when the stats were pinned")
    got, want = measure(key), pinned["runs"][key]
    assert got["ticks"] == want["ticks"]
    assert set(got["stats"]) == set(want["stats"])
    changed = {k: (want["stats"][k], v) for k, v in got["stats"].items() if want["stats"][k] != v}
    assert not changed, f"{len(changed)} stats changed, e.g. {sorted(changed.items())[:5]}"


def record() -> None:
    names = sorted({name for name, _cpu in RUNS.values()})
    data = {
        "guests": {n: sha256(guest(n)) for n in names},
        "runs": {key: measure(key) for key in RUNS},
    }
    PINNED.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] != ["--record"]:
        sys.exit(__doc__)
    record()
