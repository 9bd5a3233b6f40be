"""Params records: what a model receives (gem5's generated `FooParams` struct).

Each declaration class yields one record class whose fields are exactly its
declared params (every one, `None` when unset with no default), plus `name`
(the object's path) and `sim` (the Simulation). Defaults come from the
declaration only: a model reads `p.x` and never supplies its own; a name the
declaration does not have is an AttributeError.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from simobjs.base import ticks
from simobjs.params.desc import frozen_value
from simobjs.params.proxy import isproxy
from simobjs.sim.model import Params

_record_classes: dict[type, type[Params]] = {}


def record_class(decl_cls: type) -> type[Params]:
    """The params record class of a declaration class (made once, cached)."""
    cls = _record_classes.get(decl_cls)
    if cls is None:
        fields = tuple(sorted(decl_cls._params))
        cls = type(
            f"{decl_cls.__name__}Params",
            (Params,),
            {"__slots__": fields, "fields": fields, "decl_class": decl_cls},
        )
        _record_classes[decl_cls] = cls
    return cls


def make_params(decl: Any, resolve: Callable[[Any], Any], sim: Any) -> Params:
    """The record of a prepared declaration, SimObject values passed through
    `resolve` (which turns declarations into their models)."""
    frozen = decl.frozen_params()
    cls = record_class(type(decl))
    values = {name: resolve(frozen.get(name)) for name in cls.fields}
    return cls.build(decl.path(), sim, values)


def declared_default(decl_cls: type, name: str) -> Any:
    """A param's default as a model receives it (None for proxies and unset)."""
    value = decl_cls._values.get(name)
    if value is None or isproxy(value):
        return None
    return frozen_value(value)


def params_for(decl_cls: type, name: str, sim: Any = None, **values: Any) -> Params:
    """A record built from a declaration's defaults, `values` (already in the form a
    model receives: ints, strings, models) replacing some: for tests and tools that
    build one model without a whole configuration. Time params become ticks, so this
    fixes the global tick frequency, as instantiate() does."""
    ticks.fixGlobalFrequency(quiet=True)
    cls = record_class(decl_cls)
    unknown = sorted(set(values) - set(cls.fields))
    if unknown:
        raise AttributeError(f"{decl_cls.__name__} declares no param {', '.join(unknown)}")
    merged = {f: values[f] if f in values else declared_default(decl_cls, f) for f in cls.fields}
    return cls.build(name, sim, merged)


def model_class(decl_cls: type) -> type:
    """The runtime class a declaration class names."""
    module, _, cls = decl_cls._model.partition(":")
    return getattr(importlib.import_module(module), cls)


def build_model(decl_cls: type, name: str, sim: Any = None, **values: Any) -> Any:
    """One model from its declaration's defaults and `values` (see `params_for`)."""
    return model_class(decl_cls)(params_for(decl_cls, name, sim, **values))
