"""gem5's m5.SimObject module: the SimObject base class and its helpers."""

from __future__ import annotations

from typing import Any

from simobjs.errors import UnsupportedError
from simobjs.params import SimObject
from simobjs.params.desc import SimObjectVector, is_simobject, is_simobject_class
from simobjs.params.meta import MetaSimObject  # noqa: F401 - gem5 has it here
from simobjs.params.values import ByteOrder  # noqa: F401 - gem5's star import carries it

__all__ = ["SimObject", "cxxMethod", "PyBindMethod", "PyBindProperty"]


def isSimObject(value: Any) -> bool:
    return is_simobject(value)


def isSimObjectClass(value: Any) -> bool:
    return is_simobject_class(value)


def isSimObjectVector(value: Any) -> bool:
    return isinstance(value, SimObjectVector)


def isSimObjectSequence(value: Any) -> bool:
    if not isinstance(value, list | tuple) or len(value) == 0:
        return False
    return all(v is None or is_simobject(v) for v in value)


def isSimObjectOrSequence(value: Any) -> bool:
    return is_simobject(value) or isSimObjectSequence(value)


def isSimObjectOrVector(value: Any) -> bool:
    return is_simobject(value) or isSimObjectVector(value)


def isRoot(obj: Any) -> bool:
    from simobjs.objects.sim import Root

    return isinstance(obj, Root)


def _no_cxx(what: str) -> UnsupportedError:
    return UnsupportedError(
        f"{what}: simobjs has no C++ side to bind; a model's methods are plain Python "
        "methods of the class its declaration names in `_model`, and a declaration "
        "reaches them through the instantiated object"
    )


def cxxMethod(*args: Any, **kwargs: Any) -> Any:
    """gem5 exports a C++ method to Python with it; simobjs's models are Python."""
    raise _no_cxx("cxxMethod")


def PyBindMethod(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 - gem5's name
    raise _no_cxx("PyBindMethod")


def PyBindProperty(*args: Any, **kwargs: Any) -> Any:  # noqa: N802
    raise _no_cxx("PyBindProperty")
