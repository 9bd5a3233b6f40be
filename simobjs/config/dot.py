"""config.dot (objects as nested clusters, port connections as edges) and,
when Graphviz's `dot` is on PATH, config.svg."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import networkx as nx

from simobjs.params.ports import PortRef
from simobjs.sim import files


def port_graph(root: Any) -> nx.MultiGraph:
    """Undirected multigraph: one node per object path, one edge per port link."""
    g = nx.MultiGraph()
    for obj in root.descendants():
        g.add_node(obj.path(), type=type(obj).type)
    for obj in root.descendants():
        for name in sorted(obj._port_refs):
            for el in obj._port_refs[name].elements():
                peer = el.peer
                if isinstance(peer, PortRef) and el.is_source:
                    g.add_edge(obj.path(), peer.simobj.path(), label=f"{el} -> {peer}")
    return g


def _q(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


def config_dot(root: Any) -> str:
    out = ["digraph G {", "  rankdir=TB;", "  node [shape=box, style=rounded];"]

    def emit(obj: Any, indent: str) -> None:
        kids = [c for _, c in obj.children_items()]
        flat = [m for k in kids for m in (k if isinstance(k, list) else [k])]
        label = f"{obj._name or 'root'}\\n: {type(obj).__name__}"
        if flat:
            out.append(f"{indent}subgraph {_q('cluster_' + obj.path())} {{")
            out.append(f"{indent}  label={_q(label)};")
            out.append(f"{indent}  {_q(obj.path())} [label={_q(label)}];")
            for m in flat:
                emit(m, indent + "  ")
            out.append(f"{indent}}}")
        else:
            out.append(f"{indent}{_q(obj.path())} [label={_q(label)}];")

    emit(root, "  ")
    for a, b, data in port_graph(root).edges(data=True):
        tip = _q(data["label"].replace(" -> ", " to "))
        out.append(f"  {_q(a)} -> {_q(b)} [dir=none, tooltip={tip}];")
    out.append("}")
    return "\n".join(out) + "\n"


def write_svg(dot_path: Path) -> Path | None:
    """Render config.svg next to config.dot; None when Graphviz is absent or fails."""
    exe = shutil.which("dot")
    if exe is None:
        return None
    svg = dot_path.with_suffix(".svg")
    try:
        done = subprocess.run(
            [exe, "-Tsvg", str(dot_path)], check=True, capture_output=True, timeout=60
        )
    except (subprocess.SubprocessError, OSError):
        return None
    files.write_file(svg, done.stdout)  # (not `dot -o`: that would follow a planted link)
    return svg
