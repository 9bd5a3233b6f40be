"""gem5.resources.md5_utils: gem5's md5 of a file, and of a directory (names and
contents, walked in case-insensitive name order)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any


def _update_from_file(path: Path, digest: Any) -> Any:
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest


def _update_from_dir(directory: Path, digest: Any) -> Any:
    for path in sorted(directory.iterdir(), key=lambda p: str(p).lower()):
        digest.update(path.name.encode())
        if path.is_file():
            _update_from_file(path, digest)
        elif path.is_dir():
            _update_from_dir(path, digest)
    return digest


def md5_file(filename: Path) -> str:
    return _update_from_file(Path(filename), hashlib.md5()).hexdigest()


def md5_dir(directory: Path) -> str:
    return _update_from_dir(Path(directory), hashlib.md5()).hexdigest()


def md5(path: Path) -> str:
    path = Path(path)
    if path.is_file():
        return md5_file(path)
    if path.is_dir():
        return md5_dir(path)
    raise Exception(f"Path '{path}' is not a valid file or directory.")
