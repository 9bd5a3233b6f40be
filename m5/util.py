"""gem5's m5.util: addToPath, fatal/panic (print and exit 1), warn/inform."""

from __future__ import annotations

import os
import sys
from typing import Any

from simobjs.errors import ConfigError


def _format(fmt: Any, args: tuple) -> str:
    text = str(fmt)
    if args:
        text = text % args
    return text.rstrip("\n")


def fatal(fmt: Any, *args: Any) -> None:
    """Print "fatal: ..." to stderr and exit with status 1 (gem5's fatal)."""
    print("fatal: " + _format(fmt, args), file=sys.stderr)
    sys.exit(1)


def panic(fmt: Any, *args: Any) -> None:
    print("panic: " + _format(fmt, args), file=sys.stderr)
    sys.exit(1)


def warn(fmt: Any, *args: Any) -> None:
    print("warn: " + _format(fmt, args), file=sys.stderr)


def inform(fmt: Any, *args: Any) -> None:
    print("info: " + _format(fmt, args), file=sys.stderr)


def addToPath(path: str) -> None:
    """Add `path` (relative to the running script's directory, sys.path[0]) to
    sys.path at index 1, as gem5 does."""
    if not os.path.isabs(path):
        path = os.path.join(sys.path[0] if sys.path and sys.path[0] else os.getcwd(), path)
    path = os.path.realpath(path)
    sys.path.insert(1, path)


def config_error_exit(err: ConfigError) -> None:
    """Report a ConfigError the way gem5 reports a fatal() and exit 1."""
    fatal("%s", str(err))


__all__ = ["addToPath", "fatal", "inform", "panic", "warn"]
