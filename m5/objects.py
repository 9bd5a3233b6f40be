"""`from m5.objects import *`: the catalog plus, as gem5's star import does,
Param, VectorParam, AddrRange, NULL, Parent, Self, MaxAddr, the port classes
and os. Asking for a gem5 object that simobjs does not model raises a
ConfigError naming what is supported."""

import os

from simobjs.errors import ConfigAttributeError, Problem
from simobjs.objects import *  # noqa: F403
from simobjs.objects import __dict__ as _catalog_ns
from simobjs.objects import catalog as _catalog
from simobjs.objects import concrete as _concrete
from simobjs.params import *  # noqa: F403
from simobjs.params.proxy import Parent, Self
from simobjs.params.types import NULL, AddrRange, AllMemory, MaxAddr, MaxTick


def __getattr__(name: str):
    if name.startswith("__"):
        raise AttributeError(name)
    supported = ", ".join(sorted(_concrete()))
    raise ConfigAttributeError(
        Problem(
            "m5.objects",
            f"not supported by simobjs: {name}. Supported objects: {supported}",
            got=name,
        )
    )
