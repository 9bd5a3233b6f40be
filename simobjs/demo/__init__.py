"""The default demo that `simobjs` runs when given no script."""

from __future__ import annotations

from pathlib import Path


def demo_script() -> str:
    """The path of the demo's gem5-style script (run like any other by the command)."""
    return str(Path(__file__).resolve().parent / "run_demo.py")
