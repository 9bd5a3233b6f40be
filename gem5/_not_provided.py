"""Why a module of gem5 v24's standard library is not in simobjs's `gem5`:
importing one raises ModuleNotFoundError with the reason, not only "No module
named ...". tools/gem5_stdlib_mapping.py prints the same reasons."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys

# module prefix -> why it is not there (first match wins)
MISSING: list[tuple[str, str]] = [
    ("gem5.components.boards.experimental", "full-system boards are not modelled"),
    (
        "gem5.components.boards.kernel_disk_workload",
        "full-system Linux (kernel + disk image) is not modelled",
    ),
    ("gem5.components.boards.test_board", "traffic generators are not modelled"),
    ("gem5.components.boards", "full-system boards (x86, ARM, RISC-V) are not modelled"),
    ("gem5.components.processors", "traffic generators are not modelled"),
    ("gem5.components.cachehierarchies.ruby", "Ruby is not modelled"),
    ("gem5.components.cachehierarchies.chi", "Ruby (CHI) is not modelled"),
    ("gem5.components.cachehierarchies", "a three-level hierarchy exists only with Ruby"),
    ("gem5.components.memory", "this DRAM interface or memory simulator is not declared"),
    ("gem5.prebuilt", "prebuilt full-system boards are not modelled"),
    ("gem5.resources.client_api.atlasclient", "the web database is never contacted"),
    ("gem5.resources", "LoopPoint and ELFie are not supported"),
    ("gem5.utils.multiprocessing", "gem5 processes spawning gem5 processes: use multisim"),
    ("gem5.utils.simpoint", "SimPoint probes are not modelled"),
    ("gem5.utils", "download helpers (progress bars, file locks, SOCKS): nothing is downloaded"),
    ("gem5", "simobjs provides a subset of gem5 v24's standard library (docs/gem5-mapping.md)"),
]


def why(module: str) -> str:
    return next(reason for prefix, reason in MISSING if module.startswith(prefix))


class _Finder(importlib.abc.MetaPathFinder):
    """Last on sys.meta_path: a `gem5.*` module no other finder found."""

    def find_spec(self, fullname: str, path, target=None):  # noqa: ANN001
        if not fullname.startswith("gem5."):
            return None
        parent = fullname.rpartition(".")[0]
        if parent in sys.modules and getattr(sys.modules[parent], "__path__", None) is None:
            return None
        raise ModuleNotFoundError(
            f"No module named '{fullname}': this module of gem5's standard library is not "
            f"provided by simobjs: {why(fullname)}",
            name=fullname,
        )


def install() -> None:
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())


__all__ = ["MISSING", "install", "why"]
_ = importlib.machinery  # the machinery finders run before this one
