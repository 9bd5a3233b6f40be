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
    while q.serviceOne() is not None:
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
    q.serviceOne()
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
    q.run_until(lambda: False)
    assert log == ["a", "urgent", "same-tie", "b"]
    flag: list[int] = []
    q.schedule(EventFunctionWrapper(a, "a"), 20)
    q.schedule(_ev(log, "c"), 20)
    q.schedule(EventFunctionWrapper(lambda: flag.append(1), "stop"), 21)
    q.run(flag)
    assert log[4:] == ["c", "a", "urgent", "same-tie"]


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
    q.run_until(lambda: False)
    assert log == [10, 20, 30, 55, 65] and not ev.scheduled()
    ev.start(q, 100)
    q.serviceOne()
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


# -- the loop against a plain model of gem5's order -------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

PRIORITIES = [Priority.CPU_Tick, Priority.Default, Priority.Stat_Event, Priority.Sim_Exit]
plans = st.lists(
    st.tuples(
        st.integers(0, 40),  # first tick
        st.sampled_from(PRIORITIES),
        st.sampled_from([0, 0, 3, 5, 10]),  # period (0: one-shot)
        st.sampled_from([None, None, 2, 4]),  # a periodic event stops itself after n runs
    ),
    max_size=25,
)


def _model_order(plan, limit):
    """(tick, name) in gem5's order: by tick, then priority, last scheduled first; a
    periodic event is put back (scheduled again) just before it runs."""
    pending = [(when, pri, -seq, f"e{seq}") for seq, (when, pri, _, _) in enumerate(plan)]
    seq = len(plan)
    runs = {}
    out = []
    while pending:
        pending.sort()
        when, pri, _, name = pending.pop(0)
        if when > limit:
            break
        i = int(name[1:])
        _, _, period, stop_after = plan[i]
        runs[name] = runs.get(name, 0) + 1
        if period and not (stop_after and runs[name] >= stop_after):
            pending.append((when + period, pri, -seq, name))
            seq += 1
        out.append((when, name))
    return out


@settings(max_examples=200, deadline=None)
@given(plans)
def test_run_loop_matches_the_model(plan):
    limit = 60
    q, log = EventQueue(), []
    events = []
    for i, (_when, pri, period, stop_after) in enumerate(plan):
        name = f"e{i}"
        if period:
            count = [0]

            def tick(name=name, count=count, stop_after=stop_after, box=events, i=i):
                log.append((q.curTick(), name))
                count[0] += 1
                if stop_after and count[0] >= stop_after:
                    box[i].stop()

            ev = PeriodicEvent(tick, period, name, pri)
        else:
            ev = EventFunctionWrapper(lambda name=name: log.append((q.curTick(), name)), name, pri)
        events.append(ev)
    for ev, (when, *_rest) in zip(events, plan, strict=True):
        q.schedule(ev, when)
    stop = EventFunctionWrapper(lambda: interrupts.append(1), "stop", Priority.Minimum)
    q.schedule(stop, limit + 1)
    interrupts = []
    q.run(interrupts)
    assert log == _model_order(plan, limit)
