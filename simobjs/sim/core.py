"""The simulation object: instantiate and simulate in gem5's phase order.

`Simulation` holds the event queue, the root declaration, the models by path,
the output directory, the stats, the drain manager and the phase.
`current()` returns the one the `m5.*` functions act on.
"""

from __future__ import annotations

import atexit
import importlib
import os
import signal
import sys
import threading
from typing import Any

from simobjs.errors import (
    CheckpointError,
    ConfigError,
    PhaseError,
    Problem,
    SimulationError,
    Terminated,
    UsageError,
)
from simobjs.sim import debug, ticks
from simobjs.sim import outdir as _outdir
from simobjs.sim.drain import DrainManager, DrainState
from simobjs.sim.eventq import EventQueue, MaxTick
from simobjs.sim.model import Model, Params, innermost_model
from simobjs.sim.sim_events import GlobalSimLoopExitEvent, SimLoopExit
from simobjs.sim.stat_control import StatsControl

_current: Simulation | None = None
_lost_stats: OSError | None = None  # a final stats dump of this process failed
_closed = False  # the last simulation was torn down with close()

# Observers of every simulate() call (the command's progress line, run records):
# objects with simulate_begin(sim) and simulate_end(sim, exit_event_or_None).
# They must only read: a run with listeners gives the same results as one without.
listeners: list[Any] = []

CAUSE_LIMIT = "simulate() limit reached"
CAUSE_TICK_EXIT = "Tick exit reached"
CAUSE_INTERRUPT = "user interrupt received"
CAUSE_DRAINED = "Finished drain"


class ConfigOnlyStop(Exception):
    """Raised by instantiate() under --config-only once the config files are written."""


def _run_options():
    from simobjs.options import options

    return options


def _on_stats_signal(signo: int, frame: Any) -> None:
    """SIGUSR1 / SIGUSR2, for whichever simulation is current (none: ignored)."""
    sim = _current
    if sim is not None:
        sim._on_signal(signo, frame)


def _on_terminate(signo: int, frame: Any) -> None:
    """SIGTERM outside the event loop: end the process the way an exit does (the final
    stats dump runs on the way out; a checkpoint being written is left out whole)."""
    sim = _current
    raise Terminated(signo, sim.curTick() if sim is not None else None)


def _keep_stats_signals() -> None:
    """Install the stats signal handlers once, for the rest of the process (gem5
    installs them at startup; the command does so too): a signal between simulate()
    calls must not kill it. Before a simulation exists they are ignored. SIGTERM
    ends the run cleanly (stats written, exit status 143) instead of killing it."""
    if signal.getsignal(signal.SIGUSR1) is not _on_stats_signal:
        signal.signal(signal.SIGUSR1, _on_stats_signal)
        signal.signal(signal.SIGUSR2, _on_stats_signal)
    if signal.getsignal(signal.SIGTERM) is not _on_terminate:
        signal.signal(signal.SIGTERM, _on_terminate)


def current() -> Simulation | None:
    """The instantiated simulation (None before m5.instantiate())."""
    return _current


def require(what: str = "m5.simulate()") -> Simulation:
    """The current simulation, for `what` (the m5 call being made): a PhaseError naming
    that call when nothing is instantiated (or the last simulation was closed)."""
    if _current is None or _current.phase == "closed":
        closed = " (the last simulation was torn down by m5.close())" if _closed else ""
        raise PhaseError(f"m5.instantiate() must be called before {what}.{closed}")
    return _current


def _is_decl(value: Any) -> bool:
    return getattr(type(value), "_is_simobject_class", False)


def _load_model_class(decl: Any) -> type:
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
    from simobjs.params.desc import SimObjectVector

    out: dict[int, str] = {id(root): ""}

    def visit(obj: Any, base: str) -> None:
        for name, child in obj.children_items():
            if isinstance(child, SimObjectVector):
                members = [c for c in child if _is_decl(c)]
                if len(child) == 1:
                    named = [(name, c) for c in members]
                else:
                    named = [(f"{name}{i}", c) for i, c in enumerate(child) if _is_decl(c)]
            elif _is_decl(child):
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


class Simulation:
    """One instantiated configuration and its run state."""

    def __init__(self, root: Any, outdir: str | None = "m5out"):
        self.root = root
        self.outdir = outdir
        self.eventq = EventQueue()
        self.models: dict[str, Any] = {}  # by path, in creation order
        self.order: list[Any] = []  # descendants (pre-order) order, for the phases
        self.phase = "created"
        self.need_startup = True
        self.restored_from: str | None = None
        self._interrupts: list[int] = []
        # called on Ctrl-C and the stats signals (main thread, between bytecodes): models
        # running guest code outside the event loop add a kick
        self.interrupt_hooks: list[Any] = []
        self._limit_event: GlobalSimLoopExitEvent | None = None
        self.tick_exits: list[GlobalSimLoopExitEvent] = []
        self._finalized = False
        self.final_dump_error: OSError | None = None
        self.holds_outdir = False  # instantiate() took the outdir lock for it
        self.stats = StatsControl(
            lambda: self.order, self.eventq.curTick, self.cpus, outdir,
            stats_file=_run_options().stats_file,
        )  # fmt: skip
        self.drain_manager = DrainManager(lambda: self.order, self.exitSimLoop, self._drain_trace)
        self.phase_log: list[tuple[str, str]] = []

    # -- helpers --------------------------------------------------------------------
    def _drain_trace(self, fmt: str, *args: Any) -> None:
        if debug.flags.Drain:
            debug.dprintf("drain", fmt, *args)

    def curTick(self) -> int:
        return self.eventq._cur_tick

    def cpus(self) -> list[Any]:
        return [m for m in self.order if getattr(m, "is_cpu", False)]

    def model(self, path: str) -> Any:
        return self.models[path]

    def _each(self, hook: str, *args: Any) -> None:
        for m in self.order:
            try:
                getattr(m, hook)(*args)
            except Exception as e:
                e.add_note(f"in {m.name()}.{hook}()")
                raise

    # -- instantiate ------------------------------------------------------------------
    def instantiate(self, ckpt_dir: str | None = None) -> None:
        from simobjs import config

        if self.phase != "created":
            raise PhaseError("m5.instantiate() called twice.")
        ticks.fixGlobalFrequency()
        config.prepare(self.root)
        opts = _run_options()
        if self.outdir is not None:
            self._write_config(config)
        if opts.config_only:
            raise ConfigOnlyStop()
        debug.set_tick_source(self.eventq.curTick)
        decls = list(self.root.descendants())
        paths = stat_paths(self.root)
        building: list[Any] = []
        for decl in decls:
            self._create(decl, building, paths)
        self.order = [d._ccobject for d in decls]
        self._connect_ports(decls)
        self._each("init")
        self._each("regStats")
        self.stats.enable()
        if ckpt_dir is not None:
            from simobjs.sim.checkpoint import restore

            self.drain_manager.pre_checkpoint_restore()
            restore(self, ckpt_dir)
            self.restored_from = ckpt_dir
        else:
            self._each("initState")
        self.phase = "instantiated"

    def _write_config(self, config: Any) -> None:
        """config.ini/json/dot, renamed as the command line asks (--dump-config ...)."""
        opts = _run_options()
        written = config.write_all(self.root, self.outdir)
        wanted = {"config.ini": opts.dump_config, "config.json": opts.json_config,
                  "config.dot": opts.dot_config}  # fmt: skip
        for path in written:
            target = wanted.get(os.path.basename(str(path)))
            if target is None or target == os.path.basename(str(path)):
                continue
            if target:
                os.replace(path, os.path.join(self.outdir, target))
            else:
                os.remove(path)  # an empty name turns that output off

    def _create(self, decl: Any, building: list[Any], paths: dict[int, str]) -> Any:
        model = getattr(decl, "_ccobject", None)
        if model is not None:
            return model
        if any(d is decl for d in building):
            chain = (
                " -> ".join(d.path() for d in building[building.index(decl) :])
                + " -> "
                + decl.path()
            )
            raise ConfigError(Problem(decl.path(), f"cycle in SimObject params: {chain}"))
        building.append(decl)
        try:
            values: dict[str, Any] = {}
            for key, value in decl.frozen_params().items():
                values[key] = self._resolve(value, building, paths)
            params = Params(**values)
            params.name = decl.path()
            params.sim = self
            params.decl_class = type(decl)
            cls = _load_model_class(decl)
            try:
                model = cls(params.freeze())
            except Exception as e:
                e.add_note(f"while building {decl.path()} ({cls.__module__}.{cls.__name__})")
                raise
        finally:
            building.pop()
        model._stat_path = paths.get(id(decl), decl.path())
        decl._ccobject = model
        self.models[decl.path()] = model
        return model

    def _resolve(self, value: Any, building: list[Any], paths: dict[int, str]) -> Any:
        if _is_decl(value):
            return self._create(value, building, paths)
        if isinstance(value, list):
            return [self._resolve(v, building, paths) for v in value]
        return value

    def _connect_ports(self, decls: list[Any]) -> None:
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

    # -- simulate ---------------------------------------------------------------------
    def _check_ready(self) -> None:
        if self.phase != "instantiated":
            raise PhaseError("m5.instantiate() must be called before m5.simulate().")

    def _check_tick(self, what: str, tick: int) -> int:
        """An absolute tick given to the API: an integer, not in the past, not past MaxTick."""
        if isinstance(tick, bool) or not isinstance(tick, int):
            raise UsageError(f"{what}: expected an integer tick, got {tick!r}")
        if tick < self.curTick() or tick > MaxTick:
            raise UsageError(
                f"{what}: tick {tick} is outside [curTick() = {self.curTick()}, MaxTick = "
                f"{MaxTick}]"
            )
        return tick

    def setMaxTick(self, tick: int) -> None:
        self._check_tick("m5.setMaxTick()", tick)
        if self._limit_event is None:
            self._limit_event = GlobalSimLoopExitEvent(CAUSE_LIMIT, 0)
        self.eventq.reschedule(self._limit_event, tick, always=True)

    def getMaxTick(self) -> int:
        ev = self._limit_event
        return ev.when() if ev is not None else MaxTick

    def exitSimLoop(
        self, cause: str, code: int = 0, delay: int = 0, repeat: int = 0, when: int | None = None
    ) -> None:
        """End the current simulate() with `cause` (e.g. m5_exit), `delay` ticks from now.

        gem5's exitSimLoop takes an absolute tick; here that is `when=`, and the
        third positional argument is a delay (what m5ops and models compute).
        """
        ev = GlobalSimLoopExitEvent(cause, code, repeat, home=self.eventq)
        self.eventq.schedule(ev, self.curTick() + delay if when is None else when)

    def scheduleTickExitAbsolute(self, tick: int, cause: str = CAUSE_TICK_EXIT) -> None:
        self._check_tick("m5.scheduleTickExitAbsolute()", tick)
        ev = GlobalSimLoopExitEvent(cause, 0)
        self.eventq.schedule(ev, tick)
        self.tick_exits.append(ev)

    def scheduleTickExitFromCurrent(self, ticks_: int, cause: str = CAUSE_TICK_EXIT) -> None:
        if isinstance(ticks_, bool) or not isinstance(ticks_, int) or ticks_ < 0:
            raise UsageError(
                f"m5.scheduleTickExitFromCurrent(): expected a tick count >= 0, got {ticks_!r}"
            )
        self.scheduleTickExitAbsolute(min(self.curTick() + ticks_, MaxTick), cause)

    def startup(self) -> None:
        self._each("startup")
        atexit.register(self.finalize)
        self.stats.reset()
        self.need_startup = False

    def simulate(self, ticks_: int = -1) -> Any:
        """Run until an exit event; returns it (getCause(), getCode())."""
        self._check_ready()
        if ticks_ is not None and ticks_ != -1:
            if isinstance(ticks_, bool) or not isinstance(ticks_, int) or ticks_ < 0:
                raise UsageError(
                    f"m5.simulate(): expected a tick count >= 0 (or -1 for no limit), "
                    f"got {ticks_!r}"
                )
        if self.need_startup:
            self.startup()
        if self.drain_manager.isDrained():
            self.drain_manager.resume()
        sys.stdout.flush()
        sys.stderr.flush()
        for listener in list(listeners):
            listener.simulate_begin(self)
        result: Any = None
        try:
            result = self._run(ticks_)
            return result
        finally:
            for listener in list(listeners):
                listener.simulate_end(self, result)  # result None: simulate() raised
            sys.stdout.flush()
            sys.stderr.flush()

    def _run(self, ticks_: int = -1) -> Any:
        now = self.curTick()
        print(f"info: Entering event queue @ {now}.  Starting simulation...", file=sys.stderr)
        if self._limit_event is None or not self._limit_event.scheduled():
            self.setMaxTick(MaxTick)  # no limit: gem5's "simulate() limit reached" at MaxTick
        if ticks_ is not None and ticks_ != -1:
            self.setMaxTick(now + ticks_ if ticks_ < MaxTick - now else MaxTick)
        interrupts = self._interrupts
        asked = set(interrupts)  # stats signals that came between simulate() calls
        interrupts.clear()
        self._signalled_stats(asked)
        old_sigint = old_sigterm = None
        main = threading.current_thread() is threading.main_thread()
        if main:
            old_sigint = signal.signal(signal.SIGINT, self._on_signal)
            old_sigterm = signal.signal(signal.SIGTERM, self._on_signal)
            _keep_stats_signals()
        try:
            while True:
                if debug.flags.Event:
                    self.eventq.run_traced(interrupts, self._trace_event)
                else:
                    self.eventq.run(interrupts)
                if not interrupts:  # only if someone descheduled the limit event
                    raise SimulationError("the event queue ran empty: nothing left to simulate")
                asked = set(interrupts)
                interrupts.clear()
                self._signalled_stats(asked)
                if signal.SIGTERM in asked:  # stopped at the next event: end the run
                    raise Terminated(signal.SIGTERM, self.curTick())
                if signal.SIGINT in asked:
                    return GlobalSimLoopExitEvent(CAUSE_INTERRUPT, 0)
        except SimLoopExit as e:
            ev = e.event
            if ev in self.tick_exits:
                self.tick_exits.remove(ev)
            return ev
        except SimulationError:
            raise
        except Exception as exc:  # noqa: BLE001 - wrapped with the object that failed
            raise self._wrap(exc) from exc
        finally:
            if main:
                signal.signal(signal.SIGINT, old_sigint)
                signal.signal(signal.SIGTERM, old_sigterm)
            interrupts[:] = [s for s in interrupts if s not in (signal.SIGINT, signal.SIGTERM)]

    def _on_signal(self, signo: int, frame: Any) -> None:
        """Ctrl-C (SIGINT) during simulate(), SIGUSR1 (dump the stats) and SIGUSR2
        (dump and reset them) at any time after the first simulate(), as gem5: the event
        loop stops at the next event to act on it; models running guest code outside
        it (a KVM CPU in KVM_RUN) are asked to come back now. A stats signal that comes
        between simulate() calls is served when the next one starts."""
        self._interrupts.append(signo)
        for kick in list(self.interrupt_hooks):
            kick()

    def _signalled_stats(self, asked: set[int]) -> None:
        """SIGUSR1 / SIGUSR2 received: one dump at the current tick (several signals
        before the loop stopped count once), then a reset for SIGUSR2."""
        if signal.SIGUSR1 in asked or signal.SIGUSR2 in asked:
            self.stats.dump()
        if signal.SIGUSR2 in asked:
            self.stats.reset()

    def _trace_event(self, event: Any) -> None:
        debug.dprintf("eventq", "%s executed @ %d (pri %d)", event.description(), event.when(),
                      event.priority())  # fmt: skip

    def _wrap(self, exc: Exception) -> SimulationError:
        """The error with the path of the model that raised (innermost `self` that is a model)."""
        path = getattr(exc, "path", None)
        if path is None:
            path = innermost_model(exc)
        event = getattr(exc, "sim_event", None)
        if path is None and event is not None:
            owner = getattr(getattr(event, "callback", None), "__self__", None)
            if isinstance(owner, Model):
                path = owner.name()
            else:
                path = f"event '{event.description()}'"
        rip = getattr(exc, "rip", None)
        return SimulationError(f"{type(exc).__name__}: {exc}", path, rip)

    # -- drain, memory, checkpoints ---------------------------------------------------------
    def drain(self) -> None:
        """Drain every model, simulating until 'Finished drain' as often as needed."""
        self._check_ready()
        dm = self.drain_manager
        while not dm.isDrained():
            if dm.try_drain():
                break
            ev = self._run()
            while ev.getCause() != CAUSE_DRAINED:
                if ev.getCause() == CAUSE_INTERRUPT:
                    raise SimulationError("drain interrupted (user interrupt received)")
                if self.curTick() == MaxTick:
                    stuck = [m.name() for m in self.order if m.drainState() is DrainState.Draining]
                    raise SimulationError(
                        f"drain never finished; still draining: {', '.join(stuck)}"
                    )
                ev = self._run()
        if not dm.isDrained():
            raise RuntimeError("Drain state inconsistent")

    def memWriteback(self) -> None:
        self._each("memWriteback")

    def memInvalidate(self) -> None:
        self._each("memInvalidate")

    def checkpoint(self, directory: str) -> str:
        from simobjs.sim.checkpoint import checkpoint

        return checkpoint(self, directory)

    # -- stats -------------------------------------------------------------------------------
    def finalize(self) -> None:
        """The exit-path stats dump (once): gem5's atexit dump, also called by the CLI.
        A dump that cannot be written is reported (and kept in `final_dump_error`: the
        command then exits non-zero), never raised on the way out."""
        if self._finalized or self.phase not in ("instantiated",):
            return
        self._finalized = True
        try:
            self.stats.dump(final=True)
        except OSError as e:
            global _lost_stats
            self.final_dump_error = _lost_stats = e
            where = f"{e.filename}: " if e.filename else ""
            print(f"fatal: could not write the final stats: {where}{e.strerror or e}",
                  file=sys.stderr)  # fmt: skip

    # -- teardown ----------------------------------------------------------------------------
    def close(self) -> None:
        """Tear down (beyond gem5): the final stats dump (the one gem5 makes at exit),
        then close models, release the declarations, unfix the clock."""
        global _current, _closed
        if self.phase == "closed":
            return
        self.finalize()
        try:
            atexit.unregister(self.finalize)
        except Exception:  # noqa: BLE001
            pass
        errors = []
        for m in reversed(self.order or list(self.models.values())):
            closer = getattr(m, "close", None)
            if closer is not None:
                try:
                    closer()
                except Exception as e:  # noqa: BLE001 - close everything, report after
                    errors.append(f"{m.name()}: {e}")
        try:
            from simobjs.config import release

            release(self.root, forget_root=True)
        except Exception as e:  # noqa: BLE001
            errors.append(f"release: {e}")
        ticks.unfixGlobalFrequency()
        debug.set_tick_source(None)
        self.phase = "closed"
        if self.holds_outdir:
            _outdir.release(self.outdir)
            self.holds_outdir = False
        if _current is self:
            _current = None
            _closed = True
        if errors:
            raise SimulationError("errors while closing: " + "; ".join(errors))


def instantiate(
    root: Any = None, ckpt_dir: str | None = None, outdir: str | None = "m5out"
) -> Simulation:
    """gem5's m5.instantiate(): build every model from the Root() declaration."""
    global _current, _closed
    if _current is not None and _current.phase != "closed":
        raise PhaseError(
            "m5.instantiate() called twice (a simulation is already instantiated; "
            "m5.close() tears it down if another one is wanted)."
        )
    if root is None:
        from simobjs.params.simobject import get_root

        root = get_root()
    if root is None:
        raise PhaseError("Need to instantiate Root() before calling instantiate()")
    if ckpt_dir is not None and not os.path.isdir(ckpt_dir):
        what = "is not a directory" if os.path.exists(ckpt_dir) else "does not exist"
        raise CheckpointError(f"checkpoint directory {ckpt_dir} {what}")
    if outdir is not None:
        _outdir.acquire(outdir)  # one live run per output directory
    sim = Simulation(root, outdir)
    sim.holds_outdir = outdir is not None
    _current, _closed = sim, False
    try:
        sim.instantiate(ckpt_dir)
    except BaseException:
        _current = None
        sim.phase = "failed"
        if sim.holds_outdir:
            _outdir.release(outdir)
            sim.holds_outdir = False
        for m in reversed(list(sim.models.values())):
            closer = getattr(m, "close", None)
            if closer is not None:
                try:
                    closer()
                except Exception:  # noqa: BLE001, S110 - already failing
                    pass
        try:
            from simobjs.config import release

            release(root, forget_root=False)
        except Exception:  # noqa: BLE001, S110
            pass
        raise
    return sim


def finalize(code: int = 0) -> int:
    """The command line's exit path: dump stats once (if a simulation ran); returns `code`
    (1 instead of 0 when the final stats could not be written: output was lost)."""
    sim = _current
    if sim is not None:
        sim.finalize()
    return 1 if code == 0 and _lost_stats is not None else code
