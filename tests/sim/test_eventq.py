"""Event order (when, priority, LIFO ties) and scheduling errors."""

import pytest

from simobjs.sim.eventq import (
    Event,
    EventError,
    EventFunctionWrapper,
    EventQueue,
    PeriodicEvent,
    Priority,
)


def _ev(log, name, pri=Priority.Default):
    return EventFunctionWrapper(lambda: log.append(name), name, pri)


def _drain(q):
    while q.step() is not None:
        pass


def test_order_by_tick_then_priority_then_lifo():
    q, log = EventQueue(), []
    q.schedule(_ev(log, "late"), 20)
    q.schedule(_ev(log, "exit", Priority.Sim_Exit), 10)
    q.schedule(_ev(log, "first-default"), 10)
    q.schedule(_ev(log, "second-default"), 10)
    q.schedule(_ev(log, "cpu", Priority.CPU_Tick), 10)
    q.schedule(_ev(log, "switch", Priority.CPU_Switch), 10)
    _drain(q)
    assert log == ["switch", "second-default", "first-default", "cpu", "exit", "late"]
    assert q.curTick() == 20


def test_gem5_priority_values():
    assert (Priority.CPU_Switch, Priority.Default, Priority.Serialize) == (-31, 0, 32)
    assert (Priority.CPU_Tick, Priority.CPU_Exit, Priority.Stat_Event) == (50, 64, 90)
    assert (Priority.Progress, Priority.Sim_Exit) == (95, 100)


def test_scheduling_errors():
    q, log = EventQueue(), []
    ev = _ev(log, "a")
    q.schedule(ev, 5)
    with pytest.raises(EventError, match="already scheduled"):
        q.schedule(ev, 6)
    q.step()
    with pytest.raises(EventError, match="in the past"):
        q.schedule(_ev(log, "b"), 4)
    with pytest.raises(EventError, match="not scheduled"):
        q.deschedule(ev)
    with pytest.raises(EventError, match="not scheduled"):
        q.reschedule(ev, 9)
    q.reschedule(ev, 9, always=True)
    assert ev.scheduled() and ev.when() == 9


def test_deschedule_and_reschedule_skip_stale_entries():
    q, log = EventQueue(), []
    a, b = _ev(log, "a"), _ev(log, "b")
    q.schedule(a, 5)
    q.schedule(b, 6)
    q.reschedule(a, 7)
    q.deschedule(b)
    assert q.nextTick() == 7 and [e.description() for e in q.events()] == ["a"]
    _drain(q)
    assert log == ["a"] and q.empty()


def test_run_stops_on_interrupt_list():
    q, log = EventQueue(), []
    flag: list[int] = []

    def stop():
        log.append("stop")
        flag.append(1)

    q.schedule(EventFunctionWrapper(stop, "stop"), 3)
    q.schedule(_ev(log, "after"), 4)
    q.run(flag)
    assert log == ["stop"] and q.curTick() == 3


def test_run_attaches_failing_event():
    q = EventQueue()

    class Bad(Event):
        def process(self):
            raise ValueError("bad")

    bad = Bad(name="bad")
    q.schedule(bad, 1)
    with pytest.raises(ValueError) as info:
        q.run([])
    assert info.value.sim_event is bad


def test_event_scheduled_at_now_with_higher_priority_runs_next():
    q, log = EventQueue(), []

    def a():
        log.append("a")
        q.schedule(_ev(log, "urgent", Priority.CPU_Switch), q.curTick())
        q.schedule(_ev(log, "same-tie"), q.curTick())

    q.schedule(_ev(log, "b"), 10)
    q.schedule(EventFunctionWrapper(a, "a"), 10)
    q.run([])
    assert log == ["a", "urgent", "same-tie", "b"]
    flag: list[int] = []
    q.schedule(EventFunctionWrapper(a, "a"), 20)
    q.schedule(_ev(log, "c"), 20)
    q.schedule(EventFunctionWrapper(lambda: flag.append(1), "stop"), 21)
    q.run(flag)
    assert log[4:] == ["c", "a", "urgent", "same-tie"]


def test_the_last_tie_scheduling_an_earlier_priority_keeps_it():
    # the last event of a shared (tick, priority) bucket schedules one at the same tick
    # with a lower priority value: that one runs next, and the emptied bucket goes
    q, log = EventQueue(), []
    urgent = _ev(log, "urgent", Priority.CPU_Switch)

    def last():
        log.append("last")
        q.schedule(urgent, q.now)

    q.schedule(EventFunctionWrapper(last, "last"), 10)
    q.schedule(_ev(log, "first"), 10)
    q.schedule(_ev(log, "later"), 11)
    q.run([])
    assert log == ["first", "last", "urgent", "later"] and q.empty()


def test_deschedule_from_a_shared_bucket():
    q, log = EventQueue(), []
    evs = [_ev(log, str(i)) for i in range(5)]
    for e in evs:
        q.schedule(e, 7)
    q.deschedule(evs[2])
    q.reschedule(evs[0], 7)
    assert [e.description() for e in q.events()] == ["0", "4", "3", "1"]
    _drain(q)
    assert log == ["0", "4", "3", "1"] and q.empty()


def test_priority_out_of_range():
    with pytest.raises(EventError, match="outside"):
        Event(200)


def test_periodic_event_repeats_until_stopped():
    q, log = EventQueue(), []
    state = {"n": 0}

    def tick():
        state["n"] += 1
        log.append(q.curTick())
        assert ev.scheduled() and ev.when() == q.curTick() + 10  # already back in the queue
        if state["n"] == 3:
            q.reschedule(ev, q.curTick() + 25)  # move the next run
        if state["n"] == 5:
            ev.stop()

    ev = PeriodicEvent(tick, 10, "tick")
    ev.start(q, 10)
    q.run([])
    assert log == [10, 20, 30, 55, 65] and not ev.scheduled()
    ev.start(q, 100)
    q.step()
    assert log[-1] == 100 and ev.when() == 110
    q.deschedule(ev)
    assert q.empty()


def test_many_periodic_events_keep_gem5_order_and_stop_cleanly():
    q = EventQueue()
    seen = []
    evs = []
    for i in range(5):
        evs.append(PeriodicEvent(lambda i=i: seen.append((q.curTick(), i)), 100, f"t{i}"))
        evs[-1].start(q, 100)
    other = []
    q.schedule(EventFunctionWrapper(lambda: other.append(q.curTick()), "one"), 200)
    flag: list[int] = []
    q.schedule(EventFunctionWrapper(lambda: flag.append(1), "stop", Priority.Sim_Exit), 300)
    evs[2].callback = lambda: (seen.append((q.curTick(), 2)), evs[2].stop())
    q.run(flag)
    at100 = [i for t, i in seen if t == 100]
    assert at100 == [4, 3, 2, 1, 0]  # LIFO, as gem5
    assert sorted(i for t, i in seen if t == 200) == [0, 1, 3, 4]  # 2 stopped itself
    assert other == [200] and q.curTick() == 300
    with pytest.raises(EventError, match="positive"):
        PeriodicEvent(lambda: None, 0, "bad")


def test_non_integer_tick_leaves_the_event_unscheduled():
    q, log = EventQueue(), []
    ev = _ev(log, "x")
    with pytest.raises(TypeError):
        q.schedule(ev, 10.5)
    assert not ev.scheduled() and q.empty()


def test_an_event_scheduled_into_the_running_tie_after_a_peek_still_runs():
    # The last event of a shared (tick, priority) bucket asks nextTick() (which drops
    # the now-empty bucket) and then schedules a new event at that same (tick, priority):
    # the new event must still run in this loop, and be deschedulable until it does.
    q, log = EventQueue(), []
    follow = _ev(log, "follow-up")

    def last():
        log.append("last")
        q.nextTick()
        q.schedule(follow, q.curTick())

    q.schedule(EventFunctionWrapper(last, "last"), 10)  # LIFO: runs after "first"
    q.schedule(_ev(log, "first"), 10)
    stop: list[int] = []
    q.schedule(EventFunctionWrapper(lambda: stop.append(1), "stop"), 11)
    q.run(stop)
    assert log == ["first", "last", "follow-up"]
    assert not follow.scheduled() and q.empty()


def test_step_runs_one_event_and_returns_it():
    q, log = EventQueue(), []
    a, b = _ev(log, "a"), _ev(log, "b")
    q.schedule(a, 5)
    q.schedule(b, 5)  # a tie: b runs first
    assert q.step() is b and log == ["b"] and q.now == 5 and a.scheduled()
    assert q.step() is a and log == ["b", "a"]
    assert q.step() is None and q.empty()


def test_step_attaches_failing_event():
    q = EventQueue()

    def boom():
        raise ValueError("bad")

    bad = EventFunctionWrapper(boom, "bad")
    q.schedule(bad, 1)
    with pytest.raises(ValueError) as info:
        q.step()
    assert info.value.sim_event is bad and q.now == 1


def test_trace_sees_each_event_before_it_runs_at_its_time():
    q, log = EventQueue(), []
    seen = []
    for name, when, pri in (("x", 4, Priority.Default), ("y", 4, Priority.CPU_Switch), ("z", 9, 0)):
        q.schedule(_ev(log, name, pri), when)
    q.run([], lambda ev: seen.append((ev.description(), ev.when(), q.now, len(log))))
    assert seen == [("y", 4, 4, 0), ("x", 4, 4, 1), ("z", 9, 9, 2)]
    assert log == ["y", "x", "z"]


def test_trace_error_carries_the_event():
    q = EventQueue()
    ev = _ev([], "e")
    q.schedule(ev, 3)

    def trace(event):
        raise RuntimeError("trace failed")

    with pytest.raises(RuntimeError) as info:
        q.run([], trace)
    assert info.value.sim_event is ev


def test_now_is_read_only_and_is_the_current_tick():
    q = EventQueue()
    q.schedule(_ev([], "e"), 42)
    q.step()
    assert q.now == q.curTick() == 42
    with pytest.raises(AttributeError):
        q.now = 7


def test_advance_to_moves_time_over_no_due_event():
    q, log = EventQueue(), []
    q.schedule(_ev(log, "e"), 100)
    q.advance_to(40)
    assert q.now == 40
    q.advance_to(40)  # standing still is fine
    q.advance_to(100)  # an event due at the target tick is not passed over: it runs next
    assert q.now == 100 and log == []
    with pytest.raises(EventError, match="due at 100"):
        q.advance_to(101)
    with pytest.raises(EventError, match="forward only"):
        q.advance_to(99)
    assert q.now == 100
    q.run([])
    assert log == ["e"]
    q.advance_to(10**15)  # an empty queue: any later tick
    assert q.now == 10**15


def test_advance_to_skips_nothing_a_deschedule_left_behind():
    q, log = EventQueue(), []
    gone, kept = _ev(log, "gone"), _ev(log, "kept")
    q.schedule(gone, 10)
    q.schedule(kept, 30)
    q.deschedule(gone)
    q.advance_to(20)  # the emptied bucket at 10 does not count as due
    assert q.now == 20 and q.nextTick() == 30


def test_set_cur_tick_is_the_restore_path():
    q = EventQueue()
    q.setCurTick(5000)
    assert q.now == 5000
    with pytest.raises(EventError, match="in the past"):
        q.schedule(_ev([], "e"), 4999)


def test_periodic_event_scheduled_directly_runs_once():
    q, log = EventQueue(), []
    ev = PeriodicEvent(lambda: log.append(q.now), 10, "p")
    q.schedule(ev, 5)
    q.run([])
    assert log == [5] and not ev.scheduled()


# -- the loop against a plain model of gem5's order -------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PRIORITIES = [Priority.CPU_Tick, Priority.Default, Priority.Stat_Event, Priority.Sim_Exit]
LIMIT = 60
plans = st.lists(
    st.tuples(
        st.integers(0, 20),  # first tick (a narrow range: many ties)
        st.sampled_from(PRIORITIES),
        st.sampled_from([0, 0, 3, 5, 10]),  # period (0: one-shot)
        st.sampled_from([None, None, 2, 4]),  # a periodic event stops itself after n runs
        # what the event does to another one (by index) the first two times it runs;
        # a move by 0 lands in the running tick, maybe before the running priority
        st.one_of(
            st.none(),
            st.tuples(st.just("cancel"), st.integers(0, 24)),
            st.tuples(st.just("move"), st.integers(0, 24), st.integers(0, 12)),
        ),
    ),
    max_size=25,
)


def _model_order(plan, limit):
    """(tick, name) in gem5's order: by tick, then priority, last scheduled first; a
    periodic event is put back (scheduled again) just before it runs; an event may
    cancel (deschedule) or move (reschedule, always) another, the first two times it runs."""
    pending = {}  # name -> (when, pri, -seq)
    seq = 0

    def put(name, when, pri):
        nonlocal seq
        pending[name] = (when, pri, -seq)
        seq += 1

    for i, (when, pri, *_rest) in enumerate(plan):
        put(f"e{i}", when, pri)
    runs = {}
    out = []
    while pending:
        name = min(pending, key=pending.get)
        when, pri, _ = pending.pop(name)
        if when > limit:
            break
        i = int(name[1:])
        _, _, period, stop_after, action = plan[i]
        runs[name] = runs.get(name, 0) + 1
        if period and not (stop_after and runs[name] >= stop_after):
            put(name, when + period, pri)
        out.append((when, name))
        if action is not None and action[1] < len(plan) and runs[name] <= 2:
            other = f"e{action[1]}"
            pending.pop(other, None)
            if action[0] == "move":
                put(other, when + action[2], plan[action[1]][1])
    return out


def _build(plan, q, log):
    events = []
    for i, (_when, pri, period, stop_after, action) in enumerate(plan):
        name = f"e{i}"
        count = [0]

        def body(i=i, name=name, count=count, period=period, stop_after=stop_after, action=action):
            log.append((q.curTick(), name))
            count[0] += 1
            if period and stop_after and count[0] >= stop_after:
                events[i].stop()
            if action is not None and action[1] < len(events) and count[0] <= 2:
                other = events[action[1]]
                if action[0] == "cancel":
                    if other.scheduled():
                        q.deschedule(other)
                else:
                    q.reschedule(other, q.now + action[2], always=True)

        if period:
            ev = PeriodicEvent(body, period, name, pri)
        else:
            ev = EventFunctionWrapper(body, name, pri)
        events.append(ev)
    for ev, (when, _pri, period, *_rest) in zip(events, plan, strict=True):
        if period:
            ev.start(q, when)
        else:
            q.schedule(ev, when)
    interrupts: list[int] = []
    q.schedule(
        EventFunctionWrapper(lambda: interrupts.append(1), "stop", Priority.Minimum), LIMIT + 1
    )
    return interrupts


@settings(max_examples=200, deadline=None)
@given(plans)
def test_run_loop_matches_the_model(plan):
    expected = _model_order(plan, LIMIT)

    q, log = EventQueue(), []
    q.run(_build(plan, q, log))
    assert log == expected

    # tracing goes through the same loop: same order, each event traced just before it runs,
    # showing the tick it runs at (a periodic event is not yet put back)
    q, log = EventQueue(), []
    traced = []
    q.run(_build(plan, q, log), lambda ev: traced.append((ev.when(), ev.description(), len(log))))
    assert log == expected
    assert traced[:-1] == [(t, name, k) for k, (t, name) in enumerate(expected)]
    assert traced[-1][1] == "stop"

    # step() at a time: the same events, in the same order, at the same ticks
    q, log = EventQueue(), []
    interrupts = _build(plan, q, log)
    stepped = []
    while not interrupts:
        ev = q.step()
        stepped.append((q.now, ev.description()))
    assert log == expected and stepped[:-1] == expected


# -- the bench's columns do the same work ------------------------------------------------
def _bench():
    import importlib.util
    from pathlib import Path

    pytest.importorskip("simpy")
    path = Path(__file__).resolve().parents[2] / "bench" / "eventq.py"
    spec = importlib.util.spec_from_file_location("bench_eventq", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_columns_run_the_same_events():
    b = _bench()
    n, cycles, pool, total = 4, 30, 20, 2000
    clocked = [
        b.ours_clocked(n, cycles),
        b.ours_models(n, cycles),
        b.simpy_clocked(n, cycles),
        b.floor_clocked(n, cycles),
        b.floor_clocked(n, cycles, reschedule=True),
    ]
    assert {count for count, _ in clocked} == {n * cycles}
    one_shot = [
        b.ours_random(pool, total),
        b.ours_random(pool, total, cls=b.Reused),
        b.simpy_random(pool, total),
        b.floor_random(pool, total),
        b.floor_random(pool, total, reuse=True),
    ]
    counts = {count for count, _ in one_shot}
    assert len(counts) == 1 and abs(counts.pop() - total) < total // 5
