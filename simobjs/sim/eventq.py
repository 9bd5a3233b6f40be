"""The event queue: gem5's ordering (when, priority, last-in-first-out on ties).

Events due at the same (tick, priority) share one bucket, a list used as a
stack (so ties run last-in-first-out, as gem5); a lone event is its own
bucket until a second one joins it. A heap holds one integer key per bucket,
`when << 8 | (priority + 128)`: integer keys compare faster than tuples, and
many objects clocked on one edge cost one heap entry, not one each.
Descheduling removes the event from its bucket (buckets are short: the
objects clocked on one edge); a bucket left empty stays, keyed, until the
loop reaches it.

One loop, `run()`: take the next event, move time to it, run it (tracing it
if asked), until told to stop; `step()` is run() for one event. Only the
queue moves time: `advance_to()` for a model that ran ahead of it (nothing
may be due before), `setCurTick()` for checkpoint restore.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from heapq import heappop, heappush
from operator import attrgetter, index

MaxTick = 2**64 - 1
IDLE = "idle"  # what went_idle() tells the running loop (several queues)


class Priority(IntEnum):
    """gem5's event priorities (src/sim/eventq.hh); lower runs first."""

    Minimum = -128
    Debug_Enable = -101
    CPU_Switch = -31
    Delayed_Writeback = -30
    Default = 0
    DVFS_Update = 31
    Serialize = 32
    CPU_Tick = 50
    Stat_Event = 90
    Progress_Event = 95
    Sim_Exit = 100
    Maximum = 127
    # gem5 spells these the same value with other names
    CPU_Exit = 64
    Progress = 95


class EventError(RuntimeError):
    """A bad scheduling request (in the past, already scheduled, not scheduled), or time
    moved over a due event."""


class Event:
    """Something to do at a tick. Subclasses override process()."""

    __slots__ = ("_when", "_pkey", "_queue", "_name")

    def __init__(self, priority: int = Priority.Default, name: str | None = None):
        self._pkey = priority + 128  # the key's low byte; a non-integer fails here
        if priority and not -128 <= priority <= 127:
            raise EventError(f"priority {priority} outside gem5's range [-128, 127]")
        self._queue: EventQueue | None = None  # set while scheduled
        self._name = name
        self._when = 0

    def process(self) -> None:
        raise NotImplementedError(f"{type(self).__name__}.process")

    def description(self) -> str:
        return self._name or type(self).__name__

    def name(self) -> str:
        return self.description()

    def when(self) -> int:
        return self._when

    def priority(self) -> int:
        return self._pkey - 128

    def scheduled(self) -> bool:
        return self._queue is not None

    def __repr__(self) -> str:
        state = f"@{self._when}" if self._queue is not None else "unscheduled"
        return f"<{self.description()} {state} pri={self.priority()}>"


class EventFunctionWrapper(Event):
    """An event that calls a function (gem5's EventFunctionWrapper).

    The callback is stored as the instance's `process`, so the event loop
    calls it directly (one Python frame per event, not two).
    """

    __slots__ = ("_callback", "process")

    def __init__(self, callback: Callable[[], None], name: str, priority: int = Priority.Default):
        super().__init__(priority, name)
        self._callback = callback
        self.process = callback

    @property
    def callback(self) -> Callable[[], None]:
        return self._callback

    @callback.setter
    def callback(self, fn: Callable[[], None]) -> None:
        self._callback = fn
        self.process = fn


class PeriodicEvent(Event):
    """Calls `callback` every `period` ticks from `start(queue, when)` (a clocked tick).

    It puts itself back, `period` later, just before the callback runs (the
    callback sees it scheduled for its next time): rescheduling it from the
    callback moves the next run, `stop()` ends the repetition (from inside
    the callback or outside), `start()` begins it again. Scheduled with
    `queue.schedule()` instead of `start()`, it runs once, as any event.
    """

    __slots__ = ("callback", "period", "_home")

    def __init__(
        self, callback: Callable[[], None], period: int, name: str, priority: int = Priority.Default
    ):
        super().__init__(priority, name)
        if period <= 0:
            raise EventError(f"event '{name}': period must be positive, got {period}")
        self.callback = callback
        self.period = period
        self._home: EventQueue | None = None  # the queue it repeats on, from start()

    def start(self, queue: EventQueue, when: int) -> None:
        if self._queue is not None:
            self._queue.deschedule(self)
        queue.schedule(self, when)
        self._home = queue

    def stop(self) -> None:
        self._home = None
        if self._queue is not None:
            self._queue.deschedule(self)

    def process(self) -> None:
        home = self._home
        if home is not None:
            home.schedule(self, self._when + self.period)
        self.callback()


class EventQueue:
    """One queue of events and the current tick."""

    __slots__ = (
        "name",
        "_keys",
        "_buckets",
        "_cur_tick",
        "parallel_lock",
        "parallel_idle",
        "parallel_wake",
        "parallel_lockstep",
    )

    def __init__(self, name: str = "MainEventQueue-0"):
        self.name = name
        self._keys: list[int] = []  # heap of bucket keys
        self._buckets: dict[int, list[Event] | Event] = {}
        self._cur_tick = 0
        # several queues on host threads (simobjs.sim.parallel): the lock a thread holds
        # while it runs events, released around work that needs no simulator state
        # (KVM_RUN), so the vCPUs run in parallel
        self.parallel_lock = None
        # (several queues) a list run() stops on, told by a model that went idle (a CPU
        # that suspended), and what wakes this queue's thread when another thread gave
        # it work while it waits for the quantum's end (see simobjs.sim.parallel)
        self.parallel_idle: list | None = None
        self.parallel_wake: Callable[[], None] | None = None
        # (several queues) the ParallelQueues while a meeting in C is the quanta's
        # barrier for this queue's thread (see simobjs.sim.parallel)
        self.parallel_lockstep = None

    # -- time --------------------------------------------------------------
    now = property(attrgetter("_cur_tick"), doc="The current tick (read-only).")

    def curTick(self) -> int:
        return self._cur_tick

    def went_idle(self) -> None:
        """A model of this queue has nothing more to do for now (a CPU suspended): with
        several queues, the queue's thread may wait for work instead of running on to
        the quantum's end."""
        if self.parallel_idle is not None:
            self.parallel_idle.append(IDLE)

    def woken(self) -> None:
        """Another thread scheduled work in this queue (a CPU activated from there)."""
        if self.parallel_wake is not None:
            self.parallel_wake()

    def advance_to(self, tick: int) -> None:
        """Move time forward to `tick`, over no due event: for a model that ran ahead of
        the queue (a CPU that took its next step, or an instruction's I/O, before the
        next event). Raises EventError if `tick` is in the past or an event is due
        before it."""
        tick = index(tick)
        if tick < self._cur_tick:
            raise EventError(f"advance_to({tick}): time moves forward only (now {self._cur_tick})")
        keys = self._keys
        if keys and keys[0] >> 8 < tick:  # an event, or an emptied bucket, before `tick`
            event = self._next_event()
            if event is not None and event._when < tick:
                raise EventError(
                    f"advance_to({tick}): event '{event.description()}' is due at {event._when}"
                )
        self._cur_tick = tick

    def setCurTick(self, tick: int) -> None:
        """Set the time a checkpoint was taken at (restore only; gem5's name)."""
        self._cur_tick = index(tick)

    # -- scheduling --------------------------------------------------------
    def schedule(self, event: Event, when: int) -> None:
        if event._queue is not None or when < self._cur_tick:
            self._refuse(event, when)
        key = (when << 8) | event._pkey  # first: a non-integer tick fails before any change
        event._when = when
        event._queue = self
        bucket = self._buckets.setdefault(key, event)
        if bucket is event:
            heappush(self._keys, key)
        elif type(bucket) is list:
            bucket.append(event)
        else:
            self._buckets[key] = [bucket, event]

    def _refuse(self, event: Event, when: int) -> None:
        if event._queue is not None:
            raise EventError(f"event '{event.description()}' is already scheduled at {event._when}")
        raise EventError(
            f"event '{event.description()}' scheduled in the past: "
            f"{when} < current tick {self._cur_tick}"
        )

    def deschedule(self, event: Event) -> None:
        if event._queue is not self:
            raise EventError(f"event '{event.description()}' is not scheduled")
        key = (event._when << 8) | event._pkey
        bucket = self._buckets[key]
        if bucket is event:
            self._buckets[key] = []  # left for the loop to drop with its key
        else:
            bucket.remove(event)
        event._queue = None

    def reschedule(self, event: Event, when: int, always: bool = False) -> None:
        if event._queue is not None:
            self.deschedule(event)
        elif not always:
            raise EventError(f"event '{event.description()}' is not scheduled (reschedule)")
        self.schedule(event, when)

    # -- inspection --------------------------------------------------------
    def _next_event(self) -> Event | None:
        """The event that runs next (dropping emptied buckets on the way), or None."""
        keys, buckets = self._keys, self._buckets
        while keys:
            bucket = buckets[keys[0]]
            if type(bucket) is not list:
                return bucket
            if bucket:
                return bucket[-1]
            del buckets[heappop(keys)]
        return None

    def nextEvent(self) -> Event | None:
        """The event that runs next, or None."""
        return self._next_event()

    def empty(self) -> bool:
        return self._next_event() is None

    def nextTick(self) -> int:
        """When the next event is due (MaxTick if none)."""
        keys = self._keys
        if keys and self._buckets[keys[0]]:  # the first bucket holds an event: the usual case
            return keys[0] >> 8
        return MaxTick if self._next_event() is None else keys[0] >> 8

    def nextTickExcept(self, skip) -> int:
        """When the next event not in `skip` is due (MaxTick if none): a model that may
        run ahead of some events (the reference CPUs' instruction quantum runs ahead of
        its peers' slices) asks this instead of nextTick()."""
        buckets = self._buckets
        for key in sorted(buckets):
            bucket = buckets[key]
            for event in reversed(bucket) if type(bucket) is list else (bucket,):
                if event not in skip:
                    return key >> 8
        return MaxTick

    def events(self) -> list[Event]:
        """Scheduled events in the order they will run (for checkpoints and debugging)."""
        out = []
        for key in sorted(self._buckets):
            bucket = self._buckets[key]
            out += reversed(bucket) if type(bucket) is list else [bucket]
        return out

    # -- running -----------------------------------------------------------
    def step(self, trace: Callable[[Event], None] | None = None) -> Event | None:
        """Take the next event, move time to it, run it; returns it (None: nothing left).

        This is run() stopped after one event: the one loop, not a second copy of it
        (a call per event would cost run() 6-12%, measured with bench/eventq.py).
        """
        taken: list[Event] = []

        def take(event: Event) -> None:
            taken.append(event)  # run() stops before the next event
            if trace is not None:
                trace(event)

        self.run(taken, take)
        return taken[0] if taken else None

    def run(self, interrupts: list, trace: Callable[[Event], None] | None = None) -> None:
        """Take the next event, move time to it, run it; again, until `interrupts` is
        non-empty or nothing is left.

        `interrupts` is a list a signal handler appends to, tested before each event.
        `trace(event)`, if given, is called just before each event runs. An exception
        from either propagates with the event attached as `exc.sim_event` (for the
        error report); exit events leave the loop this way (SimLoopExit).
        """
        keys = self._keys
        buckets = self._buckets
        event = None
        try:
            while True:
                if interrupts or not keys:
                    return
                key = keys[0]
                bucket = buckets.pop(key)
                if type(bucket) is not list:  # a lone event
                    heappop(keys)
                    event = bucket
                    self._cur_tick = event._when
                    event._queue = None
                    if trace is not None:
                        trace(event)
                    event.process()
                    continue
                if not bucket:  # emptied by deschedule
                    heappop(keys)
                    continue
                # Ties, the last scheduled first. The bucket stays in place (a new tie
                # joins it) until it is empty, an earlier (tick, priority) is scheduled,
                # or the loop must stop.
                buckets[key] = bucket
                self._cur_tick = key >> 8
                while True:
                    event = bucket.pop()
                    event._queue = None
                    if trace is not None:
                        trace(event)
                    event.process()
                    if not bucket:
                        # not there any more if an event peeked (nextTick drops empty
                        # buckets); not first if an earlier one was scheduled
                        if buckets.get(key) is bucket and keys[0] == key:
                            del buckets[heappop(keys)]
                        break
                    if interrupts or keys[0] != key:
                        break
        except Exception as exc:
            try:
                exc.sim_event = event
            except AttributeError:
                pass
            raise
