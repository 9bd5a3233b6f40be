"""Event kernel throughput: simobjs's event queue, SimPy and a bare heapq loop, one run.

Workloads (each column does the same scheduling: same events, same times,
same random draws, stopped at the same tick):
1. clocked, periodic event: N objects ticking every cycle, as a clocked
   model writes it: a PeriodicEvent started on the next clock edge (the
   queue puts it back each period, before it runs).
1b. clocked, self-rescheduling: the same, with a tick event that schedules
   itself at the next clock edge through the model API (clockEdge(1)).
2. one-shot random: a pool of P events in flight; each one, when it runs,
   schedules a new event at a random later tick.
2b. one-shot random, events reused: the same schedule, each event putting
   itself back instead (how gem5 models keep their events; SimPy has no
   reusable timeout, so its column is workload 2 again).

Columns: simobjs (`EventQueue.run`), SimPy 4 (`Environment.run`), and the
floor: a bare `heapq` loop in plain Python over `(when << 8 | priority, seq,
event)` tuples (seq counting down: last in, first out on ties, gem5's
order), where the scheduling code calls `heappush` itself. The floor has no
checks, no deschedule, no interrupt test: it is what the scheduling costs
with no kernel at all. In the one-shot workloads every column also
allocates an event object (except 2b) and draws a random number per event,
a large share of each column's time.

Prints events/s per column and, per workload, simobjs/SimPy throughput
(target >= 1.0x) and simobjs time / floor time (target <= 1.3x), from the
median times of --rounds interleaved rounds.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import random
import statistics
import time
from collections.abc import Callable

import simpy

from simobjs.config.params import build_model, params_for
from simobjs.objects.sim import ClockedObject, SrcClockDomain
from simobjs.sim.eventq import Event, EventFunctionWrapper, EventQueue, PeriodicEvent
from simobjs.sim.model import ClockedModel, Params
from simobjs.sim.sim_events import GlobalSimLoopExitEvent, SimLoopExit

PERIOD = 1000
# CPU time of this (single-threaded) process: other processes on a shared host stretch
# wall time, not this
clock = time.process_time
TICK_PRI = 50  # Priority.CPU_Tick
MAX_DELAY = 100_000  # one-shot delays are drawn from [1, MAX_DELAY)

FIRED = [0]


# -- simobjs ------------------------------------------------------------------------------
class OneShot(Event):
    __slots__ = ("q", "rnd")

    def __init__(self, q: EventQueue, rnd: random.Random):
        # the base initialiser named, not found through super(): on CPython 3.11 each
        # super() call allocates a super object and a bound method (about 0.15 us, a
        # fifth of this event's cost here); SimPy's Timeout skips its base __init__ too
        Event.__init__(self, 0, "oneshot")
        self.q = q
        self.rnd = rnd

    def process(self) -> None:
        FIRED[0] += 1
        # a new one-shot event (not this one reused) at a random later tick
        self.q.schedule(OneShot(self.q, self.rnd), self._when + self.rnd.randrange(1, MAX_DELAY))


class Reused(OneShot):
    __slots__ = ()

    def process(self) -> None:
        FIRED[0] += 1
        self.q.schedule(self, self._when + self.rnd.randrange(1, MAX_DELAY))


def _run(q: EventQueue, until: int) -> None:
    q.schedule(GlobalSimLoopExitEvent("simulate() limit reached"), until)
    try:
        q.run([])
    except SimLoopExit:
        pass


class Ticking(ClockedModel):
    """A model ticking every cycle with a periodic event."""

    def __init__(self, params: Params):
        super().__init__(params)
        self.count = 0
        self.event = PeriodicEvent(self.tick, self.clockPeriod(), "tick", TICK_PRI)

    def startup(self) -> None:
        self.event.start(self.eventq, self.clockEdge(1))

    def tick(self) -> None:
        self.count += 1


class Device(ClockedModel):
    """A model ticking every cycle, written as models are."""

    def __init__(self, params: Params):
        super().__init__(params)
        self.count = 0
        self.event = EventFunctionWrapper(self.tick, "tick", TICK_PRI)

    def tick(self) -> None:
        self.count += 1
        self.schedule(self.event, self.clockEdge(1))


class _Sim:
    def __init__(self, q: EventQueue):
        self.eventq = q


def _models(cls, n: int):
    q = EventQueue()
    sim = _Sim(q)
    clk = build_model(SrcClockDomain, "clk", sim, clock=[PERIOD])
    return q, [cls(params_for(ClockedObject, f"dev{i}", sim, clk_domain=clk)) for i in range(n)]


def ours_clocked(n: int, cycles: int) -> tuple[int, float]:
    q, devs = _models(Ticking, n)
    for d in devs:
        d.startup()
    t0 = clock()
    _run(q, cycles * PERIOD)
    dt = clock() - t0
    return sum(d.count for d in devs), dt


def ours_models(n: int, cycles: int) -> tuple[int, float]:
    q, devs = _models(Device, n)
    for d in devs:
        d.schedule(d.event, d.clockEdge(1))
    t0 = clock()
    _run(q, cycles * PERIOD)
    dt = clock() - t0
    return sum(d.count for d in devs), dt


def _until(pool: int, total: int) -> int:
    """Stop after about `total` events: the pool's rate is pool / mean delay."""
    return int(total / pool * MAX_DELAY / 2)


def ours_random(pool: int, total: int, seed: int = 1, cls: type = OneShot) -> tuple[int, float]:
    q = EventQueue()
    rnd = random.Random(seed)
    for _ in range(pool):
        q.schedule(cls(q, rnd), rnd.randrange(1, MAX_DELAY))
    FIRED[0] = 0
    t0 = clock()
    _run(q, _until(pool, total))
    dt = clock() - t0
    return FIRED[0], dt


# -- SimPy --------------------------------------------------------------------------------
def simpy_clocked(n: int, cycles: int) -> tuple[int, float]:
    env = simpy.Environment()
    counts = [0] * n

    def obj(i: int):
        while True:
            yield env.timeout(PERIOD)
            counts[i] += 1

    for i in range(n):
        env.process(obj(i))
    t0 = clock()
    env.run(until=cycles * PERIOD + 1)
    return sum(counts), clock() - t0


def simpy_random(pool: int, total: int, seed: int = 1) -> tuple[int, float]:
    env = simpy.Environment()
    rnd = random.Random(seed)
    done = [0]

    def fire(event) -> None:
        done[0] += 1
        env.timeout(rnd.randrange(1, MAX_DELAY)).callbacks.append(fire)

    for _ in range(pool):
        env.timeout(rnd.randrange(1, MAX_DELAY)).callbacks.append(fire)
    until = _until(pool, total)
    t0 = clock()
    env.run(until=until)
    return done[0], clock() - t0


# -- the floor: a bare heapq loop ---------------------------------------------------------
_heappush = heapq.heappush


class _Floor:
    """A heap of (when << 8 | priority + 128, seq, event) and the time; nothing else."""

    def __init__(self) -> None:
        self.heap: list[tuple[int, int, object]] = []
        self.seq = itertools.count(0, -1)  # counting down: ties run last in, first out
        self.now = 0

    def run(self, until: int, period: int = 0) -> None:
        """Run every event until `until` (an exit event's priority); with `period`, put
        each event back `period` later before it runs."""
        heap, pop, push, seq = self.heap, heapq.heappop, heapq.heappush, self.seq
        push(heap, (until << 8 | 228, 1, None))
        step = period << 8
        if period:
            while True:
                key, _, event = pop(heap)
                if event is None:
                    return
                self.now = key >> 8
                push(heap, (key + step, next(seq), event))
                event.process()
        while True:
            key, _, event = pop(heap)
            if event is None:
                return
            self.now = key >> 8
            event.process()


class _FloorTick:
    """A clocked object's tick for the floor: counts."""

    __slots__ = ("count", "floor")

    def __init__(self, floor: _Floor) -> None:
        self.count = 0
        self.floor = floor

    def process(self) -> None:
        self.count += 1


class _FloorSelfTick(_FloorTick):
    """Counts and puts itself back at the next clock edge (a model's clockEdge(1))."""

    __slots__ = ()

    def process(self) -> None:
        self.count += 1
        f = self.floor
        when = (-(-f.now // PERIOD) + 1) * PERIOD
        _heappush(f.heap, (when << 8 | (TICK_PRI + 128), next(f.seq), self))


def floor_clocked(n: int, cycles: int, reschedule: bool = False) -> tuple[int, float]:
    f = _Floor()
    devs = [(_FloorSelfTick if reschedule else _FloorTick)(f) for _ in range(n)]
    for d in devs:
        _heappush(f.heap, (PERIOD << 8 | (TICK_PRI + 128), next(f.seq), d))
    t0 = clock()
    f.run(cycles * PERIOD, period=0 if reschedule else PERIOD)
    dt = clock() - t0
    return sum(d.count for d in devs), dt


def floor_random(pool: int, total: int, seed: int = 1, reuse: bool = False) -> tuple[int, float]:
    f = _Floor()
    heap, push, seq = f.heap, heapq.heappush, f.seq
    rnd = random.Random(seed)

    class Shot:
        __slots__ = ("rnd", "when")

        def __init__(self, rnd: random.Random) -> None:
            self.rnd = rnd

        def process(self) -> None:
            FIRED[0] += 1
            event = self if reuse else Shot(self.rnd)
            event.when = when = self.when + self.rnd.randrange(1, MAX_DELAY)
            push(heap, (when << 8 | 128, next(seq), event))

    for _ in range(pool):
        event = Shot(rnd)
        event.when = when = rnd.randrange(1, MAX_DELAY)
        push(heap, (when << 8 | 128, next(seq), event))
    FIRED[0] = 0
    t0 = clock()
    f.run(_until(pool, total))
    dt = clock() - t0
    return FIRED[0], dt


# -- the table ----------------------------------------------------------------------------
Column = Callable[[], tuple[int, float]]


def measure(columns: dict[str, Column], rounds: int) -> dict[str, tuple[int, float]]:
    """(events, median seconds) per column; the rounds interleave the columns, so host
    noise hits every column alike."""
    samples: dict[str, list[tuple[int, float]]] = {name: [] for name in columns}
    for _ in range(rounds):
        for name, run in columns.items():
            samples[name].append(run())
    out = {}
    for name, runs in samples.items():
        counts = {n for n, _ in runs}
        if len(counts) != 1:
            raise SystemExit(f"{name}: the event count differs between rounds: {sorted(counts)}")
        out[name] = (runs[0][0], statistics.median(t for _, t in runs))
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, default=100)
    ap.add_argument("--cycles", type=int, default=5000)
    ap.add_argument("--pool", type=int, default=1000)
    ap.add_argument("--events", type=int, default=500_000)
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds; medians shown")
    a = ap.parse_args(argv)
    clocked = f"({a.objects} objects x {a.cycles} cycles)"
    random_ = f"(pool {a.pool}, ~{a.events} events)"
    workloads = {
        f"clocked, periodic event {clocked}": {
            "simobjs": lambda: ours_clocked(a.objects, a.cycles),
            "SimPy": lambda: simpy_clocked(a.objects, a.cycles),
            "heapq floor": lambda: floor_clocked(a.objects, a.cycles),
        },
        f"clocked, self-rescheduling {clocked}": {
            "simobjs": lambda: ours_models(a.objects, a.cycles),
            "SimPy": lambda: simpy_clocked(a.objects, a.cycles),
            "heapq floor": lambda: floor_clocked(a.objects, a.cycles, reschedule=True),
        },
        f"one-shot random {random_}": {
            "simobjs": lambda: ours_random(a.pool, a.events),
            "SimPy": lambda: simpy_random(a.pool, a.events),
            "heapq floor": lambda: floor_random(a.pool, a.events),
        },
        f"one-shot random, events reused {random_}": {
            "simobjs": lambda: ours_random(a.pool, a.events, cls=Reused),
            "SimPy": lambda: simpy_random(a.pool, a.events),
            "heapq floor": lambda: floor_random(a.pool, a.events, reuse=True),
        },
    }
    summary = []
    for label, columns in workloads.items():
        res = measure(columns, a.rounds)
        print(f"{label}:")
        for name, (n, t) in res.items():
            print(f"  {name:<12} {n:>9} events in {t:6.3f} s = {n / t / 1e6:6.2f} M events/s")
        (n0, t0), (n1, t1), (_, t2) = res["simobjs"], res["SimPy"], res["heapq floor"]
        vs_simpy, vs_floor = (n0 / t0) / (n1 / t1), t0 / t2
        print(f"  simobjs/SimPy throughput  {vs_simpy:5.2f}x (target >= 1.0x)")
        print(f"  simobjs/floor time        {vs_floor:5.2f}x (target <= 1.3x)")
        summary.append(f"{label.split(' (')[0]}: {vs_simpy:.2f}x SimPy, {vs_floor:.2f}x floor")
    print("summary:\n  " + "\n  ".join(summary))


if __name__ == "__main__":
    main()
