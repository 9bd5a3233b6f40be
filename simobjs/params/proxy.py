"""Parent/Self proxies: param values found in the object tree at prepare time.

`Parent.x` looks for `x` from the parent upwards, `Self.x` on the object
itself, `.any` finds the one object of the param's type (on the object,
its children or its params), `.all` collects every such object in the
subtree. Attribute and index chaining and `* / //` arithmetic are recorded
and applied to the found value.
"""

from __future__ import annotations

import operator
from typing import Any

from simobjs.errors import ConfigAttributeError, ConfigError, ConfigTypeError, Problem

_ARITH = {"*": operator.mul, "/": operator.truediv, "//": operator.floordiv}


class BaseProxy:
    """A not-yet-resolved reference; immutable, so one proxy may be shared."""

    def __init__(self, search_self: bool, search_up: bool):
        object.__setattr__(self, "_search_self", search_self)
        object.__setattr__(self, "_search_up", search_up)
        object.__setattr__(self, "_modifiers", ())
        object.__setattr__(self, "_arith", ())

    def _copy(self, **changes: Any) -> BaseProxy:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.__dict__.update(changes)
        return new

    def __setattr__(self, attr: str, value: Any) -> None:
        raise ConfigAttributeError(f"cannot set attribute '{attr}' on proxy '{self.path()}'")

    def _arith_op(self, op: str, other: Any) -> BaseProxy:
        if not isinstance(other, int | float | BaseProxy) or isinstance(other, bool):
            raise ConfigTypeError(
                Problem(
                    "",
                    "Proxy multiplier must be a numerical value",
                    expected="int, float or proxy",
                    got=repr(other),
                )
            )
        return self._copy(_arith=self._arith + ((op, other),))

    def __mul__(self, other: Any) -> BaseProxy:
        return self._arith_op("*", other)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> BaseProxy:
        return self._arith_op("/", other)

    def __floordiv__(self, other: Any) -> BaseProxy:
        return self._arith_op("//", other)

    def path(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        head = "self" if self._search_self and not self._search_up else "parent"
        return f"{head}.{self.path()}"

    __repr__ = __str__

    def ini_str(self) -> str:
        return str(self)

    # -- resolution ---------------------------------------------------
    def find(self, obj: Any, ctx: Any, base: Any, pdesc: Any) -> tuple[Any, bool]:
        raise NotImplementedError

    def hint(self, base: Any, pdesc: Any) -> str:
        """What to change when this proxy finds nothing (follows gem5's message)."""
        where = f"{base.path()} or its parents" if self._search_up else base.path()
        return f"nothing in {where} matches; set the param or add what it refers to"

    def unproxy(self, base: Any, pdesc: Any, ctx: Any) -> Any:
        """The value this proxy stands for, seen from `base`, converted by `pdesc`."""
        result, done = None, False
        if self._search_self:
            result, done = self.find(base, ctx, base, pdesc)
        obj = base
        if self._search_up:
            while not done:
                obj = obj._parent
                if obj is None:
                    break
                result, done = self.find(obj, ctx, base, pdesc)
        if not done:
            param = getattr(pdesc, "name", None)
            raise ConfigAttributeError(
                Problem(
                    base.path(),
                    f"Can't resolve proxy '{self.path()}' of type '{pdesc.ptype_name}' from "
                    f"'{base.path()}'"
                    + (f" (param {param}: {self.hint(base, pdesc)})" if param else ""),
                    param=param,
                    verbatim=True,
                )
            )
        result = self._apply_arith(result, base, pdesc, ctx)
        return pdesc.convert(result)

    def _apply_arith(self, result: Any, base: Any, pdesc: Any, ctx: Any) -> Any:
        for op, operand in self._arith:
            if isinstance(operand, BaseProxy):
                operand = operand.unproxy(base, _AnyDesc, ctx)
            try:
                result = _ARITH[op](result, operand)
            except (TypeError, ArithmeticError) as e:
                raise ConfigTypeError(
                    Problem(base.path(), f"cannot apply '{op} {operand!r}' to {result!r}: {e}")
                ) from None
        return result


class _AnyDesc:
    """Converts nothing: used for proxy arithmetic operands."""

    ptype_name = "any"
    name = None

    @staticmethod
    def convert(value: Any) -> Any:
        return value


class AttrProxy(BaseProxy):
    """`Parent.x`, `Self.x`, with `.attr` and `[i]` chained after it."""

    def __init__(self, search_self: bool, search_up: bool, attr: str):
        super().__init__(search_self, search_up)
        object.__setattr__(self, "_attr", attr)

    def __getattr__(self, attr: str) -> AttrProxy:
        if attr.startswith("_"):
            raise AttributeError(attr)
        return self._copy(_modifiers=self._modifiers + (attr,))

    def __getitem__(self, key: int) -> AttrProxy:
        if not isinstance(key, int):
            raise ConfigTypeError("Proxy object requires integer index")
        return self._copy(_modifiers=self._modifiers + (key,))

    def path(self) -> str:
        text = self._attr
        for m in self._modifiers:
            text += f".{m}" if isinstance(m, str) else f"[{m}]"
        return text

    def find(self, obj: Any, ctx: Any, base: Any, pdesc: Any) -> tuple[Any, bool]:
        found, val = obj._proxy_lookup(self._attr, ctx)
        if not found or val is base:
            # gem5 marks the object being resolved as visited: a parent's attribute
            # that is that very object (a child clock domain of the object whose
            # clk_domain it is) is skipped, and the search goes on upwards
            return None, False
        for m in self._modifiers:
            if isinstance(m, str) and hasattr(val, "_proxy_lookup"):
                found, val = val._proxy_lookup(m, ctx)
                if not found:
                    return None, False
                continue
            try:
                val = getattr(val, m) if isinstance(m, str) else val[m]
            except (AttributeError, IndexError, KeyError, TypeError):
                return None, False
            if isinstance(val, BaseProxy):
                val = val.unproxy(obj, _AnyDesc, ctx)
        return val, True


class AnyProxy(BaseProxy):
    """`Parent.any`: the single object of the param's type."""

    def path(self) -> str:
        return "any"

    def find(self, obj: Any, ctx: Any, base: Any, pdesc: Any) -> tuple[Any, bool]:
        found = ctx.find_any(obj, pdesc.ptype, exclude=None if obj is base else base)
        return found, found is not None

    def hint(self, base: Any, pdesc: Any) -> str:
        kind = pdesc.ptype_name
        return (
            f"no {kind} is a child of {base.path()} or of its parents: add one, "
            f"e.g. system.{_snake(kind)} = {kind}()"
        )


def _snake(name: str) -> str:
    """KvmVM -> kvm_vm, SrcClockDomain -> src_clock_domain (an example child name)."""
    out = ""
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper() or name[i + 1 : i + 2].islower()):
            out += "_"
        out += ch.lower()
    return out


class AllProxy(BaseProxy):
    """`Self.all`: every object of the param's type in the subtree, by path."""

    def path(self) -> str:
        return "all"

    def find(self, obj: Any, ctx: Any, base: Any, pdesc: Any) -> tuple[Any, bool]:
        return ctx.find_all(obj, pdesc.ptype), True


class ProxyFactory:
    """`Parent` and `Self`."""

    def __init__(self, search_self: bool, search_up: bool):
        self._search_self = search_self
        self._search_up = search_up

    def __getattr__(self, attr: str) -> BaseProxy:
        if attr.startswith("_"):
            raise AttributeError(attr)
        if attr == "any":
            return AnyProxy(self._search_self, self._search_up)
        if attr == "all":
            if self._search_up:
                raise ConfigError("Parent.all is not supported; use Self.all on an ancestor")
            return AllProxy(self._search_self, self._search_up)
        return AttrProxy(self._search_self, self._search_up, attr)


Parent = ProxyFactory(search_self=False, search_up=True)
Self = ProxyFactory(search_self=True, search_up=False)


def isproxy(value: Any) -> bool:
    if isinstance(value, BaseProxy):
        return True
    if isinstance(value, list | tuple):
        return any(isinstance(v, BaseProxy) for v in value)
    return False
