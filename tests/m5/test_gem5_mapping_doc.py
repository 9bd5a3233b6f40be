"""docs/gem5-mapping.md's m5 table is generated from the code: it must be current."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_m5_table_matches_the_code():
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gem5_mapping.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr + " (run: python tools/gem5_mapping.py)"
