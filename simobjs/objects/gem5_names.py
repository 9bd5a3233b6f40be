"""gem5 v24's SimObject and enum class names, and the error for the ones simobjs
does not model.

`gem5_names.json` lists, for every SimObject module of gem5 v24.0.0.1 (the
`m5.objects.<module>` names), the classes it defines with their base classes,
enum values, and the ISA aliases (`AtomicSimpleCPU`, `DerivO3CPU`, ...). A
script naming one of them gets an error that says it is not modelled and what
simobjs offers in its place, instead of a NameError or a bare AttributeError.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from pathlib import Path
from typing import Any

from simobjs.errors import NotModelledError

_DATA = Path(__file__).with_name("gem5_names.json")
# ancestors too general to suggest their subclasses as replacements
_TOO_GENERAL = {"SimObject", "ClockedObject", "PioDevice", "BasicPioDevice", "Enum", "ScopedEnum"}


@cache
def data() -> dict[str, Any]:
    with open(_DATA) as f:
        return json.load(f)


def gem5_version() -> str:
    return data()["gem5"]


def classes() -> dict[str, dict[str, Any]]:
    """gem5 class name -> {"module", "kind" (SimObject/Enum/mixin), "bases", "vals"}."""
    return data()["classes"]


def aliases() -> dict[str, dict[str, Any]]:
    """gem5's ISA aliases -> {"module", "x86": the X86 class they name in an X86 build}."""
    return data()["aliases"]


def modules() -> list[str]:
    return data()["modules"]


def is_gem5_name(name: str) -> bool:
    return name in classes() or name in aliases()


def module_of(name: str) -> str | None:
    info = classes().get(name) or aliases().get(name)
    return info["module"] if info else None


@cache
def module_names(module: str) -> tuple[str, ...]:
    """The classes and aliases gem5 defines in `m5.objects.<module>`."""
    found = [n for n, i in classes().items() if i["module"] == module]
    found += [n for n, i in aliases().items() if i["module"] == module]
    return tuple(sorted(found))


def enums() -> dict[str, list[str]]:
    """gem5's enum types and their values."""
    return {n: i.get("vals", []) for n, i in classes().items() if i["kind"] == "Enum"}


def lineage(name: str) -> list[str]:
    """`name`, then its base classes up the first-base chain (aliases resolved to X86)."""
    chain: list[str] = []
    alias = aliases().get(name)
    if alias is not None:
        chain.append(name)
        name = alias["x86"] or ""
    while name and name not in chain:
        chain.append(name)
        bases = classes().get(name, {}).get("bases", [])
        name = bases[0] if bases else ""
    return chain


def alternatives(name: str, catalog: dict[str, type]) -> list[str]:
    """The modelled classes that can stand in for gem5's `name`: the concrete
    subclasses of its nearest ancestor that simobjs has."""
    for ancestor in lineage(name)[1:]:
        if ancestor in _TOO_GENERAL:
            return []
        base = catalog.get(ancestor)
        if base is None:
            continue
        found = {
            cls.__name__
            for cls in catalog.values()
            if isinstance(cls, type) and issubclass(cls, base) and not cls.abstract and cls._model
        }
        if found:
            return sorted(found)
    return []


def not_modelled(
    name: str, catalog: dict[str, type], where: str = "m5.objects"
) -> NotModelledError:
    """The error for `where.name`, a gem5 object simobjs lacks (or no object at all)."""
    if is_gem5_name(name):
        alts = alternatives(name, catalog)
        text = (
            f"{name} is a gem5 object not modelled by simobjs "
            f"(gem5 {gem5_version()}: m5.objects.{module_of(name)})."
        )
        if alts:
            text += f" Use instead: {', '.join(alts)}."
        else:
            text += " simobjs has nothing in its place; `simobjs --list-objects` lists what it has."
        return NotModelledError(name, text, alts)
    close = difflib.get_close_matches(name, list(dict.fromkeys([*catalog, *classes()])), n=3)
    text = (
        f"{where} has no object named '{name}' (neither gem5 {gem5_version()} nor simobjs has one)."
    )
    if close:
        text += f" Did you mean {', '.join(close)}?"
    return NotModelledError(name, text, [])
