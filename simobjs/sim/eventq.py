"""The event queue: gem5's ordering (when, priority, last-in-first-out on ties).

A binary heap of (when, priority, -sequence, event). Descheduling marks the
event and leaves its heap entry behind; stale entries are skipped when popped
(their sequence no longer matches), which keeps schedule/deschedule O(log n).
"""

from __future__ import annotations

import heapq
import itertools
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

    __slots__ = ("_when", "_priority", "_seq", "_queue", "_name", "__weakref__")

    def __init__(self, priority: int = Priority.Default, name: str | None = None):
        self._when = 0
        self._priority = int(priority)
        self._seq = 0  # 0: not scheduled
        self._queue: EventQueue | None = None
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
        return self._seq != 0

    def __repr__(self) -> str:
        state = f"@{self._when}" if self._seq else "unscheduled"
        return f"<{self.description()} {state} pri={self._priority}>"


class EventFunctionWrapper(Event):
    """An event that calls a function (gem5's EventFunctionWrapper)."""

    __slots__ = ("callback",)

    def __init__(self, callback: Callable[[], None], name: str, priority: int = Priority.Default):
        super().__init__(priority, name)
        self.callback = callback

    def process(self) -> None:
        self.callback()


class EventQueue:
    """One queue of events and the current tick."""

    def __init__(self, name: str = "MainEventQueue-0"):
        self.name = name
        self._heap: list[tuple[int, int, int, Event]] = []
        self._counter = itertools.count(1)
        self._cur_tick = 0
        self._live = 0

    # -- time --------------------------------------------------------------
    def curTick(self) -> int:
        return self._cur_tick

    def setCurTick(self, tick: int) -> None:
        """Used by checkpoint restore; time never moves backwards otherwise."""
        self._cur_tick = tick

    # -- scheduling --------------------------------------------------------
    def schedule(self, event: Event, when: int) -> None:
        if event._seq:
            raise EventError(f"event '{event.description()}' is already scheduled at {event._when}")
        if when < self._cur_tick:
            raise EventError(
                f"event '{event.description()}' scheduled in the past: "
                f"{when} < current tick {self._cur_tick}"
            )
        seq = next(self._counter)
        event._when = when
        event._seq = seq
        event._queue = self
        self._live += 1
        heapq.heappush(self._heap, (when, event._priority, -seq, event))

    def deschedule(self, event: Event) -> None:
        if not event._seq or event._queue is not self:
            raise EventError(f"event '{event.description()}' is not scheduled")
        event._seq = 0
        event._queue = None
        self._live -= 1

    def reschedule(self, event: Event, when: int, always: bool = False) -> None:
        if event._seq:
            self.deschedule(event)
        elif not always:
            raise EventError(f"event '{event.description()}' is not scheduled (reschedule)")
        self.schedule(event, when)

    # -- inspection --------------------------------------------------------
    def _clean_top(self) -> None:
        heap = self._heap
        while heap:
            entry = heap[0]
            if entry[3]._seq == -entry[2]:
                return
            heapq.heappop(heap)

    def empty(self) -> bool:
        return self._live == 0

    def nextTick(self) -> int:
        """When the next event is due (MaxTick if none)."""
        self._clean_top()
        return self._heap[0][0] if self._heap else MaxTick

    def events(self) -> list[Event]:
        """Scheduled events in the order they will run (for checkpoints and debugging)."""
        live = [e for e in self._heap if e[3]._seq == -e[2]]
        return [e[3] for e in sorted(live)]

    # -- running -----------------------------------------------------------
    def serviceOne(self) -> Event | None:
        """Run the next event; returns it (or None if the queue is empty)."""
        heap = self._heap
        pop = heapq.heappop
        while heap:
            when, _pri, negseq, event = pop(heap)
            if event._seq != -negseq:
                continue  # descheduled or rescheduled since: stale entry
            event._seq = 0
            event._queue = None
            self._live -= 1
            self._cur_tick = when
            event.process()
            return event
        return None

    def run_until(self, stop: Callable[[], bool], limit: int = MaxTick) -> None:
        """Service events until `stop()` is true or the next event lies beyond `limit`."""
        heap = self._heap
        pop = heapq.heappop
        while heap and not stop():
            when, _pri, negseq, event = heap[0]
            if event._seq != -negseq:
                pop(heap)
                continue
            if when > limit:
                return
            pop(heap)
            event._seq = 0
            event._queue = None
            self._live -= 1
            self._cur_tick = when
            event.process()

    def run(self, interrupts: list) -> None:
        """The simulation loop: service events until one raises to leave it.

        Exit events leave by raising (no per-event test for them); `interrupts`
        is a list a signal handler appends to, checked once per event (a local
        truth test, the cheapest check Python has). Returns when that list is
        non-empty or the queue is empty. An exception from an event propagates
        with the event attached as `exc.sim_event` (for the error report).
        """
        heap = self._heap
        pop = heapq.heappop
        event = None
        try:
            while not interrupts:
                if not heap:
                    return
                when, _pri, negseq, event = pop(heap)
                if event._seq != -negseq:
                    continue  # stale entry: descheduled or rescheduled since
                event._seq = 0
                event._queue = None
                self._live -= 1
                self._cur_tick = when
                event.process()
        except Exception as exc:
            try:
                exc.sim_event = event
            except AttributeError:
                pass
            raise
