"""config.ini and config.json, in gem5's layout (print_ini, get_config_as_dict)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from simobjs.config.dot import config_dot, write_svg
from simobjs.config.prepare import prepare
from simobjs.params.desc import SimObjectVector, config_value, ini_value
from simobjs.sim import files


def _type_name(obj: Any) -> str:
    return type(obj).type


def _cxx_class(obj: Any) -> str:
    cls = type(obj)
    return getattr(cls, "cxx_class", None) or f"gem5::{cls.type}"


def ini_section(obj: Any) -> list[str]:
    cls = type(obj)
    lines = [f"[{obj.path()}]", f"type={_type_name(obj)}"]
    children = obj.children_items()
    if children:
        names = [c.get_name() if isinstance(c, SimObjectVector) else c._name for _, c in children]
        lines.append("children=" + " ".join(names))
    for name in sorted(cls._params):
        value = obj._values.get(name)
        if value is not None:
            lines.append(f"{name}={ini_value(value)}")
    for name in sorted(cls._ports):
        ref = obj._port_refs.get(name)
        if ref is not None:
            lines.append(f"{name}={ref.ini_str()}")
    lines.append("")
    return lines


def config_ini(root: Any) -> str:
    lines: list[str] = []
    for obj in root.descendants():
        lines += ini_section(obj)
    return "\n".join(lines) + "\n"


def config_dict(obj: Any) -> dict:
    cls = type(obj)
    d: dict[str, Any] = {
        "type": _type_name(obj),
        "cxx_class": _cxx_class(obj),
        "name": None if obj._parent is None else obj._name,
        "path": obj.path(),
    }
    for name in sorted(cls._params):
        value = obj._values.get(name)
        if value is not None:
            d[name] = config_value(value)
    for name, child in obj.children_items():
        if isinstance(child, SimObjectVector):
            d[name] = [config_dict(c) for c in child]
        else:
            d[name] = config_dict(child)
    for name in sorted(cls._ports):
        ref = obj._port_refs.get(name)
        if ref is not None:
            d[name] = ref.get_config_as_dict()
    return d


def config_json(root: Any) -> str:
    return json.dumps(config_dict(root), indent=4)


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
