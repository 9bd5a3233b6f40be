"""docs/gem5-mapping.md's standard-library table is generated from the code: it must be current."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_standard_library_table_matches_the_code():
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gem5_stdlib_mapping.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr + " (run: python tools/gem5_stdlib_mapping.py)"
