"""Proxy resolution over a declaration tree (gem5's unproxyParams).

One `Resolver` serves one prepare() call: it memoizes `.any`/`.all` searches
per (object, type) so a tree of N objects resolves in O(N), and detects
proxies that depend on themselves.
"""

from __future__ import annotations

from typing import Any

from simobjs.errors import ConfigAttributeError, ConfigError, Problem
from simobjs.params.desc import SimObjectVector, is_simobject
from simobjs.params.proxy import BaseProxy, isproxy
from simobjs.params.simobject import as_simobject_value


class _ElementDesc:
    """Converts one element of a vector param."""

    def __init__(self, pdesc: Any):
        self._pdesc = pdesc
        self.ptype_name = pdesc.ptype_name
        self.name = pdesc.name

    @property
    def ptype(self) -> type:
        return self._pdesc.ptype

    def convert(self, value: Any) -> Any:
        return self._pdesc.convert_one(value)


class PortDesc:
    """What a proxy connected to a port resolves to: a port reference."""

    ptype_name = "Port"
    ptype = object

    def __init__(self, name: str):
        self.name = name

    @staticmethod
    def convert(value: Any) -> Any:
        return value


class Resolver:
    def __init__(self) -> None:
        self._active: set[tuple[int, str]] = set()
        self._any: dict[tuple[int, type], list] = {}
        self._all: dict[tuple[int, type], list] = {}

    def resolve_param(self, obj: Any, name: str) -> Any:
        """The value of `obj.name`, resolving (and storing) it if it is a proxy."""
        value = obj._values.get(name)
        if not isproxy(value):
            return value
        key = (id(obj), name)
        if key in self._active:
            raise ConfigError(
                Problem(obj.path(), f"cycle while resolving proxy '{value}'", param=name)
            )
        self._active.add(key)
        try:
            pdesc = type(obj)._params[name]
            if isinstance(value, BaseProxy):
                result = value.unproxy(obj, pdesc, self)
            else:
                elem = _ElementDesc(pdesc)
                result = pdesc.convert(
                    [v.unproxy(obj, elem, self) if isinstance(v, BaseProxy) else v for v in value]
                )
        finally:
            self._active.discard(key)
        obj._values[name] = result
        if as_simobject_value(result) is not None and obj._may_adopt(result):
            obj.add_child(name, result)
        return result

    def find_any(self, obj: Any, ptype: type, exclude: Any = None) -> Any:
        """The one object of `ptype` that is `obj`, a child or a param of `obj`."""
        key = (id(obj), ptype)
        cands = self._any.get(key)
        if cands is None:
            cands = self._any_candidates(obj, ptype)
            self._any[key] = cands
        found = [c for c in cands if c is not exclude]
        if len(found) > 1:
            raise ConfigAttributeError(
                Problem(
                    obj.path(),
                    f"parent.any matched more than one: {found[0].path()} and {found[1].path()}",
                )
            )
        return found[0] if found else None

    def _any_candidates(self, obj: Any, ptype: type) -> list:
        if isinstance(obj, ptype):
            return [obj]
        cands: list = []
        seen: set[int] = set()

        def add(candidate: Any) -> None:
            if id(candidate) not in seen:
                seen.add(id(candidate))
                cands.append(candidate)

        for child in obj._children.values():
            if is_simobject(child) and isinstance(child, ptype):
                add(child)
        for pname, pdesc in type(obj)._params.items():
            if pdesc.vector or not pdesc.is_simobject or not issubclass(pdesc.ptype, ptype):
                continue
            value = obj._values.get(pname)
            if isinstance(value, BaseProxy):
                if (id(obj), pname) in self._active:
                    continue
                value = self.resolve_param(obj, pname)
            if is_simobject(value):
                add(value)
        return cands

    def find_all(self, obj: Any, ptype: type) -> list:
        """Every object of `ptype` below `obj` (children and params), by path."""
        key = (id(obj), ptype)
        found = self._all.get(key)
        if found is None:
            acc: dict[int, Any] = {}
            self._collect_all(obj, ptype, acc)
            found = sorted(acc.values(), key=lambda o: o.path())
            self._all[key] = found
        return list(found)

    def _collect_all(self, obj: Any, ptype: type, acc: dict[int, Any]) -> None:
        for child in obj._children.values():
            members = child if isinstance(child, SimObjectVector) else [child]
            for m in members:
                if not is_simobject(m):
                    continue
                if isinstance(m, ptype):
                    acc[id(m)] = m
                self._collect_all(m, ptype, acc)
        for pname, pdesc in type(obj)._params.items():
            if not pdesc.is_simobject or not issubclass(pdesc.ptype, ptype):
                continue
            value = obj._values.get(pname)
            if isproxy(value):
                continue
            for m in value if isinstance(value, list) else [value]:
                if is_simobject(m):
                    acc[id(m)] = m

    def resolve_port(self, obj: Any, name: str) -> None:
        """Connect port elements of `obj.name` whose peer is a proxy."""
        ref = obj._port_refs[name]
        for el in ref.elements():
            if isinstance(el.peer, BaseProxy):
                proxy = el.peer
                peer = proxy.unproxy(obj, PortDesc(name), self)
                el.peer = None
                el.connect(peer)
