"""m5.switchCpus: hand the threads of running CPUs to switched-out ones (gem5's checks)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from simobjs.errors import ConfigRuntimeError, ConfigTypeError, Problem

if TYPE_CHECKING:
    from simobjs.sim.core import Simulation


def _model(obj: Any) -> Any:
    """Accept a declaration (gem5 scripts pass those) or a model."""
    if getattr(type(obj), "_is_simobject_class", False):
        return obj.getCCObject()
    return obj


def _name(cpu: Any) -> str:
    fn = getattr(cpu, "name", None)
    return fn() if callable(fn) else repr(cpu)


def switch_cpus(sim: Simulation, system: Any, cpu_list: Any, verbose: bool = True) -> None:
    """gem5's m5.switchCpus(system, [(old, new), ...]): check, drain, switch out, take over."""
    if verbose:
        print("switching cpus")
    if not isinstance(cpu_list, list):
        raise ConfigRuntimeError(Problem("switchCpus", "Must pass a list to this function"))
    for item in cpu_list:
        if not isinstance(item, tuple) or len(item) != 2:
            raise ConfigRuntimeError(
                Problem("switchCpus", "List must have tuples of (oldCPU,newCPU)")
            )
    if not cpu_list:
        raise ConfigRuntimeError(Problem("switchCpus", "no CPUs to switch"))
    pairs = [(_model(old), _model(new)) for old, new in cpu_list]
    old_set = {id(old) for old, _ in pairs}
    memory_mode = pairs[0][1].memory_mode() if getattr(pairs[0][1], "is_cpu", False) else None
    for old, new in pairs:
        for cpu in (old, new):
            if not getattr(cpu, "is_cpu", False):
                raise ConfigTypeError(Problem(_name(cpu), f"{_name(cpu)} is not of type BaseCPU"))
        if id(new) in old_set:
            raise ConfigRuntimeError(
                Problem(new.name(), f"New CPU ({new.name()}) is in the list of old CPUs.")
            )
        if not new.switchedOut():
            raise ConfigRuntimeError(
                Problem(new.name(), f"New CPU ({new.name()}) is already active.")
            )
        if not new.support_take_over():
            raise ConfigRuntimeError(
                Problem(new.name(), f"New CPU ({new.name()}) does not support CPU handover.")
            )
        if new.memory_mode() != memory_mode:
            raise ConfigRuntimeError(
                Problem(
                    new.name(),
                    f"{new.name()} and {pairs[0][1].name()} require different memory modes.",
                )
            )
        if old.switchedOut():
            raise ConfigRuntimeError(Problem(old.name(), f"Old CPU ({old.name()}) is inactive."))
    sim.drain()
    for old, _ in pairs:
        old.switchOut()
    sys_model = _model(system)
    if sys_model.getMemoryMode() != memory_mode:
        if memory_mode == "atomic_noncaching":
            sim.memWriteback()
            sim.memInvalidate()
        sys_model.setMemoryMode(memory_mode)
    for old, new in pairs:
        new.takeOverFrom(old)
