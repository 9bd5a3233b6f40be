"""Elaboration: gem5's `m5.instantiate()` as a flat phase script.

From the Root() declaration to a Simulation ready to run, in gem5's order
(src/python/m5/simulate.py): fix the tick frequency, adopt orphans and
resolve proxies (`prepare`), write config.ini/json/dot, create the models in
pre-order from their params records, connect ports, `init()`, `regStats()`,
enable stats, then restore a checkpoint (`loadState`) or `initState()`.
The kernel (`simobjs.sim`) only runs what this builds.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from simobjs.base import ticks
from simobjs.config import output
from simobjs.config.params import make_params
from simobjs.config.prepare import prepare, release
from simobjs.errors import CheckpointError, ConfigError, PhaseError, Problem
from simobjs.options import options
from simobjs.params.desc import SimObjectVector
from simobjs.params.simobject import get_root, is_simobject
from simobjs.sim import core, debug
from simobjs.sim.core import Simulation
from simobjs.sim.parallel import QUANTUM_FATAL


class ConfigOnlyStop(Exception):
    """Raised by instantiate() under --config-only once the config files are written."""


def instantiate(
    root: Any = None, ckpt_dir: str | None = None, outdir: str | None = "m5out"
) -> Simulation:
    """gem5's m5.instantiate(): build every model from the Root() declaration."""
    if core.current() is not None:
        raise PhaseError(
            "m5.instantiate() called twice (a simulation is already instantiated; "
            "m5.close() tears it down if another one is wanted)."
        )
    root = root if root is not None else get_root()
    if root is None:
        raise PhaseError("Need to instantiate Root() before calling instantiate()")
    if ckpt_dir is not None and not os.path.isdir(ckpt_dir):
        what = "is not a directory" if os.path.exists(ckpt_dir) else "does not exist"
        raise CheckpointError(f"checkpoint directory {ckpt_dir} {what}")
    sim = Simulation(outdir, stats_file=options.stats_file)
    sim.take_outdir()  # one live run per output directory (before anything is written)
    sim.on_close.append(lambda: release(root, forget_root=True))
    core.set_current(sim)
    try:
        _elaborate(sim, root, ckpt_dir)
    except BaseException:
        sim.abandon()
        release(root, forget_root=False)
        raise
    return sim


def _elaborate(sim: Simulation, root: Any, ckpt_dir: str | None) -> None:
    ticks.fixGlobalFrequency()
    prepare(root)
    if sim.outdir is not None:
        write_config_files(root, sim.outdir)
    if options.config_only:
        raise ConfigOnlyStop()
    debug.set_tick_source(sim.curTick)
    decls = list(root.descendants())
    ModelBuilder(sim, root).create_all(decls)
    connect_ports(decls)
    merge_lone_queues(sim)
    check_quantum(sim)
    sim.init_models()
    if ckpt_dir is not None:
        sim.restore(ckpt_dir)
    else:
        sim.init_state()


def merge_lone_queues(sim: Simulation) -> None:
    """Several queues are worth their threads only if CPUs that run together are on
    two or more of them (one host thread runs one vCPU at a time anyway): otherwise
    every model runs on queue 0, as if all had eventq_index 0 (gem5's standard library
    gives a lone KVM core queue 1, its switch core queue 0)."""
    if len(sim.eventqs) == 1:
        return
    cpus = sim.cpus()
    for out in (False, True):  # the CPUs running at the start, and the switched-out ones
        if len({id(m.eventq) for m in cpus if bool(m.switchedOut()) == out}) >= 2:
            return
    sim.keep_one_queue()


def check_quantum(sim: Simulation) -> None:
    """Several queues need Root.sim_quantum (gem5's fatal, said here with the models
    that asked for the queues)."""
    if len(sim.eventqs) > 1 and sim.sim_quantum <= 0:
        users = [m.name() for m in sim.order if getattr(m, "eventq", None) is not sim.eventq]
        raise ConfigError(
            Problem(
                "root",
                f"fatal: {QUANTUM_FATAL} ({len(sim.eventqs)} event queues: "
                f"{', '.join(users[:4])} use eventq_index > 0); set root.sim_quantum, "
                "e.g. 1 ms",
                "sim_quantum",
            )
        )


def write_config_files(root: Any, outdir: str) -> None:
    """config.ini/json/dot, renamed or turned off as the command line asks
    (--dump-config, --json-config, --dot-config; an empty name turns one off)."""
    wanted = {
        "config.ini": options.dump_config,
        "config.json": options.json_config,
        "config.dot": options.dot_config,
    }
    for path in output.write_all(root, outdir):
        name = os.path.basename(str(path))
        target = wanted.get(name)
        if target is None or target == name:
            continue
        if target:
            os.replace(path, os.path.join(outdir, target))
        else:
            os.remove(path)


def load_model_class(decl: Any) -> type:
    """The runtime class a declaration names (`_model = "module:Class"`)."""
    spec = getattr(type(decl), "_model", None)
    if not spec:
        raise ConfigError(
            Problem(decl.path(), f"{type(decl).__name__} names no runtime model (abstract?)")
        )
    module, _, cls = spec.partition(":")
    try:
        return getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError) as e:
        raise ConfigError(Problem(decl.path(), f"cannot load model {spec}: {e}")) from e


def stat_paths(root: Any) -> dict[int, str]:
    """id(declaration) -> stat group path, with gem5's unpadded vector index (cpu0..cpu10)."""
    out: dict[int, str] = {id(root): ""}

    def visit(obj: Any, base: str) -> None:
        for name, child in obj.children_items():
            if isinstance(child, SimObjectVector):
                members = [c for c in child if is_simobject(c)]
                if len(child) == 1:
                    named = [(name, c) for c in members]
                else:
                    named = [(f"{name}{i}", c) for i, c in enumerate(child) if is_simobject(c)]
            elif is_simobject(child):
                named = [(name, child)]
            else:
                named = []
            for n, c in named:
                if c.get_parent() is not obj:
                    continue  # adopted elsewhere: bound under its own parent
                path = f"{base}.{n}" if base else n
                out[id(c)] = path
                visit(c, path)

    visit(root, "")
    return out


class ModelBuilder:
    """gem5's createCCObject: each model from its params record, SimObject params
    built first (recursively); a cycle among them is a ConfigError."""

    def __init__(self, sim: Simulation, root: Any):
        self.sim = sim
        self.paths = stat_paths(root)
        self.building: list[Any] = []

    def create_all(self, decls: list[Any]) -> None:
        for decl in decls:
            self.create(decl)
        self.sim.set_models([d._ccobject for d in decls])

    def create(self, decl: Any) -> Any:
        model = decl._ccobject
        if model is not None:
            return model
        building = self.building
        if any(d is decl for d in building):
            chain = [d.path() for d in building[building.index(decl) :]] + [decl.path()]
            raise ConfigError(
                Problem(decl.path(), f"cycle in SimObject params: {' -> '.join(chain)}")
            )
        building.append(decl)
        try:
            cls = load_model_class(decl)
            params = make_params(decl, self.resolve, self.sim)
            try:
                model = cls(params)
            except Exception as e:
                e.add_note(f"while building {decl.path()} ({cls.__module__}.{cls.__name__})")
                raise
        finally:
            building.pop()
        index = getattr(params, "eventq_index", 0) or 0
        if index:
            model.use_queue(self.sim.queue(index))
        model._stat_path = self.paths.get(id(decl), decl.path())
        decl._ccobject = model
        self.sim.add_model(decl.path(), model)
        return model

    def resolve(self, value: Any) -> Any:
        """A frozen param value with declarations replaced by their models."""
        if is_simobject(value):
            return self.create(value)
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value


def connect_ports(decls: list[Any]) -> None:
    """gem5's connectPorts: bind each connected pair once."""
    done: set[tuple] = set()
    for decl in decls:
        for b in decl.port_bindings():
            a_key = (decl.path(), b.port, b.index)
            p_key = (b.peer.path(), b.peer_port, b.peer_index)
            key = (a_key, p_key) if a_key <= p_key else (p_key, a_key)
            if key in done:
                continue
            done.add(key)
            try:
                port = decl._ccobject.getPort(b.port, b.index)
                peer = b.peer._ccobject.getPort(b.peer_port, b.peer_index)
            except ConfigError:
                raise
            except Exception as e:  # noqa: BLE001 - report which binding failed
                raise ConfigError(
                    Problem(
                        decl.path(),
                        f"cannot connect {b.port} to {b.peer.path()}.{b.peer_port}: {e}",
                    )
                ) from e
            port.bind(peer)
