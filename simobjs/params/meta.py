"""The SimObject metaclass: sorts a class body into params, ports, defaults
and class-level children, and guards class-level changes."""

from __future__ import annotations

import types
from typing import Any

from simobjs.errors import (
    ConfigAttributeError,
    ConfigError,
    ConfigRuntimeError,
    ConfigTypeError,
    Problem,
    short_repr,
)
from simobjs.params.desc import ParamDesc, SimObjectVector, VectorParamValue, is_simobject
from simobjs.params.ports import DeprecatedParam, Port
from simobjs.params.values import register_type

# Class-body names that configure the class instead of declaring a param.
INIT_KEYWORDS = frozenset(
    {
        "abstract",
        "type",
        "cxx_class",
        "cxx_header",
        "cxx_exports",
        "cxx_param_exports",
        "cxx_template_params",
        "cxx_extra_bases",
        "cxx_type",
    }
)


def _is_plain_attr(val: Any) -> bool:
    return isinstance(
        val,
        types.FunctionType
        | classmethod
        | staticmethod
        | property
        | type
        | types.ModuleType
        | types.BuiltinFunctionType,
    )


def as_simobject_value(value: Any) -> Any:
    """A SimObject, or a list/tuple of them as a SimObjectVector, else None."""
    if is_simobject(value) or isinstance(value, SimObjectVector):
        return value
    if isinstance(value, list | tuple) and value and all(is_simobject(v) for v in value):
        return SimObjectVector(value)
    return None


def _clone_value(value: Any, memo: dict) -> Any:
    if is_simobject(value):
        return value._clone(memo)
    if isinstance(value, SimObjectVector):
        return SimObjectVector(_clone_value(v, memo) for v in value)
    if isinstance(value, VectorParamValue):
        return VectorParamValue(value)
    return value


class MetaSimObject(type):
    """Sorts a class body into params, ports, defaults and children."""

    def __new__(mcls, name: str, bases: tuple, body: dict) -> MetaSimObject:
        sim_bases = [b for b in bases if isinstance(b, MetaSimObject)]
        if len(sim_bases) > 1:
            raise ConfigTypeError(
                Problem(
                    name,
                    "SimObjects do not support multiple inheritance",
                    got=", ".join(b.__name__ for b in sim_bases),
                )
            )
        cls_body: dict = {}
        params: dict[str, ParamDesc] = {}
        ports: dict[str, Port] = {}
        deprecated: dict[str, DeprecatedParam] = {}
        values: dict[str, Any] = {}
        for key, val in body.items():
            if key.startswith("_") or key in INIT_KEYWORDS or _is_plain_attr(val):
                cls_body[key] = val
            elif isinstance(val, ParamDesc):
                params[key] = val
            elif isinstance(val, Port):
                ports[key] = val
            elif isinstance(val, DeprecatedParam):
                deprecated[key] = val
            else:
                values[key] = val
        cls = super().__new__(mcls, name, bases, cls_body)
        base = sim_bases[0] if sim_bases else None
        d = cls.__dict__
        type.__setattr__(cls, "_base", base)
        type.__setattr__(cls, "_params", dict(base._params) if base else {})
        type.__setattr__(cls, "_ports", dict(base._ports) if base else {})
        type.__setattr__(cls, "_deprecated", dict(base._deprecated) if base else {})
        type.__setattr__(cls, "_values", dict(base._values) if base else {})
        type.__setattr__(cls, "_class_children", dict(base._class_children) if base else {})
        type.__setattr__(cls, "_instantiated", False)
        type.__setattr__(cls, "abstract", bool(d.get("abstract", False)))
        if base is not None:
            type.__setattr__(base, "_instantiated", True)
        register_type(name, cls)
        for key, pdesc in params.items():
            pdesc.name = key
            try:
                pdesc.resolve()
            except ConfigError as e:
                from simobjs.params.values import _types

                if _types.get(name) is cls:
                    del _types[name]
                raise ConfigError(
                    Problem(name, f"param '{key}': {e.problems[0].message}")
                ) from None
            cls._params[key] = pdesc
            if pdesc.has_default:
                cls._set_class_value(key, pdesc.default)
        for key, port in ports.items():
            port.name = key
            cls._ports[key] = port
        for key, dep in deprecated.items():
            for other_key, other in list(params.items()) + list(ports.items()):
                if other is dep.new_param:
                    dep.new_name = other_key
            if not dep.new_name:
                raise ConfigError(
                    Problem(name, f"DeprecatedParam '{key}' names no param or port of this class")
                )
            cls._deprecated[key] = dep
        for key, val in values.items():
            setattr(cls, key, val)
        return cls

    def _set_class_value(cls, key: str, value: Any) -> None:
        pdesc = cls._params[key]
        try:
            converted = pdesc.convert(value)
        except ConfigError as e:
            p = e.problems[0]
            raise ConfigTypeError(
                Problem(
                    cls.__name__,
                    f"Error setting param {cls.__name__}.{key} to {short_repr(value)}: {p.message}",
                    param=None,
                    expected=p.expected,
                    got=p.got,
                )
            ) from None
        if as_simobject_value(converted) is not None and cls._instantiated:
            raise ConfigRuntimeError(
                f"cannot set SimObject parameter '{key}' after\n"
                f"    class {cls.__name__} has been instantiated or subclassed"
            )
        cls._values[key] = converted

    def __setattr__(cls, key: str, value: Any) -> None:
        if key.startswith("_") or key in INIT_KEYWORDS or _is_plain_attr(value):
            type.__setattr__(cls, key, value)
            return
        if key in cls._deprecated:
            key = cls._deprecated[key].new_name
        if key in cls._ports:
            raise ConfigAttributeError(
                Problem(
                    cls.__name__,
                    f"cannot connect port '{key}' at class level; connect it on an instance",
                )
            )
        if key in cls._params:
            cls._set_class_value(key, value)
            return
        child = as_simobject_value(value)
        if child is not None:
            if cls._instantiated:
                raise ConfigRuntimeError(
                    f"cannot set SimObject parameter '{key}' after\n"
                    f"    class {cls.__name__} has been instantiated or subclassed"
                )
            cls._class_children[key] = child
            return
        raise ConfigAttributeError(
            Problem(cls.__name__, f"Class {cls.__name__} has no parameter {key}")
        )

    def __getattr__(cls, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        values = cls.__dict__.get("_values")
        if values is None:
            for klass in cls.__mro__:
                if "_values" in klass.__dict__:
                    values = klass.__dict__["_values"]
                    break
        if values is not None and key in values:
            return values[key]
        children = type.__getattribute__(cls, "_class_children")
        if key in children:
            return children[key]
        raise AttributeError(f"object '{cls.__name__}' has no attribute '{key}'")
