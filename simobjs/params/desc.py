"""Param declarations: `Param.Int(5, "widgets")`, `VectorParam.AddrRange([])`.

A declaration names its type by string; the type is looked up when the class
that declares it is created, so a typo fails there with the list of types.
"""

from __future__ import annotations

from typing import Any

from simobjs.errors import ConfigAttributeError, ConfigError, ConfigTypeError, Problem
from simobjs.params.proxy import BaseProxy
from simobjs.params.types import NullSimObject
from simobjs.params.values import lookup_type


def is_simobject_class(t: Any) -> bool:
    return isinstance(t, type) and getattr(t, "_is_simobject_class", False)


def is_simobject(v: Any) -> bool:
    return getattr(type(v), "_is_simobject_class", False)


_NO_DEFAULT = object()


class ParamDesc:
    """One declared param: its type, default and description."""

    vector = False

    def __init__(self, ptype_name: str, *args: Any, **kwargs: Any):
        self.ptype_name = ptype_name
        self._ptype: type | None = None
        self.name = ""
        self.default: Any = _NO_DEFAULT
        self.desc = ""
        if len(args) == 1:
            self.desc = args[0]
        elif len(args) == 2:
            self.default, self.desc = args
        elif len(args) > 2:
            raise ConfigTypeError(f"Param.{ptype_name}: too many arguments")
        if "desc" in kwargs:
            self.desc = kwargs.pop("desc")
        if "default" in kwargs:
            self.default = kwargs.pop("default")
        if kwargs:
            raise ConfigTypeError(f"Param.{ptype_name}: extra arguments {sorted(kwargs)}")

    @property
    def ptype(self) -> type:
        if self._ptype is None:
            self._ptype = lookup_type(self.ptype_name)
        return self._ptype

    def resolve(self) -> None:
        """Look the type up now (at class creation)."""
        _ = self.ptype

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT

    @property
    def is_simobject(self) -> bool:
        return is_simobject_class(self.ptype)

    def convert_one(self, value: Any) -> Any:
        ptype = self.ptype
        if isinstance(value, BaseProxy):
            return value
        if is_simobject_class(ptype):
            if isinstance(value, NullSimObject) or isinstance(value, ptype):
                return value
            got = type(value).__name__ if is_simobject(value) else repr(value)
            raise ConfigTypeError(
                Problem(
                    "",
                    f"expected a {ptype.__name__} object, got {got}",
                    expected=ptype.__name__,
                    got=got,
                )
            )
        if isinstance(value, ptype):
            return value
        if is_simobject(value) or isinstance(value, NullSimObject):
            raise ConfigTypeError(
                Problem(
                    "",
                    f"a {type(value).__name__} object is not a {self.ptype_name}",
                    expected=self.ptype_name,
                    got=type(value).__name__,
                )
            )
        return ptype.convert(value)

    def convert(self, value: Any) -> Any:
        return self.convert_one(value)

    def __repr__(self) -> str:
        return f"Param.{self.ptype_name}({self.name})"


class VectorParamValue(list):
    """A list of converted values; printed space-joined in config.ini."""

    def __setattr__(self, attr: str, value: Any) -> None:
        raise ConfigAttributeError(
            Problem("", f"Not allowed to set {attr} on '{type(self).__name__}'", param=attr)
        )

    def ini_str(self) -> str:
        return " ".join(_ini(v) for v in self)

    def config_value(self) -> list:
        return [_config(v) for v in self]

    def frozen(self) -> list:
        return [_frozen(v) for v in self]


class SimObjectVector(VectorParamValue):
    """A list of SimObjects: as a child it names its members cpu0, cpu1, ..."""

    def has_parent(self) -> bool:
        return any(v.has_parent() for v in self if not isinstance(v, NullSimObject))

    def get_name(self) -> str:
        return " ".join(v._name for v in self)

    def descendants(self):
        for v in self:
            yield from v.descendants()


def _ini(v: Any) -> str:
    if is_simobject(v):
        return v.path()
    return v.ini_str()


def _config(v: Any) -> Any:
    if is_simobject(v):
        return v.path()
    return v.config_value()


def _frozen(v: Any) -> Any:
    if is_simobject(v):
        return v
    return v.frozen()


class VectorParamDesc(ParamDesc):
    """A list param: takes a list/tuple, one value, or "a,b" for value types."""

    vector = True

    def convert(self, value: Any) -> Any:
        if isinstance(value, BaseProxy):
            return value
        if isinstance(value, list | tuple):
            items = [self.convert_one(v) for v in value]
        elif isinstance(value, str) and not self.is_simobject:
            text = value.strip("[").strip("]")
            items = [self.convert_one(v) for v in text.split(",")] if text else []
        else:
            items = [self.convert_one(value)]
        if len(items) == 1 and isinstance(items[0], BaseProxy):
            return items[0]
        if items and all(is_simobject(v) or isinstance(v, NullSimObject) for v in items):
            return SimObjectVector(items)
        return VectorParamValue(items)

    def __repr__(self) -> str:
        return f"VectorParam.{self.ptype_name}({self.name})"


class ParamFactory:
    """`Param` and `VectorParam`: `Param.Int(...)` builds a declaration."""

    def __init__(self, desc_class: type[ParamDesc]):
        self._desc_class = desc_class

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        desc_class = self._desc_class

        def make(*args: Any, **kwargs: Any) -> ParamDesc:
            return desc_class(name, *args, **kwargs)

        make.__name__ = name
        return make


Param = ParamFactory(ParamDesc)
VectorParam = ParamFactory(VectorParamDesc)


def frozen_value(value: Any) -> Any:
    """The value a runtime model receives for a converted param value."""
    if value is None:
        return None
    return _frozen(value)


def ini_value(value: Any) -> str:
    return _ini(value)


def config_value(value: Any) -> Any:
    return _config(value)


__all__ = [
    "ConfigError",
    "Param",
    "ParamDesc",
    "SimObjectVector",
    "VectorParam",
    "VectorParamDesc",
    "VectorParamValue",
    "frozen_value",
    "ini_value",
    "config_value",
]
