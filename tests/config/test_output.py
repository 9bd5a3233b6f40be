"""config.dot / config.svg output."""

import os
import stat

from config_helpers import load_config

from simobjs.config import config_dot, write_all
from simobjs.config.dot import port_graph


def test_port_graph_and_dot():
    root = load_config("config_kvm_system").build(2, "g.elf")
    g = port_graph(root)
    assert g.has_edge("system.cpu0", "system.membus")
    assert g.has_edge("system.membus", "system.mem_ctrl")
    dot = config_dot(root)
    assert 'subgraph "cluster_system"' in dot
    assert dot.count("[dir=none") == g.number_of_edges() == 7


def test_svg_written_when_graphviz_present(tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "dot"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho "<svg/>"\n')  # dot -Tsvg writes to stdout
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    root = load_config("config_kvm_system").build(1, "g.elf")
    files = {f.name for f in write_all(root, tmp_path / "out")}
    assert "config.svg" in files
    assert (tmp_path / "out" / "config.svg").read_text().strip() == "<svg/>"


def test_no_svg_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    root = load_config("config_kvm_system").build(1, "g.elf")
    files = {f.name for f in write_all(root, tmp_path / "out")}
    assert files == {"config.ini", "config.json", "config.dot"}
