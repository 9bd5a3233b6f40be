"""Phases in gem5's order, exit causes, phase errors, model failures, teardown."""

import os
import signal
import types

import pytest
from kernel_models import LOG, Recorder, Ticker, make_root

import m5
from simobjs.config import build
from simobjs.errors import ConfigError, PhaseError, SimulationError
from simobjs.params.simobject import reset_for_tests
from simobjs.sim import core
from simobjs.sim.eventq import EventFunctionWrapper


def _phases(log, phase):
    return [p for ph, p in log if ph == phase]


def test_fresh_start_runs_gem5s_phase_order(tmp_path):
    LOG.clear()
    root = make_root(b=Recorder(), a=Recorder())
    sim = build.instantiate(root, outdir=str(tmp_path))
    # config files are written before any model exists
    assert (tmp_path / "config.ini").exists() and (tmp_path / "config.json").exists()
    order = [ph for ph, _ in LOG]
    assert order == [
        "create",
        "create",
        "init",
        "init",
        "regStats",
        "regStats",
        "initState",
        "initState",
    ]
    assert _phases(LOG, "init") == ["system.a", "system.b"]  # descendants order
    assert (tmp_path / "stats.txt").read_text() == ""
    LOG.clear()
    sim.simulate(1000)
    assert [ph for ph, _ in LOG] == ["startup", "startup"]
    LOG.clear()
    sim.simulate(1000)
    assert LOG == []  # startup runs once


def test_simobject_params_are_built_first(tmp_path):
    LOG.clear()
    root = make_root()
    root.system.z = Recorder()
    root.system.a = Recorder(peer=root.system.z)
    build.instantiate(root, outdir=str(tmp_path))
    assert _phases(LOG, "create") == ["system.z", "system.a"]
    assert root.system.a.getCCObject().params.peer is root.system.z.getCCObject()


def test_param_cycle_is_a_config_error(tmp_path):
    root = make_root()
    root.system.a = Recorder()
    root.system.b = Recorder(peer=root.system.a)
    root.system.a.peer = root.system.b
    with pytest.raises(ConfigError, match="cycle"):
        build.instantiate(root, outdir=str(tmp_path))


def test_phase_errors_use_gem5s_words(tmp_path):
    with pytest.raises(
        PhaseError, match=r"Need to instantiate Root\(\) before calling instantiate\(\)"
    ):
        m5.instantiate()
    with pytest.raises(
        PhaseError, match=r"m5.instantiate\(\) must be called before m5.simulate\(\)"
    ):
        m5.simulate()
    make_root()
    m5.instantiate(outdir=str(tmp_path))
    with pytest.raises(PhaseError, match=r"m5.instantiate\(\) called twice."):
        m5.instantiate(outdir=str(tmp_path))


def test_exit_causes(tmp_path):
    make_root(t=Ticker(stop_after=5))
    m5.instantiate(outdir=str(tmp_path))
    ev = m5.simulate(2500)
    assert (ev.getCause(), ev.getCode(), m5.curTick()) == ("simulate() limit reached", 0, 2500)
    assert m5.getMaxTick() == 2500
    ev = m5.simulate()
    assert (ev.getCause(), ev.getCode(), m5.curTick()) == ("ticker done", 5, 5000)
    m5.scheduleTickExitFromCurrent(700)
    m5.scheduleTickExitAbsolute(6000, "custom")
    ev = m5.simulate()
    assert (ev.getCause(), m5.curTick()) == ("Tick exit reached", 5700)
    ev = m5.simulate()
    assert (ev.getCause(), m5.curTick()) == ("custom", 6000)
    assert m5.simulate(1000).getCause() == "simulate() limit reached" and m5.curTick() == 7000
    assert m5.getMaxTick() == 7000
    m5.setMaxTick(m5.curTick() + 10)
    assert m5.simulate().getCause() == "simulate() limit reached"


def test_model_exception_is_wrapped_with_path(tmp_path):
    root = make_root(t=Ticker())
    sim = build.instantiate(root, outdir=str(tmp_path))
    model = root.system.t.getCCObject()

    class Boom(RuntimeError):
        rip = 0x401000

    def explode(self):
        raise Boom("device fault")

    model.event.callback = types.MethodType(explode, model)
    with pytest.raises(SimulationError) as info:
        sim.simulate()
    assert info.value.path == "system.t" and info.value.rip == 0x401000
    assert "device fault" in str(info.value) and "0x401000" in str(info.value)
    # stats are still dumpable after the failure
    assert sim.stats.dump() is True
    assert "system.t.ticks" in (tmp_path / "stats.txt").read_text()


def test_event_without_model_owner_names_the_event(tmp_path):
    sim = build.instantiate(make_root(), outdir=str(tmp_path))
    sim.eventq.schedule(EventFunctionWrapper(lambda: 1 / 0, "divider"), 5)
    with pytest.raises(SimulationError, match="divider"):
        sim.simulate()


def test_ctrl_c_ends_simulate_with_gem5s_cause(tmp_path):
    root = make_root(t=Ticker())
    sim = build.instantiate(root, outdir=str(tmp_path))
    before = signal.getsignal(signal.SIGINT)
    fired = []

    def interrupt():
        fired.append(True)
        os.kill(os.getpid(), signal.SIGINT)

    sim.eventq.schedule(EventFunctionWrapper(interrupt, "ctrl-c"), 10_000)
    ev = sim.simulate()
    assert fired and ev.getCause() == "user interrupt received"
    assert signal.getsignal(signal.SIGINT) is before
    assert sim.simulate(1000).getCause() == "simulate() limit reached"


def _finals(path) -> list[tuple[int, int]]:
    """(finalTick, simTicks) of each dump in a stats.txt."""
    values: dict[str, list[int]] = {"finalTick": [], "simTicks": []}
    for line in path.read_text().splitlines():
        words = line.split()
        if words and words[0] in values:
            values[words[0]].append(int(words[1]))
    return list(zip(values["finalTick"], values["simTicks"], strict=True))


def test_stats_signals_during_and_between_simulate_calls(tmp_path):
    """SIGUSR1 dumps, SIGUSR2 dumps and resets, at the tick the loop stops at;
    one between simulate() calls neither kills the process nor is lost."""
    root = make_root(t=Ticker())
    sim = build.instantiate(root, outdir=str(tmp_path))
    for tick, signo in ((10_000, signal.SIGUSR1), (20_000, signal.SIGUSR2)):
        sim.eventq.schedule(
            EventFunctionWrapper(lambda s=signo: os.kill(os.getpid(), s), "signal"), tick
        )
    assert sim.simulate(30_000).getCause() == "simulate() limit reached"
    os.kill(os.getpid(), signal.SIGUSR1)  # between simulate() calls
    assert sim.simulate(5_000).getCause() == "simulate() limit reached"
    # the dumps come at the tick the loop stopped at: the signal's event is past by then
    (t1, s1), (t2, s2), (t3, s3) = _finals(tmp_path / "stats.txt")
    assert 10_000 <= t1 < 20_000 <= t2 < 30_000 and t3 == 30_000
    assert s1 == t1 and s2 == t2  # no reset before the SIGUSR2 dump
    assert s3 == t3 - t2  # counted from SIGUSR2's reset


def test_close_allows_a_second_simulation(tmp_path):
    root = make_root(t=Ticker(stop_after=3))
    sim = build.instantiate(root, outdir=str(tmp_path / "a"))
    ram = root.system.mem.getCCObject().ram
    assert sim.simulate().getCause() == "ticker done"
    sim.close()
    assert ram._mmap is None  # models were closed
    assert core.current() is None
    root2 = make_root(t=Ticker(stop_after=2))
    sim2 = build.instantiate(root2, outdir=str(tmp_path / "b"))
    assert sim2.simulate().getCause() == "ticker done" and sim2.curTick() == 2000


def test_finalize_dumps_once(tmp_path):
    sim = build.instantiate(make_root(t=Ticker(stop_after=2)), outdir=str(tmp_path))
    sim.simulate()
    sim.finalize()
    sim.finalize()
    assert (tmp_path / "stats.txt").read_text().count("Begin Simulation Statistics") == 1


def test_stat_paths_use_unpadded_vector_index(tmp_path):
    root = make_root()
    root.system.t = [Ticker() for _ in range(11)]
    build.instantiate(root, outdir=str(tmp_path))
    model = root.system.t[10].getCCObject()
    assert model.name() == "system.t10" and model.statPath() == "system.t10"
    first = root.system.t[0].getCCObject()
    assert first.name() == "system.t00" and first.statPath() == "system.t0"


def test_run_options_config_only_and_file_names(tmp_path):
    from simobjs import options as run_options

    try:
        run_options.options.config_only = True
        make_root()
        with pytest.raises(build.ConfigOnlyStop):
            build.instantiate(outdir=str(tmp_path / "a"))
        assert (tmp_path / "a" / "config.ini").exists() and core.current() is None
        reset_for_tests()
        run_options.reset()
        run_options.options.stats_file = "mystats.txt"
        run_options.options.dump_config = "my.ini"
        sim = build.instantiate(make_root(t=Ticker(stop_after=2)), outdir=str(tmp_path / "b"))
        sim.simulate()
        assert core.finalize(3) == 3
        names = sorted(os.listdir(tmp_path / "b"))
        assert "my.ini" in names and "config.ini" not in names
        assert "mystats.txt" in names and "mystats.json" in names
    finally:
        run_options.reset()


def test_exit_sim_loop_with_delay_or_absolute_tick(tmp_path):
    sim = build.instantiate(make_root(), outdir=str(tmp_path))
    sim.simulate(100)
    sim.exitSimLoop("m5_exit instruction encountered", 0, 50)
    ev = sim.simulate()
    assert (ev.getCause(), sim.curTick()) == ("m5_exit instruction encountered", 150)
    sim.exitSimLoop("m5_fail instruction encountered", 7, when=400)
    ev = sim.simulate()
    assert (ev.getCause(), ev.getCode(), sim.curTick()) == (
        "m5_fail instruction encountered",
        7,
        400,
    )


def test_time_sync_sleeps_until_real_time_catches_up(tmp_path, monkeypatch):
    import simobjs.sim.root as root_mod

    clock = [100.0]
    slept = []

    def sleep(seconds):
        slept.append(round(seconds, 6))
        clock[0] += seconds

    def monotonic():
        clock[0] += 0.0001  # real time moves a little between reads (a spin ends)
        return clock[0]

    monkeypatch.setattr(root_mod.time, "monotonic", monotonic)
    monkeypatch.setattr(root_mod.time, "sleep", sleep)
    root = make_root()
    root.time_sync_enable = True
    root.time_sync_period = "10ms"
    root.time_sync_spin_threshold = "1ms"
    sim = build.instantiate(root, outdir=str(tmp_path))
    sim.simulate(50 * 10**9)  # 50 ms simulated, no real time passing on its own
    assert len(slept) == 5 and all(0.008 < s < 0.009 for s in slept)  # sleep, then spin the rest
    assert clock[0] >= 100.05  # real time caught up with the 50 simulated ms
    assert root.getCCObject().sync_event.scheduled()


def test_simulate_listeners_see_each_call(tmp_path):
    seen = []

    class Watch:
        def simulate_begin(self, sim):
            seen.append(("begin", sim.curTick()))

        def simulate_end(self, sim, ev):
            seen.append(("end", sim.curTick(), ev.getCause() if ev else None))

    watch = Watch()
    core.listeners.append(watch)
    try:
        sim = build.instantiate(make_root(), outdir=str(tmp_path))
        sim.simulate(500)
        sim.drain()  # drains simulate internally: not a user simulate() call
        sim.simulate(500)
    finally:
        core.listeners.remove(watch)
    assert seen == [
        ("begin", 0),
        ("end", 500, "simulate() limit reached"),
        ("begin", 500),
        ("end", 1000, "simulate() limit reached"),
    ]


def test_lifecycle_failures_name_the_object(tmp_path):
    from kernel_models import TickerModel

    root = make_root(t=Ticker())

    def bad_init(self):
        raise OSError("no such device")

    TickerModel.init = bad_init
    try:
        with pytest.raises(OSError) as info:
            build.instantiate(root, outdir=str(tmp_path))
    finally:
        del TickerModel.init
    assert "in system.t.init()" in info.value.__notes__
    assert core.current() is None
