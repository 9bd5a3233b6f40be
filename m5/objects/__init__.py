"""`from m5.objects import *`: the catalog plus, as gem5's star import does,
Param, VectorParam, AddrRange, NULL, Parent, Self, MaxAddr, the port classes,
os and sys (gem5's BaseCPU.py imports sys, and configs/common/CacheConfig.py
calls sys.exit having star-imported m5.objects only).

gem5's other object names fail with a message that says they are not
modelled by simobjs and what to use instead: `m5.objects.DerivO3CPU` and
`from m5.objects import DerivO3CPU` give a stand-in that raises it when used
(created, or an attribute read), `hasattr(m5.objects, "DerivO3CPU")` is False
(as ObjectList.py expects), a name gem5 lacks too is an ImportError, and gem5's
per-file modules (`from m5.objects.ReplacementPolicies import LRURP`) exist
with the classes simobjs models.
"""

import dis as _dis
import importlib.abc as _abc
import importlib.machinery as _machinery
import os
import sys
import sys as _sys
import types as _types
from functools import lru_cache as _lru_cache

from simobjs.errors import NotModelledImportError as _NotModelledImportError
from simobjs.objects import *  # noqa: F403
from simobjs.objects import catalog as _catalog
from simobjs.objects import gem5_names as _gem5
from simobjs.params import *  # noqa: F403
from simobjs.params.proxy import Parent, Self
from simobjs.params.types import NULL, AddrRange, AllMemory, MaxAddr, MaxTick
from simobjs.params.values import ByteOrder


@_lru_cache(maxsize=64)
def _bytecode(code) -> bytes:
    return code.co_code  # a fresh copy at every read: a star import asks ~800 times


def _opname(frame) -> str:
    """The instruction `frame` is executing (IMPORT_FROM, IMPORT_STAR, ...)."""
    try:
        return _dis.opname[_bytecode(frame.f_code)[frame.f_lasti]]
    except (AttributeError, IndexError, ValueError, TypeError):
        return ""


class _NotModelledMeta(type):
    """The type of a stand-in for a gem5 class simobjs does not model. A script
    may import it and subclass it (gem5's configs declare subclasses of classes a
    run may not use, e.g. `class MyDisk(IdeDisk)`, when imported);
    creating an object of it, or reading an attribute it does not define,
    raises the not-modelled error, naming the gem5 class at fault."""

    def __new__(mcls, name: str, bases: tuple, body: dict, *, gem5_name: str = ""):
        if not gem5_name:  # `class MyDisk(IdeDisk)` in a script: a stand-in too
            culprit = next(b for b in bases if isinstance(b, _NotModelledMeta))
            gem5_name = culprit._gem5_name
        body = {**body, "_gem5_name": gem5_name, "abstract": True}
        return super().__new__(mcls, name, bases, body)

    def _error(cls):
        err = _gem5.not_modelled(cls._gem5_name, _catalog())
        if cls.__name__ != cls._gem5_name:
            err = type(err)(
                err.name, f"{cls.__name__} derives from {err.problems[0]}", err.alternatives
            )
        return err

    def __call__(cls, *args, **kwargs):
        raise cls._error()

    def __getattr__(cls, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise cls._error()

    def __repr__(cls) -> str:
        return f"<gem5's {cls.__name__}: not modelled by simobjs>"


_stand_ins: dict[str, type] = {}


def _stand_in(name: str) -> type:
    if name not in _stand_ins:
        _stand_ins[name] = _NotModelledMeta(name, (), {}, gem5_name=name)
    return _stand_ins[name]


def _missing(name: str, frame):
    """What `m5.objects.<name>` (or a gem5 module's `<name>`) gives when simobjs
    lacks it: for a gem5 name, a stand-in where code names it (a star import,
    `from m5.objects import name`, `m5.objects.name` in an expression: gem5's
    configs name more than a run uses, e.g. `issubclass(intf,
    m5.objects.NVMInterface)`; the error comes when the stand-in is used); the
    probes `hasattr(m5.objects, name)` and `getattr(m5.objects, name, None)`
    get an AttributeError (so the class is not there, as ObjectList.py
    expects); an ImportError for a name gem5 does not have either."""
    op = _opname(frame) if frame is not None else ""
    naming = op in ("IMPORT_STAR", "IMPORT_FROM", "LOAD_ATTR", "LOAD_METHOD") or (
        frame is not None and frame.f_code.co_name == "_handle_fromlist"  # importlib's probe
    )
    if naming and _gem5.is_gem5_name(name):
        return _stand_in(name)
    err = _gem5.not_modelled(name, _catalog())
    if op == "IMPORT_FROM":
        raise _NotModelledImportError(err) from None
    raise err


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    return _missing(name, _sys._getframe(1))


class _ObjectsModule(_types.ModuleType):
    """m5.objects itself. Importing `m5.objects.SimpleMemory` (gem5 names its
    modules after their main class) must not bind the module over the class
    `SimpleMemory` (gem5's star import also leaves the class in place), nor
    over a gem5 class simobjs lacks (`from m5.objects import SubSystem` first
    imports the module `m5.objects.SubSystem`, then must get the stand-in)."""

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, _types.ModuleType) and (
            isinstance(self.__dict__.get(name), type) or _gem5.is_gem5_name(name)
        ):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _ObjectsModule


def _gem5_module_getattr(module_name: str):
    def __getattr__(name: str):  # noqa: N807 - a module's __getattr__
        if name.startswith("__"):
            raise AttributeError(name)
        if name in _gem5.module_names(module_name):
            return _missing(name, _sys._getframe(1))
        raise AttributeError(f"module 'm5.objects.{module_name}' has no attribute '{name}'")

    return __getattr__


class _Gem5Modules(_abc.MetaPathFinder, _abc.Loader):
    """`m5.objects.<gem5 module>`: the classes gem5 defines there that simobjs has."""

    prefix = __name__ + "."

    def find_spec(self, fullname: str, path=None, target=None):
        if not fullname.startswith(self.prefix):
            return None
        name = fullname[len(self.prefix) :]
        if "." in name or name not in _gem5.modules():
            return None
        return _machinery.ModuleSpec(fullname, self)

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        name = module.__name__[len(self.prefix) :]
        ns = vars(_sys.modules[__name__])
        present = [n for n in _gem5.module_names(name) if isinstance(ns.get(n), type)]
        for n in present:
            setattr(module, n, ns[n])
        module.__all__ = list(_gem5.module_names(name))  # a star import binds stand-ins too
        module.__getattr__ = _gem5_module_getattr(name)


# A star import binds every public name, and a stand-in for each gem5 object
# simobjs lacks (gem5's configs subclass IdeDisk, DerivO3CPU... at module level).
__all__ = sorted(
    {n for n in list(globals()) if not n.startswith("_")}
    | {n for n in [*_gem5.classes(), *_gem5.aliases()] if n not in globals()}
)

if not any(isinstance(f, _Gem5Modules) for f in _sys.meta_path):
    _sys.meta_path.append(_Gem5Modules())
