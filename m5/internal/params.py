"""gem5's m5.internal.params: `enum_<Name>` for every enum param type.

In gem5 these are the C++ enums' bindings; configs/common/ObjectList.py lists
`enum_AddrMap.__members__` (skipping the `Num_AddrMap` count). Here each is an
IntEnum built from simobjs's own Enum declaration, or, for the gem5 enums
simobjs does not declare, from gem5 v24's values.
"""

from __future__ import annotations

import enum as _enum
from functools import cache as _cache

from simobjs.objects import gem5_names as _gem5
from simobjs.params.values import Enum as _Enum


def _declared() -> dict[str, dict[str, int]]:
    """simobjs's Enum param types: name -> {value name: number}."""
    found: dict[str, dict[str, int]] = {}
    todo = list(_Enum.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.map:
            found.setdefault(cls.__name__, dict(cls.map))
    return found


def _values(name: str) -> dict[str, int] | None:
    declared = _declared()
    if name in declared:
        return declared[name]
    vals = _gem5.enums().get(name)
    return {v: i for i, v in enumerate(vals)} if vals else None


@_cache
def _make(name: str, members: tuple[tuple[str, int], ...]) -> type[_enum.IntEnum]:
    return _enum.IntEnum(f"enum_{name}", [*members, (f"Num_{name}", len(members))])


def __getattr__(attr: str):
    if attr.startswith("enum_"):
        name = attr[len("enum_") :]
        values = _values(name)
        if values is not None:
            return _make(name, tuple(sorted(values.items(), key=lambda kv: kv[1])))
    raise AttributeError(f"module 'm5.internal.params' has no attribute '{attr}'")


def __dir__() -> list[str]:
    names = set(_declared()) | set(_gem5.enums())
    return sorted(f"enum_{n}" for n in names)
