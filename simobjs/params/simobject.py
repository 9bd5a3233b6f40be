"""The SimObject declaration base: params, ports, children, paths.

A class body lists `Param.X(...)` declarations, ports and default overrides;
an instance holds values, children and port references. Nothing here builds a
runtime model: `_model = "module:Class"` only names it.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any, ClassVar

from simobjs.errors import (
    ConfigAttributeError,
    ConfigError,
    ConfigRuntimeError,
    ConfigTypeError,
    Problem,
    short_repr,
)
from simobjs.params.desc import (
    Param,
    SimObjectVector,
    VectorParamValue,
    frozen_value,
    is_simobject,
)
from simobjs.params.meta import MetaSimObject, _clone_value, as_simobject_value
from simobjs.params.ports import Port, PortRef, VectorPortRef
from simobjs.params.proxy import Parent
from simobjs.params.types import NullSimObject

_root_instance: SimObject | None = None


def reset_for_tests() -> None:
    """Forget the Root singleton so a new configuration can be built."""
    global _root_instance
    _root_instance = None


def get_root() -> SimObject | None:
    return _root_instance


def _warn(msg: str) -> None:
    print(f"warn: {msg}", file=sys.stderr)


@dataclass(frozen=True)
class PortBinding:
    """One connected port element (index -1 for a scalar port) and its peer."""

    port: str
    index: int
    peer: Any
    peer_port: str
    peer_index: int


class SimObject(metaclass=MetaSimObject):
    """Base of every declaration (gem5's SimObject)."""

    type = "SimObject"
    abstract = True
    _is_simobject_class: ClassVar[bool] = True
    _is_root: ClassVar[bool] = False
    _model: ClassVar[str | None] = None
    # names a script may set that are no param (gem5 dropped them), with the
    # SimObject type they take: an unparented value becomes a child, a parented
    # one is accepted; nothing is written to config.ini/json for them
    _accepted_inputs: ClassVar[dict[str, str]] = {}

    eventq_index = Param.UInt32(Parent.eventq_index, "Event Queue Index")

    def __new__(cls, *args: Any, **kwargs: Any) -> SimObject:
        global _root_instance
        if cls._is_root:
            if _root_instance is not None:
                raise ConfigRuntimeError(
                    Problem("root", "Attempt to allocate multiple instances of Root.")
                )
            self = object.__new__(cls)
            _root_instance = self
            return self
        return object.__new__(cls)

    def __init__(self, **kwargs: Any):
        self._setup()
        memo: dict = {id(self): self}
        values = self.__dict__["_values"]
        for key, val in values.items():
            if is_simobject(val) or isinstance(val, VectorParamValue):
                values[key] = _clone_value(val, memo)
        for key, val in type(self)._class_children.items():
            self.add_child(key, _clone_value(val, memo))
        for key, val in kwargs.items():
            setattr(self, key, val)

    def _setup(self) -> None:
        cls = type(self)
        for klass in cls.__mro__:
            if isinstance(klass, MetaSimObject):
                type.__setattr__(klass, "_instantiated", True)
        d = self.__dict__
        d["_parent"] = None
        d["_name"] = None
        d["_children"] = {}
        d["_values"] = dict(cls._values)
        d["_port_refs"] = {}
        d["_frozen"] = False
        d["_frozen_params"] = None
        d["_path"] = None
        d["_ccobject"] = None

    def _clone(self, memo: dict) -> SimObject:
        if id(self) in memo:
            return memo[id(self)]
        new = object.__new__(type(self))
        memo[id(self)] = new
        new._setup()
        new.__dict__["_values"] = {k: _clone_value(v, memo) for k, v in self._values.items()}
        for key, child in self._children.items():
            if not any(child is v for v in self._values.values()):
                new.add_child(key, _clone_value(child, memo))
        for key, val in new._values.items():
            if (
                key in self._children
                and as_simobject_value(val) is not None
                and not val.has_parent()
            ):
                new.add_child(key, val)
        return new

    def __call__(self, **kwargs: Any) -> SimObject:
        """A copy of this object (children deep-copied) with `kwargs` applied."""
        new = self._clone({})
        for key, val in kwargs.items():
            setattr(new, key, val)
        return new

    # -- attribute access ----------------------------------------------
    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        d = self.__dict__
        if "_values" not in d:
            raise AttributeError(attr)
        cls = type(self)
        if attr in cls._deprecated:
            dep = cls._deprecated[attr]
            _warn(dep.message or f"{attr} is deprecated; use {dep.new_name}")
            attr = dep.new_name
        if attr in cls._ports:
            return self._get_port_ref(attr)
        if attr in d["_values"]:
            return d["_values"][attr]
        if attr in d["_children"]:
            return d["_children"][attr]
        model = d.get("_ccobject")
        if model is not None and hasattr(model, attr):
            # gem5 forwards to the C++ object: methods such as switchOut()
            return getattr(model, attr)
        text = f"object '{cls.__name__}' has no attribute '{attr}'"
        if model is None:
            text += (
                "\n  (C++ object is not yet constructed, so wrapped C++ methods are unavailable.)"
            )
        raise ConfigAttributeError(Problem(self.path(), text, param=attr))

    def __setattr__(self, attr: str, value: Any) -> None:
        if attr.startswith("_"):
            object.__setattr__(self, attr, value)
            return
        cls = type(self)
        if self._frozen:
            raise ConfigRuntimeError(
                Problem(
                    self.path(),
                    f"cannot set '{attr}': the configuration is frozen once instantiated",
                    param=attr,
                )
            )
        if attr in cls._deprecated:
            dep = cls._deprecated[attr]
            _warn(dep.message or f"{attr} is deprecated; use {dep.new_name}")
            attr = dep.new_name
        if attr in cls._ports:
            self._get_port_ref(attr).connect(value)
            return
        if attr in cls._accepted_inputs:
            self._accept_input(attr, value)
            return
        pdesc = cls._params.get(attr)
        if pdesc is not None:
            try:
                converted = pdesc.convert(value)
            except ConfigError as e:
                p = e.problems[0]
                raise ConfigTypeError(
                    Problem(
                        self.path(),
                        f"Error setting param {cls.__name__}.{attr} to {short_repr(value)}: {p.message}",
                        param=attr,
                        expected=p.expected,
                        got=p.got,
                    )
                ) from None
            self._values[attr] = converted
            if as_simobject_value(converted) is not None and self._may_adopt(converted):
                self.add_child(attr, converted)
            return
        child = as_simobject_value(value)
        if child is not None:
            self.add_child(attr, child)
            return
        raise ConfigAttributeError(
            Problem(
                self.path(),
                f"Class {cls.__name__} has no parameter {attr}",
                param=attr,
                got=repr(value),
            )
        )

    def __getitem__(self, key: int) -> SimObject:
        if key == 0:
            return self
        raise IndexError(f"Non-zero index '{key}' to SimObject")

    def __len__(self) -> int:
        return 1

    def __iter__(self):
        yield self

    def __bool__(self) -> bool:
        return True

    def __str__(self) -> str:
        return self.path()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path()}>"

    # -- tree ----------------------------------------------------------
    def has_parent(self) -> bool:
        return self._parent is not None

    def get_parent(self) -> SimObject | None:
        return self._parent

    def get_name(self) -> str | None:
        return self._name

    def set_parent(self, parent: SimObject, name: str) -> None:
        self._parent = parent
        self._name = name

    def clear_parent(self, old_parent: SimObject) -> None:
        if self._parent is old_parent:
            self._parent = None

    def _ancestors(self):
        node = self
        while node is not None:
            yield node
            node = node._parent

    def _accept_input(self, attr: str, value: Any) -> None:
        """`attr` is one of the class's accepted inputs (see `_accepted_inputs`)."""
        want = type(self)._accepted_inputs[attr]
        child = as_simobject_value(value)
        if child is None or not any(k.__name__ == want for k in type(child).__mro__):
            raise ConfigTypeError(
                Problem(
                    self.path(),
                    f"'{attr}' takes a {want}",
                    param=attr,
                    expected=want,
                    got=repr(value),
                )
            )
        if self._may_adopt(child):
            self.add_child(attr, child)
        else:
            self.__dict__.setdefault("_inputs", {})[attr] = child

    def _may_adopt(self, value: Any) -> bool:
        """Can `value` (an object or vector) become a child here without a loop?"""
        if value.has_parent():
            return False
        members = value if isinstance(value, SimObjectVector) else [value]
        return not any(a is m for a in self._ancestors() for m in members)

    def add_child(self, name: str, child: Any) -> None:
        child = as_simobject_value(child)
        if child is None:
            raise ConfigTypeError(Problem(self.path(), f"child '{name}' is not a SimObject"))
        members = child if isinstance(child, SimObjectVector) else [child]
        if any(a is m for a in self._ancestors() for m in members):
            raise ConfigTypeError(
                Problem(
                    self.path(),
                    f"cannot make '{name}' a child: it is this object or one of its parents",
                    param=name,
                )
            )
        if child.has_parent():
            _warn(f"{self}.{name} already has parent not resetting parent.")
            return
        old = self._children.pop(name, None)
        if old is not None:
            for o in old if isinstance(old, SimObjectVector) else [old]:
                o.clear_parent(self)
        if isinstance(child, SimObjectVector):
            members = [v for v in child if not isinstance(v, NullSimObject)]
            if len(child) == 1:
                for v in members:
                    v.set_parent(self, name)
            else:
                width = int(math.ceil(math.log(len(child)) / math.log(10)))
                for i, v in enumerate(child):
                    if not isinstance(v, NullSimObject):
                        v.set_parent(self, "%s%0*d" % (name, width, i))
        elif not isinstance(child, NullSimObject):
            child.set_parent(self, name)
        if isinstance(child, SimObjectVector):
            child = SimObjectVector(v for v in child if not isinstance(v, NullSimObject))
        if not isinstance(child, NullSimObject) and len(child):
            self._children[name] = child

    def path(self) -> str:
        cached = self.__dict__.get("_path")
        if cached is not None:
            return cached
        parent = self._parent
        if parent is None:
            return "root" if self._is_root else f"<orphan {type(self).__name__}>"
        ppath = parent.path()
        return self._name if ppath == "root" else f"{ppath}.{self._name}"

    def descendants(self):
        """Pre-order walk, children sorted by attribute name."""
        yield self
        for _name, child in sorted(self._children.items()):
            if isinstance(child, SimObjectVector):
                for v in child:
                    if not isinstance(v, NullSimObject):
                        yield from v.descendants()
            else:
                yield from child.descendants()

    def children_items(self) -> list[tuple[str, Any]]:
        return sorted(self._children.items())

    def apply_config(self, params: list[str]) -> None:
        """gem5's `apply_config` (se.py's `--param 'system.cpu[0].x = 1'`): run each
        statement with this object's children as the only names in scope."""
        for statement in params:
            exec(statement, dict(self._children))

    def _get_port_ref(self, attr: str) -> PortRef | VectorPortRef:
        ref = self._port_refs.get(attr)
        if ref is None:
            ref = type(self)._ports[attr].make_ref(self)
            self._port_refs[attr] = ref
        return ref

    def _proxy_lookup(self, attr: str, ctx: Any) -> tuple[bool, Any]:
        """(found, value) of `attr` for a proxy, resolving a proxied param first."""
        if attr in self._values:
            return True, ctx.resolve_param(self, attr)
        if attr in self._children:
            return True, self._children[attr]
        if attr in type(self)._ports:
            return True, self._get_port_ref(attr)
        return False, None

    # -- after prepare (docs/internals.md §1) ------------------------
    def frozen_params(self) -> dict[str, Any]:
        """Converted param values (ints, floats, objects...) once prepared."""
        if self._frozen_params is None:
            raise ConfigError(
                Problem(
                    self.path(),
                    "frozen_params() before prepare(): call simobjs.config.prepare(root)",
                )
            )
        return self._frozen_params

    def port_bindings(self) -> list[PortBinding]:
        out = []
        for name in sorted(self._port_refs):
            for el in self._port_refs[name].elements():
                peer = el.peer
                if isinstance(peer, PortRef):
                    out.append(PortBinding(name, el.index, peer.simobj, peer.name, peer.index))
        return out

    def getCCObject(self) -> Any:
        if self._ccobject is None:
            raise ConfigError(
                Problem(
                    self.path(),
                    "getCCObject(): the runtime object is not built yet (call m5.instantiate() first)",
                )
            )
        return self._ccobject

    def _freeze(self) -> list[Problem]:
        """Compute the frozen params; returns the values that cannot be frozen."""
        problems, frozen = [], {}
        for name in sorted(type(self)._params):
            if name in self._values:
                try:
                    frozen[name] = frozen_value(self._values[name])
                except ConfigError as e:
                    p = e.problems[0]
                    problems.append(Problem(self.path(), p.message, name, p.expected, p.got))
        if problems:
            return problems
        self._frozen_params = frozen
        self._path = self.path()
        self._frozen = True
        return []

    def _unfreeze(self) -> None:
        self._frozen = False
        self._frozen_params = None
        self._path = None
        self._ccobject = None

    # -- hooks used by validation -----------------------------------
    def _port_required(self, name: str, port: Port) -> bool:
        """Must this port be connected for the object to work?"""
        return port.required

    def _addr_ranges(self) -> list:
        """Address ranges this object answers to on a bus (AddrRange list)."""
        return []

    # -- gem5 Python API niceties ----------------------------------------
    @classmethod
    def memory_mode(cls) -> str:
        return "invalid"

    def unproxy(self, base: Any) -> SimObject:
        return self
