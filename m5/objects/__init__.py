"""`from m5.objects import *`: the catalog plus, as gem5's star import does,
Param, VectorParam, AddrRange, NULL, Parent, Self, MaxAddr, the port classes
and os.

gem5's other object names fail with a message that says they are not
modelled by simobjs and what to use instead: `m5.objects.DerivO3CPU` raises
an AttributeError (so `hasattr()` is False, as ObjectList.py expects), `from
m5.objects import DerivO3CPU` an ImportError with the same message, and gem5's
per-file modules (`from m5.objects.ReplacementPolicies import LRURP`) exist
with the classes simobjs models.
"""

import dis as _dis
import importlib.abc as _abc
import importlib.machinery as _machinery
import os
import sys as _sys
import types as _types

from simobjs.errors import NotModelledImportError as _NotModelledImportError
from simobjs.objects import *  # noqa: F403
from simobjs.objects import catalog as _catalog
from simobjs.objects import gem5_names as _gem5
from simobjs.params import *  # noqa: F403
from simobjs.params.proxy import Parent, Self
from simobjs.params.types import NULL, AddrRange, AllMemory, MaxAddr, MaxTick
from simobjs.params.values import ByteOrder


def _called_by_import_from(frame) -> bool:
    """Is `frame` executing `from m5.objects import X`? (Python turns an
    AttributeError there into a bare "cannot import name"; ours keeps its text.)"""
    try:
        return _dis.opname[frame.f_code.co_code[frame.f_lasti]] == "IMPORT_FROM"
    except (AttributeError, IndexError, ValueError):
        return False


def _missing(name: str, frame) -> None:
    err = _gem5.not_modelled(name, _catalog())
    if frame is not None and _called_by_import_from(frame):
        raise _NotModelledImportError(err) from None
    raise err


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    _missing(name, _sys._getframe(1))


class _ObjectsModule(_types.ModuleType):
    """m5.objects itself. Importing `m5.objects.SimpleMemory` (gem5 names its
    modules after their main class) must not replace the class `SimpleMemory`
    with that module, as gem5's star import also leaves the class in place."""

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, _types.ModuleType) and isinstance(self.__dict__.get(name), type):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _ObjectsModule


def _gem5_module_getattr(module_name: str):
    def __getattr__(name: str):  # noqa: N807 - a module's __getattr__
        if name.startswith("__"):
            raise AttributeError(name)
        if name in _gem5.module_names(module_name):
            _missing(name, _sys._getframe(1))
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
        if _gem5.is_gem5_name(name) and not isinstance(ns.get(name), type):
            # `from m5.objects import SubSystem` ends up here for an unmodelled class
            raise _NotModelledImportError(_gem5.not_modelled(name, _catalog()))
        present = [n for n in _gem5.module_names(name) if isinstance(ns.get(n), type)]
        for n in present:
            setattr(module, n, ns[n])
        module.__all__ = present
        module.__getattr__ = _gem5_module_getattr(name)


if not any(isinstance(f, _Gem5Modules) for f in _sys.meta_path):
    _sys.meta_path.append(_Gem5Modules())
