"""Configuration outputs and inputs: prepare, config.ini/json/dot, YAML, schema."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from simobjs.config.dot import config_dot, write_svg
from simobjs.config.output import config_dict, config_ini, config_json
from simobjs.config.prepare import prepare, release
from simobjs.sim import files


def write_all(root: Any, outdir: str | os.PathLike) -> list[Path]:
    """Write config.ini, config.json, config.dot (and config.svg when Graphviz
    is installed) into `outdir`; returns the files written."""
    prepare(root)
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (
        ("config.ini", config_ini(root)),
        ("config.json", config_json(root)),
        ("config.dot", config_dot(root)),
    ):
        path = out / name
        files.write_file(path, text)  # never through a link planted in the outdir
        written.append(path)
    svg = write_svg(out / "config.dot")
    if svg is not None:
        written.append(svg)
    return written


__all__ = [
    "config_dict",
    "config_ini",
    "config_json",
    "config_dot",
    "prepare",
    "release",
    "write_all",
]
