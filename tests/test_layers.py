"""The import direction of the layers (docs/internals.md): imports go down only.

Every runtime import (module level or inside a function; `if TYPE_CHECKING:`
blocks excluded) of every module is checked against the layer table below.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parent.parent
MODELS = ("simobjs.mem", "simobjs.dev", "simobjs.arch", "simobjs.cpu", "simobjs.se")
KERNEL = ("simobjs.errors", "simobjs.base", "simobjs.sim")

# package -> the simobjs/kvm/m5 packages it may import (besides itself)
ALLOWED: dict[str, tuple[str, ...]] = {
    "kvm": (),
    "simobjs.errors": (),
    "simobjs.base": ("simobjs.errors",),
    "simobjs.params": ("simobjs.errors", "simobjs.base"),
    "simobjs.objects": ("simobjs.errors", "simobjs.base", "simobjs.params"),
    "simobjs.sim": KERNEL,
    **{m: (*KERNEL, *MODELS, "kvm") for m in MODELS},
    "simobjs.guest": (*KERNEL, *MODELS, "kvm"),
    "simobjs.tools": (*KERNEL, *MODELS, "simobjs.guest", "kvm"),
    "simobjs.options": (),
    "simobjs.config": (*KERNEL, "simobjs.params", "simobjs.objects", "simobjs.options"),
    # the command's level: a sweep runs scripts through the command in other processes
    "simobjs.multisim": (
        "simobjs.errors",
        "simobjs.cli",
        "simobjs.options",
        "simobjs.progress",
        "simobjs.sim",
        "m5",
    ),
}
# the standard library sits beside m5 at the top: it may import m5 and every simobjs layer
ALLOWED["gem5"] = (
    "m5",
    *(p for p in ALLOWED if p != "kvm"),
    "simobjs.cli",
    "simobjs.demo",
    "simobjs.progress",
)


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[0] if parts[0] in ("kvm", "m5", "gem5") else ".".join(parts[:2])


def _runtime_imports(tree: ast.AST) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.append((node.lineno, node.module))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return out


def _modules() -> list[tuple[str, Path]]:
    found = []
    for root in ("simobjs", "kvm", "gem5"):
        for path in sorted((TOP / root).rglob("*.py")):
            module = ".".join(path.relative_to(TOP).with_suffix("").parts)
            found.append((module.removesuffix(".__init__"), path))
    return found


def test_every_package_has_a_layer():
    unknown = {
        _package(m)
        for m, _ in _modules()
        if _package(m) not in ALLOWED and _package(m) != "simobjs"
    }
    top = {"simobjs.cli", "simobjs.demo", "simobjs.progress", "simobjs.failure"}  # the command
    assert unknown <= top, f"packages missing from the layer table: {sorted(unknown - top)}"


@pytest.mark.parametrize("module,path", _modules(), ids=lambda v: str(v))
def test_imports_go_down(module, path):
    own = _package(module)
    allowed = ALLOWED.get(own)
    if allowed is None:
        return  # the command's top level and the package root may import anything
    bad = []
    for line, target in _runtime_imports(ast.parse(path.read_text())):
        if not target.startswith(("simobjs", "kvm", "m5", "gem5")) or target == "simobjs":
            continue
        pkg = _package(target)
        if pkg != own and pkg not in allowed:
            bad.append(f"{path.relative_to(TOP)}:{line} imports {target}")
    assert not bad, f"{own} may import only {allowed}:\n" + "\n".join(bad)
