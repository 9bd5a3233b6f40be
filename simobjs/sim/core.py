"""The simulation object: instantiate and simulate in gem5's phase order.

`Simulation` holds the event queues, the models by path, the output directory,
the stats, the drain manager and the phase; elaboration (simobjs.config.build)
creates and wires the models and drives the phases up to simulate().
`current()` returns the one the `m5.*` functions act on.
"""

from __future__ import annotations

import atexit
import signal
import sys
import threading
from collections.abc import Callable
from enum import Enum
from typing import Any

from simobjs.base import ticks
from simobjs.errors import PhaseError, SimulationError, Terminated, UsageError
from simobjs.sim import debug
from simobjs.sim import outdir as _outdir
from simobjs.sim.drain import DrainManager, DrainState
from simobjs.sim.eventq import EventQueue, MaxTick
from simobjs.sim.model import Model, innermost_model
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


class Phase(Enum):
    """Where a Simulation is in its life."""

    CREATED = "created"  # elaboration under way (simobjs.config.build)
    INSTANTIATED = "instantiated"  # models built: simulate() may run
    FAILED = "failed"  # elaboration failed
    CLOSED = "closed"  # torn down: another may be instantiated


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
    """The instantiated simulation (None before m5.instantiate() and after close())."""
    return _current


def set_current(sim: Simulation | None) -> None:
    """Make `sim` the one the `m5.*` functions act on (elaboration does this)."""
    global _current, _closed
    _current = sim
    if sim is not None:
        _closed = False


def require(what: str = "m5.simulate()") -> Simulation:
    """The current simulation, for `what` (the m5 call being made): a PhaseError naming
    that call when nothing is instantiated (or the last simulation was closed)."""
    if _current is None or _current.phase is not Phase.INSTANTIATED:
        closed = " (the last simulation was torn down by m5.close())" if _closed else ""
        raise PhaseError(f"m5.instantiate() must be called before {what}.{closed}")
    return _current


class Simulation:
    """One instantiated configuration and its run state."""

    def __init__(self, outdir: str | None = "m5out", stats_file: str = "stats.txt"):
        self.outdir = outdir
        self.eventq = EventQueue()
        self.eventqs: list[EventQueue] = [self.eventq]  # by eventq_index
        self._thread = threading.local()  # the queue this host thread runs (several queues)
        self._parallel: Any = None  # simobjs.sim.parallel.ParallelQueues, with several queues
        self.sim_quantum = 0  # ticks between the queues' barriers (set by Root, as in gem5)
        self.models: dict[str, Any] = {}  # by path, in creation order
        self.order: list[Any] = []  # descendants (pre-order) order, for the phases
        self.phase = Phase.CREATED
        self.need_startup = True
        self.restored_from: str | None = None
        self._interrupts: list[int] = []
        # called on Ctrl-C and the stats signals (main thread, between bytecodes): models
        # running guest code outside the event loop add a kick
        self.interrupt_hooks: list[Any] = []
        # called by close() after the models are closed (elaboration releases its
        # declarations here, so the same script may instantiate again)
        self.on_close: list[Callable[[], None]] = []
        self._limit_event: GlobalSimLoopExitEvent | None = None
        self.tick_exits: list[GlobalSimLoopExitEvent] = []
        # exits that fired while drain() simulated (an m5_exit, a tick exit...): the next
        # simulate() returns them, in order, before simulating anything
        self.held_exits: list[Any] = []
        self._finalized = False
        self.final_dump_error: OSError | None = None
        self.holds_outdir = False  # take_outdir() locked the output directory for it
        self.stats = StatsControl(
            lambda: self.order, self.eventq.curTick, self.cpus, outdir, stats_file=stats_file
        )
        self.drain_manager = DrainManager(lambda: self.order, self.exitSimLoop, self._drain_trace)

    # -- helpers --------------------------------------------------------------------
    def _drain_trace(self, fmt: str, *args: Any) -> None:
        if debug.flags.Drain:
            debug.dprintf("drain", fmt, *args)

    def curTick(self) -> int:
        """The current tick of the queue this thread runs (queue 0 outside simulate())."""
        return getattr(self._thread, "eventq", self.eventq).now

    def current_eventq(self) -> EventQueue:
        """The queue this host thread runs (gem5's curEventQueue())."""
        return getattr(self._thread, "eventq", self.eventq)

    def set_thread_queue(self, queue: EventQueue) -> None:
        self._thread.eventq = queue

    def queue(self, index: int) -> EventQueue:
        """The event queue of `eventq_index` `index` (made on first use)."""
        while len(self.eventqs) <= index:
            self.eventqs.append(EventQueue(f"MainEventQueue-{len(self.eventqs)}"))
        return self.eventqs[index]

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

    # -- the phases elaboration calls (simobjs.config.build) --------------------------
    def add_model(self, path: str, model: Any) -> None:
        self.models[path] = model

    def set_models(self, order: list[Any]) -> None:
        """The models in descendants (pre-order) order: the order of every phase."""
        self.order = order

    def keep_one_queue(self) -> None:
        """Every model runs on queue 0 (the other queues are dropped)."""
        for m in self.order:
            if getattr(m, "eventq", None) is not None and m.eventq is not self.eventq:
                m.use_queue(self.eventq)
        del self.eventqs[1:]

    def init_models(self) -> None:
        """gem5's init() on every model, then regStats() and stats.enable()."""
        self._each("init")
        self._each("regStats")
        self.stats.enable()

    def init_state(self) -> None:
        """A fresh start: initState() on every model."""
        self._each("initState")
        self.phase = Phase.INSTANTIATED

    def restore(self, ckpt_dir: str) -> None:
        """Start from a checkpoint: every model Drained, then loadState() from it."""
        from simobjs.sim.checkpoint import restore

        self.drain_manager.pre_checkpoint_restore()
        restore(self, ckpt_dir)
        self.restored_from = ckpt_dir
        self.phase = Phase.INSTANTIATED

    def take_outdir(self) -> None:
        """Lock the output directory for this simulation (one live run per outdir: a
        second process is refused, naming the first); close() or abandon() unlocks."""
        if self.outdir is not None and not self.holds_outdir:
            _outdir.acquire(self.outdir)
            self.holds_outdir = True

    def _release_outdir(self) -> None:
        if self.holds_outdir:
            self.holds_outdir = False
            _outdir.release(self.outdir)

    def abandon(self) -> None:
        """Elaboration failed: close what was built (quietly: an error is on its way)."""
        self.phase = Phase.FAILED
        self._release_outdir()
        if _current is self:
            set_current(None)
        for m in reversed(list(self.models.values())):
            closer = getattr(m, "close", None)
            if closer is not None:
                try:
                    closer()
                except Exception:  # noqa: BLE001, S110 - already failing
                    pass

    # -- simulate ---------------------------------------------------------------------
    def _check_ready(self) -> None:
        if self.phase is not Phase.INSTANTIATED:
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
        when = self.curTick() + delay if when is None else when
        par = self._parallel
        if (
            par is not None
            and par.running
            and not repeat
            and self.current_eventq() is not self.eventq
            and when <= par.target
        ):
            par.exits.append(ev)  # from another queue's thread: at this quantum's barrier
            return
        self.eventq.schedule(ev, max(when, self.eventq.now))

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
            if self.held_exits:
                print(
                    f"info: Entering event queue @ {self.curTick()}.  Starting simulation...",
                    file=sys.stderr,
                )
                result = self.held_exits.pop(0)
            else:
                result = self._run(ticks_)
            return result
        finally:
            for listener in list(listeners):
                listener.simulate_end(self, result)  # result None: simulate() raised
            sys.stdout.flush()
            sys.stderr.flush()

    def _run(self, ticks_: int = -1) -> Any:
        now = self.curTick()
        parallel = self._parallel_queues()
        print(f"info: Entering event queue @ {now}.  Starting simulation...", file=sys.stderr)
        if self._limit_event is None or not self._limit_event.scheduled():
            self.setMaxTick(MaxTick)  # no limit: gem5's "simulate() limit reached" at MaxTick
        if ticks_ is not None and ticks_ != -1:
            self.setMaxTick(now + ticks_ if ticks_ < MaxTick - now else MaxTick)
        if parallel is not None:
            return self._run_parallel(parallel)
        interrupts = self._interrupts
        main, old = self._loop_signals()
        try:
            while True:
                self.eventq.run(interrupts, self._trace_event if debug.flags.Event else None)
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
            self._restore_signals(main, old)
            interrupts[:] = [s for s in interrupts if s not in (signal.SIGINT, signal.SIGTERM)]

    def _parallel_queues(self) -> Any:
        """Several queues: their threads and barriers (gem5's fatal without a quantum)."""
        if len(self.eventqs) == 1:
            return None
        if self._parallel is None:
            from simobjs.errors import ConfigError, Problem
            from simobjs.sim.parallel import QUANTUM_FATAL, ParallelQueues

            quantum = self.sim_quantum
            if quantum <= 0:  # (elaboration says which models asked for the queues)
                raise ConfigError(Problem("root", f"fatal: {QUANTUM_FATAL}", "sim_quantum"))
            self._parallel = ParallelQueues(self, self.eventqs, quantum)
        return self._parallel

    def _run_parallel(self, parallel: Any) -> Any:
        """The loop with several queues: quanta until an exit fired or a signal came;
        every queue is then stopped at the same barrier tick."""
        interrupts = self._interrupts
        main, old = self._loop_signals()
        try:
            while True:
                try:
                    exits = parallel.run()
                except SimulationError:
                    raise
                except Exception as exc:  # noqa: BLE001 - wrapped with the object that failed
                    raise self._wrap(exc) from exc
                if interrupts:
                    asked = set(interrupts)
                    interrupts.clear()
                    self._signalled_stats(asked)
                    if signal.SIGTERM in asked:
                        raise Terminated(signal.SIGTERM, self.curTick())
                    if signal.SIGINT in asked and not exits:
                        return GlobalSimLoopExitEvent(CAUSE_INTERRUPT, 0)
                if exits:
                    first, rest = exits[0], exits[1:]
                    for ev in rest:  # the next simulate() returns them at once
                        if not ev.scheduled():
                            self.eventq.schedule(ev, self.eventq.now)
                    if first in self.tick_exits:
                        self.tick_exits.remove(first)
                    return first
        finally:
            self._restore_signals(main, old)

    def _loop_signals(self) -> tuple[bool, tuple[Any, Any]]:
        """At the start of a loop: serve the stats signals that came between simulate()
        calls, and (on the main thread) take SIGINT and SIGTERM for the loop. Returns
        what _restore_signals() needs."""
        asked = set(self._interrupts)
        self._interrupts.clear()
        self._signalled_stats(asked)
        main = threading.current_thread() is threading.main_thread()
        old: tuple[Any, Any] = (None, None)
        if main:
            old = (
                signal.signal(signal.SIGINT, self._on_signal),
                signal.signal(signal.SIGTERM, self._on_signal),
            )
            _keep_stats_signals()
        return main, old

    def _restore_signals(self, main: bool, old: tuple[Any, Any]) -> None:
        if main:
            signal.signal(signal.SIGINT, old[0])
            signal.signal(signal.SIGTERM, old[1])

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
        debug.dprintf(
            "eventq",
            "%s executed @ %d (pri %d)",
            event.description(),
            event.when(),
            event.priority(),
        )

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
        """Drain every model, simulating until 'Finished drain' as often as needed.

        An exit that fires while the drain simulates (the guest's m5_exit, a scheduled
        tick exit, the simulate() limit) is not lost, unlike in gem5: the next
        simulate() returns it at once."""
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
                self.held_exits.append(ev)
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
        global _lost_stats
        if self._finalized or self.phase is not Phase.INSTANTIATED:
            return
        self._finalized = True
        try:
            self.stats.dump(final=True)
        except OSError as e:
            self.final_dump_error = _lost_stats = e
            where = f"{e.filename}: " if e.filename else ""
            print(
                f"fatal: could not write the final stats: {where}{e.strerror or e}", file=sys.stderr
            )

    # -- teardown ----------------------------------------------------------------------------
    def close(self) -> None:
        """Tear down (beyond gem5): the final stats dump (the one gem5 makes at exit),
        then close models, release the declarations, unfix the clock."""
        global _closed
        if self.phase is Phase.CLOSED:
            return
        self.finalize()
        if self._parallel is not None:
            self._parallel.shutdown()
            self._parallel = None
        # nothing runs guest code any more: a signal from here on must not kick a model
        # whose resources are being closed (a KVM CPU's run mapping)
        self.interrupt_hooks.clear()
        try:
            atexit.unregister(self.finalize)
        except Exception:  # noqa: BLE001
            pass
        errors = []
        for m in reversed(self.order or list(self.models.values())):
            # host threads a model runs (they may use another model's memory) end first
            stopper = getattr(m, "stopHostThreads", None)
            if stopper is not None:
                try:
                    stopper()
                except Exception as e:  # noqa: BLE001
                    errors.append(f"{m.name()}: {e}")
        for m in reversed(self.order or list(self.models.values())):
            closer = getattr(m, "close", None)
            if closer is not None:
                try:
                    closer()
                except Exception as e:  # noqa: BLE001 - close everything, report after
                    errors.append(f"{m.name()}: {e}")
        for hook in self.on_close:
            try:
                hook()
            except Exception as e:  # noqa: BLE001
                errors.append(f"{getattr(hook, '__name__', 'close hook')}: {e}")
        ticks.unfixGlobalFrequency()
        debug.set_tick_source(None)
        self.phase = Phase.CLOSED
        self._release_outdir()
        if _current is self:
            set_current(None)
            _closed = True
        if errors:
            raise SimulationError("errors while closing: " + "; ".join(errors))


def finalize(code: int = 0) -> int:
    """The command line's exit path: dump stats once (if a simulation ran); returns `code`
    (1 instead of 0 when the final stats could not be written: output was lost)."""
    sim = _current
    if sim is not None:
        sim.finalize()
    return 1 if code == 0 and _lost_stats is not None else code
