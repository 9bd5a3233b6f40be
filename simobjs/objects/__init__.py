"""The catalog of declarations, one module per family. Importing it never
imports a runtime model: each class names its model by string (`_model`)."""

from simobjs.objects import cache, cpu, dev, dram, kvm, mem, sim, system, workload, x86, xbar
from simobjs.objects.cache import *  # noqa: F403
from simobjs.objects.cpu import *  # noqa: F403
from simobjs.objects.dev import *  # noqa: F403
from simobjs.objects.dram import *  # noqa: F403
from simobjs.objects.kvm import *  # noqa: F403
from simobjs.objects.mem import *  # noqa: F403
from simobjs.objects.sim import *  # noqa: F403
from simobjs.objects.system import *  # noqa: F403
from simobjs.objects.workload import *  # noqa: F403
from simobjs.objects.x86 import *  # noqa: F403
from simobjs.objects.xbar import *  # noqa: F403
from simobjs.params import SimObject
from simobjs.params.desc import is_simobject_class

_MODULES = (sim, mem, workload, system, xbar, cache, dram, dev, cpu, x86, kvm)


def catalog() -> dict[str, type]:
    """Every SimObject class of the catalog by name (abstract ones included)."""
    out: dict[str, type] = {"SimObject": SimObject}
    for mod in _MODULES:
        for name in mod.__all__:
            value = getattr(mod, name)
            if is_simobject_class(value):
                out[name] = value
    return out


def concrete() -> dict[str, type]:
    """The classes a configuration may instantiate."""
    return {n: c for n, c in catalog().items() if not c.abstract and c._model}


def supported_names() -> list[str]:
    """Names of the objects a configuration may instantiate, sorted."""
    return sorted(concrete())


__all__ = sorted(
    {name for mod in _MODULES for name in mod.__all__} | {"catalog", "concrete", "supported_names"}
)
