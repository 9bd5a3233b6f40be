"""A generated section of a documentation page, between a BEGIN and an END marker line:
rewrite it from a generator, or check that the page is up to date."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path


def render(page: str, path: Path, begin: str, end: str, generate: Callable[[], str]) -> str:
    head, sep, rest = page.partition(begin)
    if not sep:
        raise SystemExit(f"{path}: no '{begin}' marker")
    _, sep, tail = rest.partition(end)
    if not sep:
        raise SystemExit(f"{path}: no '{end}' marker")
    return head + generate() + tail


def main(
    argv: list[str], path: Path, begin: str, end: str, generate: Callable[[], str], script: str
) -> int:
    """`--check`: exit 1 if the page is out of date; otherwise rewrite the section."""
    page = path.read_text()
    new = render(page, path, begin, end, generate)
    if "--check" in argv:
        if new != page:
            print(f"{path} is out of date: run python {script}", file=sys.stderr)
            return 1
        return 0
    path.write_text(new)
    return 0
