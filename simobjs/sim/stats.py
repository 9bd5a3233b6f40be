"""Statistics: Scalar, Vector, Formula, and gem5's stats.txt text format.

A stat belongs to an owner (a model, or a `StatGroup`); its full name is the
owner's stat path + "." + its name. Dotted names make sub-groups
(`commitStats0.numInsts`). Output follows src/base/stats/text.cc: a group's
own stats in registration order, then its sub-groups sorted by name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

# -- units (gem5's statistics::units, as printed) ------------------------------
Count = "Count"
Cycle = "Cycle"
Tick = "Tick"
Second = "Second"
Byte = "Byte"
Ratio = "Ratio"
Unspecified = "Unspecified"


def Rate(numerator: str, denominator: str) -> str:
    """A rate unit, printed by gem5 as `(A/B)`."""
    return f"({numerator}/{denominator})"


NAN = float("nan")


class Stat:
    """Common part: name, description, unit, precision, prerequisite, availability.

    `nozero` and `nonan` are gem5's print flags: vector elements (and the total)
    that are zero, or not a number, are left out of the text output.
    """

    __slots__ = (
        "owner",
        "name",
        "desc",
        "unit",
        "_precision",
        "prereq",
        "available",
        "reason",
        "nozero",
        "nonan",
    )

    def __init__(
        self,
        owner: Any,
        name: str,
        desc: str = "",
        unit: str = Unspecified,
        precision: int = -1,
        prereq: Stat | None = None,
        available: bool = True,
        reason: str = "",
        nozero: bool = False,
        nonan: bool = False,
    ):
        self.owner = owner
        self.name = name
        self.desc = desc
        self.unit = unit
        self._precision = precision
        self.prereq = prereq
        self.available = available
        self.reason = reason
        self.nozero = nozero
        self.nonan = nonan
        if owner is not None:
            register(owner, self)

    def precision(self, digits: int) -> Stat:
        self._precision = digits
        return self

    def description(self) -> str:
        if self.available:
            return self.desc
        why = self.reason or "not available on this host"
        return f"{self.desc} (unavailable: {why})" if self.desc else f"unavailable: {why}"

    def fullName(self) -> str:
        return f"{stat_path(self.owner)}.{self.name}" if self.owner is not None else self.name

    def zero(self) -> bool:
        values = self.values()
        return all(v == 0 for v in values)

    def values(self) -> list[float]:
        raise NotImplementedError

    def reset(self) -> None:
        pass


class Scalar(Stat):
    """A counter: `stat.add(n)` (or `stat += n`), `stat.value()`, `stat.reset()`."""

    __slots__ = ("_value",)

    def __init__(self, owner: Any, name: str, desc: str = "", unit: str = Unspecified, **kw: Any):
        super().__init__(owner, name, desc, unit, **kw)
        self._value: int | float = 0

    def __iadd__(self, n: int | float) -> Scalar:
        self._value += n
        return self

    def __isub__(self, n: int | float) -> Scalar:
        self._value -= n
        return self

    def set(self, v: int | float) -> None:
        self._value = v

    def add(self, n: int | float = 1) -> None:
        """Count `n` more: the hot-path form (one call; `+=` also stores the stat back)."""
        self._value += n

    def value(self) -> float:
        return self._value if self.available else NAN

    def values(self) -> list[float]:
        return [self.value()]

    def reset(self) -> None:
        self._value = 0

    # arithmetic builds formulas (gem5: `ipc = insts / cycles`)
    def __truediv__(self, other: Any) -> Callable[[], float]:
        return lambda: divide(self.value(), _val(other))

    def __mul__(self, other: Any) -> Callable[[], float]:
        return lambda: self.value() * _val(other)

    def __add__(self, other: Any) -> Callable[[], float]:
        return lambda: self.value() + _val(other)

    def __sub__(self, other: Any) -> Callable[[], float]:
        return lambda: self.value() - _val(other)


def scalars(owner: Any, table: Iterable[tuple[str, str, str]], **kw: Any) -> None:
    """Declare one Scalar per (attribute, stat name, description) row, stored on `owner`
    under the attribute (stats declared as data); `kw` applies to every row."""
    for attr, name, desc in table:
        setattr(owner, attr, Scalar(owner, name, desc, **kw))


class Value(Stat):
    """A scalar read from a function at dump time (gem5's Value with a functor); not reset."""

    __slots__ = ("fn",)

    def __init__(
        self,
        owner: Any,
        name: str,
        desc: str,
        fn: Callable[[], float],
        unit: str = Unspecified,
        **kw,
    ):
        super().__init__(owner, name, desc, unit, **kw)
        self.fn = fn

    def value(self) -> float:
        if not self.available:
            return NAN
        return float(self.fn())

    def values(self) -> list[float]:
        return [self.value()]

    def __truediv__(self, other: Any) -> Callable[[], float]:
        return lambda: divide(self.value(), _val(other))


class Vector(Stat):
    """A fixed-size vector of counters: `v[i] += 1`. Elements print as `name::i` (or subname)."""

    __slots__ = ("_data", "subnames", "show_total")

    def __init__(
        self,
        owner: Any,
        name: str,
        desc: str,
        size: int,
        subnames: Iterable[str] | None = None,
        unit: str = Unspecified,
        total: bool = False,
        **kw: Any,
    ):
        super().__init__(owner, name, desc, unit, **kw)
        self._data: list[int | float] = [0] * size
        self.subnames = list(subnames) if subnames is not None else []
        self.show_total = total

    def __getitem__(self, i: int) -> int | float:
        return self._data[i]

    def __setitem__(self, i: int, v: int | float) -> None:
        self._data[i] = v

    def __len__(self) -> int:
        return len(self._data)

    def size(self) -> int:
        return len(self._data)

    def values(self) -> list[float]:
        return list(self._data) if self.available else [NAN] * len(self._data)

    def value(self) -> float:
        return float(sum(self.values()))

    def total(self) -> float:
        return float(sum(self.values()))

    def reset(self) -> None:
        self._data = [0] * len(self._data)


class Formula(Stat):
    """A value computed at dump time: `fn()` returns a number or a list (a vector formula).

    `total` prints a `::total` line for a vector formula: True for the sum of the
    elements, or a function for a formula of totals (gem5 computes a ratio's total
    as the ratio of the totals, not the sum of the ratios).
    """

    __slots__ = ("fn", "subnames", "show_total", "total_fn")

    def __init__(
        self,
        owner: Any,
        name: str,
        desc: str,
        fn: Callable[[], Any],
        unit: str = Unspecified,
        subnames: Iterable[str] | None = None,
        total: bool | Callable[[], float] = False,
        **kw: Any,
    ):
        super().__init__(owner, name, desc, unit, **kw)
        self.fn = fn
        self.subnames = list(subnames) if subnames is not None else []
        self.show_total = bool(total)
        self.total_fn = total if callable(total) else None

    def values(self) -> list[float]:
        if not self.available:
            return [NAN]
        try:
            v = self.fn()
        except (ArithmeticError, ValueError, TypeError):
            return [NAN]
        if isinstance(v, list | tuple):
            return [float(x) for x in v]
        return [float(v)]

    def value(self) -> float:
        vals = self.values()
        return vals[0] if len(vals) == 1 else float(sum(vals))

    def total(self) -> float:
        if self.total_fn is not None:
            try:
                return float(self.total_fn())
            except (ArithmeticError, ValueError, TypeError):
                return NAN
        return float(sum(self.values()))

    def __truediv__(self, other: Any) -> Callable[[], float]:
        return lambda: divide(self.value(), _val(other))


def _val(x: Any) -> float:
    if isinstance(x, Stat):
        return x.value()
    if callable(x):
        return float(x())
    return float(x)


def divide(a: float, b: float) -> float:
    """Division as C++ doubles do it: x/0 is inf (or nan for 0/0), never an exception."""
    if b == 0:
        if a == 0 or math.isnan(a):
            return NAN
        return math.copysign(math.inf, a)
    return a / b


# -- registration ------------------------------------------------------------------
class StatGroup:
    """A stat owner that is not a model (e.g. the root's global stats)."""

    def __init__(self, path: str = ""):
        self._stat_path = path

    def statPath(self) -> str:
        return self._stat_path


def register(owner: Any, stat: Stat) -> None:
    lst = owner.__dict__.get("_stats")
    if lst is None:
        lst = []
        owner.__dict__["_stats"] = lst
    for other in lst:
        if other.name == stat.name:
            raise ValueError(f"stat '{stat.name}' registered twice on {stat_path(owner)}")
    lst.append(stat)


def stats_of(owner: Any) -> list[Stat]:
    return owner.__dict__.get("_stats", [])


def stat_path(owner: Any) -> str:
    fn = getattr(owner, "statPath", None)
    if fn is not None:
        return fn()
    return owner.name()


# -- text output ---------------------------------------------------------------------
def value_to_string(value: float, precision: int) -> str:
    """gem5's ValueToString: fixed notation; whole values with 0 decimals unless a precision is set."""
    if math.isnan(value):
        return "nan"
    if precision == -1:
        precision = 0 if (math.isinf(value) or value == round(value)) else 6
    return f"{value:.{precision}f}"


def _line(
    name: str,
    value: str,
    desc: str,
    unit: str,
    pdf: str = "",
    cdf: str = "",
    *,
    descriptions: bool = True,
    spaces: bool = True,
) -> str:
    """One stat line; without `spaces` nothing is padded, without `descriptions`
    neither the description nor the unit is printed (gem5's text visitor options)."""
    if spaces:
        text = f"{name:<40} {value:>12} {pdf:>10} {cdf:>10}"
    else:
        text = f"{name} {value}" + (f" {pdf}" if pdf else "") + (f" {cdf}" if cdf else "")
    if descriptions:
        if desc:
            text += f" # {desc}"
        if unit:
            text += f" ({unit})"
    return text + "\n"


def format_stat(full: str, stat: Stat, descriptions: bool = True, spaces: bool = True) -> str:
    """The stats.txt lines of one stat (gem5's text visitor; desc and spaces on by default)."""
    if stat.prereq is not None and stat.prereq.zero():
        return ""
    desc = stat.description()
    unit = stat.unit
    prec = stat._precision
    opts = {"descriptions": descriptions, "spaces": spaces}
    if isinstance(stat, Vector | Formula):
        vals = stat.values()
        if len(vals) == 1:  # gem5 prints a one-element vector as a scalar, without total
            if _hidden(stat, vals[0]):
                return ""
            return _line(full, value_to_string(vals[0], prec), desc, unit, **opts)
        out = []
        subnames = stat.subnames
        total = stat.total() if stat.show_total else 0.0
        # gem5's VectorPrint: with nozero, a vector whose total is zero prints no element
        if not stat.nozero or total != 0 or not stat.show_total:
            for i, v in enumerate(vals):
                if subnames and (i >= len(subnames) or not subnames[i]):
                    continue
                if _hidden(stat, v):
                    continue
                sub = subnames[i] if subnames else str(i)
                out.append(_line(f"{full}::{sub}", value_to_string(v, prec), desc, unit, **opts))
        if stat.show_total and not _hidden(stat, total):
            out.append(_line(f"{full}::total", value_to_string(total, prec), desc, unit, **opts))
        return "".join(out)
    value = stat.value()
    if _hidden(stat, value):
        return ""
    return _line(full, value_to_string(value, prec), desc, unit, **opts)


def _hidden(stat: Stat, value: float) -> bool:
    return (stat.nozero and value == 0) or (stat.nonan and math.isnan(value))


class _Node:
    __slots__ = ("stats", "children")

    def __init__(self) -> None:
        self.stats: list[tuple[str, Stat]] = []
        self.children: dict[str, _Node] = {}


def _tree(owners: Iterable[Any]) -> _Node:
    root = _Node()
    for owner in owners:
        base = stat_path(owner)
        for stat in stats_of(owner):
            full = f"{base}.{stat.name}" if base else stat.name
            node = root
            for part in full.split(".")[:-1]:
                node = node.children.setdefault(part, _Node())
            node.stats.append((full, stat))
    return root


def _walk(node: _Node) -> Iterable[tuple[str, Stat]]:
    yield from node.stats
    for name in sorted(node.children):
        yield from _walk(node.children[name])


def ordered(owners: Iterable[Any]) -> list[tuple[str, Stat]]:
    """Every stat of the owners, by full name, in gem5's output order."""
    return list(_walk(_tree(owners)))


def format_text(owners: Iterable[Any], descriptions: bool = True, spaces: bool = True) -> str:
    """One stats.txt block (Begin ... End) for the owners' stats."""
    body = "".join(format_stat(full, stat, descriptions, spaces) for full, stat in ordered(owners))
    return (
        "\n---------- Begin Simulation Statistics ----------\n"
        + body
        + "\n---------- End Simulation Statistics   ----------\n"
    )


def _json_number(v: float) -> float | str | None:
    """JSON has no nan or inf: nan becomes null, infinities the strings "inf"/"-inf"."""
    if math.isnan(v):
        return None
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def to_json(owners: Iterable[Any]) -> dict[str, Any]:
    """One dump as a JSON object: full name -> {value(s), unit, description}."""
    out: dict[str, Any] = {}
    for full, stat in ordered(owners):
        if stat.prereq is not None and stat.prereq.zero():
            continue
        vals = stat.values()
        entry: dict[str, Any] = {"unit": stat.unit, "description": stat.description()}
        clean = [_json_number(v) for v in vals]
        if isinstance(stat, Vector) or len(vals) > 1:
            entry["values"] = clean
            if getattr(stat, "subnames", None):
                entry["subnames"] = stat.subnames
        else:
            entry["value"] = clean[0]
        out[full] = entry
    return out
