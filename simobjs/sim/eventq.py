"""The event queue: gem5's ordering (when, priority, last-in-first-out on ties).

Events due at the same (tick, priority) share one bucket, a list used as a
stack (so ties run last-in-first-out, as gem5); a lone event is its own
bucket until a second one joins it. A heap holds one integer key per bucket,
`when << 8 | (priority + 128)`. Many clocked objects ticking on
the same edge thus cost one heap operation per edge, not one per object.
Descheduling removes the event from its bucket (buckets are short: the
objects clocked on one edge), so every bucket entry is live.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from enum import IntEnum

MaxTick = 2**64 - 1


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
    """A bad scheduling request (in the past, already scheduled, not scheduled)."""


class Event:
    """Something to do at a tick. Subclasses override process()."""

    __slots__ = ("_when", "_priority", "_pkey", "_queue", "_name", "__weakref__")
    _period = 0  # PeriodicEvent: ticks between runs (0: runs once)

    def __init__(self, priority: int = Priority.Default, name: str | None = None):
        self._when = 0
        pkey = priority + 128
        if not 0 <= pkey <= 255:
            raise EventError(f"priority {priority} outside gem5's range [-128, 127]")
        self._priority = priority
        self._pkey = pkey
        self._queue: EventQueue | None = None  # set while scheduled
        self._name = name

    def process(self) -> None:
        raise NotImplementedError(f"{type(self).__name__}.process")

    def description(self) -> str:
        return self._name or type(self).__name__

    def name(self) -> str:
        return self.description()

    def when(self) -> int:
        return self._when

    def priority(self) -> int:
        return self._priority

    def scheduled(self) -> bool:
        return self._queue is not None

    def __repr__(self) -> str:
        state = f"@{self._when}" if self._queue is not None else "unscheduled"
        return f"<{self.description()} {state} pri={self._priority}>"


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


class PeriodicEvent(EventFunctionWrapper):
    """Calls `callback` every `period` ticks once scheduled (a clocked tick).

    The queue puts it back itself, `period` later, just before each run (so a
    tick costs no schedule call, and the callback sees it scheduled for its
    next time): rescheduling it from the callback moves the next run, `stop()`
    ends the repetition (from inside the callback or outside), `start()`
    begins it again.
    """

    __slots__ = ("_period", "period")

    def __init__(
        self, callback: Callable[[], None], period: int, name: str, priority: int = Priority.Default
    ):
        super().__init__(callback, name, priority)
        if period <= 0:
            raise EventError(f"event '{name}': period must be positive, got {period}")
        self.period = period
        self._period = period

    def start(self, queue: EventQueue, when: int) -> None:
        self._period = self.period
        if self._queue is not None:
            self._queue.deschedule(self)
        queue.schedule(self, when)

    def stop(self) -> None:
        self._period = 0
        if self._queue is not None:
            self._queue.deschedule(self)


class EventQueue:
    """One queue of events and the current tick."""

    def __init__(self, name: str = "MainEventQueue-0"):
        self.name = name
        self._keys: list[int] = []  # heap of bucket keys
        self._buckets: dict[int, list[Event] | Event] = {}
        self._cur_tick = 0

    # -- time --------------------------------------------------------------
    def curTick(self) -> int:
        return self._cur_tick

    def setCurTick(self, tick: int) -> None:
        """Used by checkpoint restore; time never moves backwards otherwise."""
        self._cur_tick = tick

    # -- scheduling --------------------------------------------------------
    def schedule(self, event: Event, when: int) -> None:
        if event._queue is not None or when < self._cur_tick:
            self._refuse(event, when)
        key = (when << 8) | event._pkey  # first: a non-integer tick fails before any change
        event._when = when
        event._queue = self
        buckets = self._buckets
        bucket = buckets.get(key)
        if bucket is None:
            buckets[key] = event
            heapq.heappush(self._keys, key)
        elif type(bucket) is list:
            bucket.append(event)
        else:
            buckets[key] = [bucket, event]

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
    def _top(self) -> list[Event] | None:
        """The first non-empty bucket (dropping exhausted ones), or None."""
        keys, buckets = self._keys, self._buckets
        while keys:
            bucket = buckets[keys[0]]
            if type(bucket) is not list:
                bucket = buckets[keys[0]] = [bucket]
            if bucket:
                return bucket
            del buckets[heapq.heappop(keys)]
        return None

    def empty(self) -> bool:
        return self._top() is None

    def nextTick(self) -> int:
        """When the next event is due (MaxTick if none)."""
        keys = self._keys
        if keys and self._buckets[keys[0]]:  # the first bucket holds an event: the usual case
            return keys[0] >> 8
        return keys[0] >> 8 if self._top() is not None else MaxTick

    def events(self) -> list[Event]:
        """Scheduled events in the order they will run (for checkpoints and debugging)."""
        out = []
        for key in sorted(self._buckets):
            bucket = self._buckets[key]
            out += reversed(bucket) if type(bucket) is list else [bucket]
        return out

    # -- running -----------------------------------------------------------
    def _take(self) -> Event | None:
        bucket = self._top()
        if bucket is None:
            return None
        event = bucket.pop()
        event._queue = None
        self._cur_tick = self._keys[0] >> 8
        if event._period:  # a periodic event is back in the queue before it runs
            self.schedule(event, event._when + event._period)
        return event

    def serviceOne(self) -> Event | None:
        """Run the next event; returns it (or None if the queue is empty)."""
        event = self._take()
        if event is not None:
            event.process()
        return event

    def run_until(self, stop: Callable[[], bool], limit: int = MaxTick) -> None:
        """Service events until `stop()` is true or the next event lies beyond `limit`."""
        while not stop():
            if self._top() is None or self._keys[0] >> 8 > limit:
                return
            self.serviceOne()

    def run_traced(self, interrupts: list, trace: Callable[[Event], None]) -> None:
        """The loop of run(), calling `trace(event)` before each event (debug flag Event)."""
        event = None
        try:
            while not interrupts:
                event = self._take()
                if event is None:
                    return
                trace(event)
                event.process()
        except Exception as exc:
            try:
                exc.sim_event = event
            except AttributeError:
                pass
            raise

    def run(self, interrupts: list) -> None:
        """The simulation loop: service events until one raises to leave it.

        Exit events leave by raising (no per-event test for them); `interrupts`
        is a list a signal handler appends to, checked once per event (a local
        truth test). Returns when that list is non-empty or the queue is empty.
        An exception from an event propagates with the event attached as
        `exc.sim_event` (for the error report).
        """
        keys = self._keys
        buckets = self._buckets
        pop = heapq.heappop
        heappush = heapq.heappush
        event = None
        try:
            # `while True` + test, not `while <test>`: CPython 3.11 runs the inner loop of the
            # latter about twice as slowly (measured: bench/eventq.py)
            while True:
                if interrupts or not keys:
                    return
                key = keys[0]
                bucket = buckets[key]
                self._cur_tick = key >> 8
                if type(bucket) is not list:  # a lone event: no list to keep
                    del buckets[pop(keys)]
                    event = bucket
                    event._queue = None
                    if event._period:
                        self.schedule(event, event._when + event._period)
                    event.process()
                    continue
                last_period = 0  # the period of the last periodic event put back here,
                put_back = None  # and the append of the bucket it went to (a list)
                while bucket:
                    event = bucket.pop()
                    period = event._period
                    if period:
                        # a clocked tick is put back before it runs, same priority, `period`
                        # later: its callback sees it scheduled and may stop or move it
                        event._when += period
                        if period == last_period:
                            put_back(event)
                        else:
                            nkey = key + (period << 8)
                            nb = buckets.get(nkey)
                            if nb is None:
                                nb = buckets[nkey] = [event]
                                heappush(keys, nkey)
                            elif type(nb) is list:
                                nb.append(event)
                            else:
                                nb = buckets[nkey] = [nb, event]
                            last_period, put_back = period, nb.append
                    else:
                        event._queue = None
                    event.process()
                    if keys[0] != key or interrupts:
                        break  # an earlier (tick, priority) was scheduled, or Ctrl-C
                else:
                    # An event may have peeked (nextTick drops empty buckets) and then
                    # scheduled into this same (tick, priority): that is a new bucket,
                    # to run next, not this exhausted one.
                    if buckets.get(key) is bucket:
                        del buckets[pop(keys)]
        except Exception as exc:
            try:
                exc.sim_event = event
            except AttributeError:
                pass
            raise
