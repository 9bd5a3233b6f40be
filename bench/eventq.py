"""Event kernel throughput: simobjs's event queue against SimPy, same workloads, one run.

Workload 1: N clocked objects each ticking every cycle, as a clocked model
writes it: a PeriodicEvent started on the next clock edge (the queue puts it
back each period). 1b: the same with a tick event that reschedules itself at
the next clock edge through the model API (ClockedModel.schedule/clockEdge).
Workload 2: randomly scheduled one-shot events (each one, when it runs,
schedules a new one at a random later tick), a pool of P in flight. 2b: the
same schedule with each event putting itself back instead of a new one (how
gem5 models keep their events; SimPy has no reusable timeout, so its side is
workload 2 again).

Prints events/s for both kernels and the ratio (target: simobjs >= 5x SimPy),
from the median times of --rounds interleaved rounds.
In the one-shot workload both kernels also allocate a Python event object and
draw a random number per event (about half of SimPy's per-event time), which
bounds what any pure-Python kernel can gain there.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import simpy

from simobjs.sim.clock_domain import SrcClockDomain
from simobjs.sim.eventq import Event, EventFunctionWrapper, EventQueue, PeriodicEvent
from simobjs.sim.model import ClockedModel, Params
from simobjs.sim.sim_events import GlobalSimLoopExitEvent, SimLoopExit

PERIOD = 1000


FIRED = [0]


class OneShot(Event):
    __slots__ = ("q", "rnd")

    def __init__(self, q: EventQueue, rnd: random.Random):
        super().__init__(0, "oneshot")
        self.q = q
        self.rnd = rnd

    def process(self) -> None:
        FIRED[0] += 1
        # a new one-shot event (not this one reused) at a random later tick
        self.q.schedule(OneShot(self.q, self.rnd), self._when + self.rnd.randrange(1, 100_000))


class Reused(OneShot):
    __slots__ = ()

    def process(self) -> None:
        FIRED[0] += 1
        self.q.schedule(self, self._when + self.rnd.randrange(1, 100_000))


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
        self.event = PeriodicEvent(self.tick, self.clockPeriod(), "tick", 50)

    def startup(self) -> None:
        self.event.start(self.eventq, self.clockEdge(1))

    def tick(self) -> None:
        self.count += 1


def _models(cls, n: int):
    q = EventQueue()
    sim = _Sim(q)
    clk = SrcClockDomain(Params(name="clk", sim=sim, clock=[PERIOD]).freeze())
    return q, [cls(Params(name=f"dev{i}", sim=sim, clk_domain=clk).freeze()) for i in range(n)]


def ours_clocked(n: int, cycles: int) -> tuple[int, float]:
    q, devs = _models(Ticking, n)
    for d in devs:
        d.startup()
    t0 = time.perf_counter()
    _run(q, cycles * PERIOD)
    dt = time.perf_counter() - t0
    return sum(d.count for d in devs), dt


class Device(ClockedModel):
    """A model ticking every cycle, written as models are."""

    def __init__(self, params: Params):
        super().__init__(params)
        self.count = 0
        self.event = EventFunctionWrapper(self.tick, "tick", 50)

    def tick(self) -> None:
        self.count += 1
        self.schedule(self.event, self.clockEdge(1))


class _Sim:
    def __init__(self, q: EventQueue):
        self.eventq = q


def ours_models(n: int, cycles: int) -> tuple[int, float]:
    q, devs = _models(Device, n)
    for d in devs:
        d.schedule(d.event, d.clockEdge(1))
    t0 = time.perf_counter()
    _run(q, cycles * PERIOD)
    dt = time.perf_counter() - t0
    return sum(d.count for d in devs), dt


def simpy_clocked(n: int, cycles: int) -> tuple[int, float]:
    env = simpy.Environment()
    counts = [0] * n

    def obj(i: int):
        while True:
            yield env.timeout(PERIOD)
            counts[i] += 1

    for i in range(n):
        env.process(obj(i))
    t0 = time.perf_counter()
    env.run(until=cycles * PERIOD + 1)
    return sum(counts), time.perf_counter() - t0


def ours_random(pool: int, total: int, seed: int = 1, cls: type = OneShot) -> tuple[int, float]:
    q = EventQueue()
    rnd = random.Random(seed)
    for _ in range(pool):
        q.schedule(cls(q, rnd), rnd.randrange(1, 100_000))
    # stop after about `total` events: the pool's rate is pool / mean delay
    until = int(total / pool * 50_000)
    FIRED[0] = 0
    t0 = time.perf_counter()
    _run(q, until)
    dt = time.perf_counter() - t0
    return FIRED[0], dt


def simpy_random(pool: int, total: int, seed: int = 1) -> tuple[int, float]:
    env = simpy.Environment()
    rnd = random.Random(seed)
    done = [0]

    def fire(event) -> None:
        done[0] += 1
        env.timeout(rnd.randrange(1, 100_000)).callbacks.append(fire)

    for _ in range(pool):
        env.timeout(rnd.randrange(1, 100_000)).callbacks.append(fire)
    until = int(total / pool * 50_000)
    t0 = time.perf_counter()
    env.run(until=until)
    return done[0], time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, default=100)
    ap.add_argument("--cycles", type=int, default=5000)
    ap.add_argument("--pool", type=int, default=1000)
    ap.add_argument("--events", type=int, default=500_000)
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds; medians shown")
    args = ap.parse_args(argv)
    rows = []
    for label, ours, theirs in (
        (f"clocked, periodic event ({args.objects} objects x {args.cycles} cycles)",
         lambda: ours_clocked(args.objects, args.cycles),
         lambda: simpy_clocked(args.objects, args.cycles)),
        (f"clocked, self-rescheduling ({args.objects} objects x {args.cycles} cycles)",
         lambda: ours_models(args.objects, args.cycles),
         lambda: simpy_clocked(args.objects, args.cycles)),
        (f"one-shot random (pool {args.pool}, ~{args.events} events)",
         lambda: ours_random(args.pool, args.events),
         lambda: simpy_random(args.pool, args.events)),
        (f"one-shot random, events reused (pool {args.pool}, ~{args.events} events)",
         lambda: ours_random(args.pool, args.events, cls=Reused),
         lambda: simpy_random(args.pool, args.events)),
    ):  # fmt: skip
        samples = []
        for _ in range(args.rounds):  # interleaved: host noise hits both kernels alike
            samples.append((ours(), theirs()))
        n1, t1 = samples[0][0][0], statistics.median(o[1] for o, _ in samples)
        n2, t2 = samples[0][1][0], statistics.median(t[1] for _, t in samples)
        r1, r2 = n1 / t1, n2 / t2
        rows.append((label, r1, r2, r1 / r2))
        print(f"{label}:")
        print(f"  simobjs  {n1:>9} events in {t1:6.3f} s = {r1 / 1e6:6.2f} M events/s")
        print(f"  SimPy    {n2:>9} events in {t2:6.3f} s = {r2 / 1e6:6.2f} M events/s")
        print(f"  ratio    {r1 / r2:5.1f}x (target >= 5x)")
    print(
        "summary: "
        + ", ".join(f"{label.split(' (')[0]} {ratio:.1f}x" for label, _, _, ratio in rows)
    )


if __name__ == "__main__":
    main()
