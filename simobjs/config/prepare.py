"""prepare(root): adopt orphan params, resolve proxies, validate, freeze."""

from __future__ import annotations

from typing import Any

from simobjs.base import ticks
from simobjs.config.resolve import Resolver
from simobjs.config.validate import check_all
from simobjs.errors import ConfigError, Problem
from simobjs.params.proxy import isproxy
from simobjs.params.simobject import as_simobject_value, reset_for_tests


def _adopt_orphans(root: Any) -> list[Any]:
    objs = []
    for obj in root.descendants():
        objs.append(obj)
        for name, value in obj._values.items():
            if as_simobject_value(value) is not None and obj._may_adopt(value):
                obj.add_child(name, value)
    return objs


def _located(e: ConfigError, obj: Any, name: str) -> list[Problem]:
    out = []
    for p in e.problems:
        if not p.path:
            p = Problem(obj.path(), p.message, p.param or name, p.expected, p.got, p.verbatim)
        elif p.param is None and not p.verbatim:
            p = Problem(p.path, p.message, name, p.expected, p.got, p.verbatim)
        out.append(p)
    return out


def prepare(root: Any) -> None:
    """Run gem5's adopt + unproxy steps and validate; raise one ConfigError
    listing every problem. Idempotent once it has succeeded."""
    if getattr(root, "_prepared", False):
        return
    ticks.fixGlobalFrequency()
    problems: list[Problem] = []
    resolver = Resolver()
    for obj in _adopt_orphans(root):
        for name in list(type(obj)._params):
            if isproxy(obj._values.get(name)):
                try:
                    resolver.resolve_param(obj, name)
                except ConfigError as e:
                    problems += _located(e, obj, name)
        for name in sorted(obj._port_refs):
            try:
                resolver.resolve_port(obj, name)
            except ConfigError as e:
                problems += _located(e, obj, name)
    objs = _adopt_orphans(root)
    unresolved = {(p.path, p.param) for p in problems}
    for p in check_all(root, objs):
        if (p.path, p.param) not in unresolved:
            problems.append(p)
    if problems:
        raise ConfigError(problems)
    for obj in objs:
        problems += obj._freeze()
    if problems:
        for obj in objs:
            obj._unfreeze()
        raise ConfigError(problems)
    root._prepared = True


def release(root: Any, forget_root: bool = False) -> None:
    """Undo prepare's freeze (and drop the models) so the same declarations can
    be instantiated again after the kernel tore a simulation down; with
    `forget_root`, a new Root() may then be created instead."""
    for obj in root.descendants():
        obj._unfreeze()
    root._prepared = False
    if forget_root:
        reset_for_tests()
    ticks.unfixGlobalFrequency()
