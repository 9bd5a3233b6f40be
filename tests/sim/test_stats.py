"""stats.txt byte for byte, JSON, dump rules, unavailable counters."""

import json

from simobjs.sim import stats
from simobjs.sim.stat_control import StatsControl
from simobjs.sim.stats import Formula, Scalar, StatGroup, Vector, value_to_string


class FakeCPU(StatGroup):
    is_cpu = True

    def __init__(self, path, insts, available=True):
        super().__init__(path)
        self.insts = insts
        self.insts_available = available
        self.insts_unavailable_reason = "no PMU on this host"

    def name(self):
        return self.statPath()

    def totalInsts(self):
        return self.insts

    def totalOps(self):
        return self.insts


def test_value_to_string_follows_gem5():
    assert value_to_string(3.0, -1) == "3"
    assert value_to_string(0.5, -1) == "0.500000"
    assert value_to_string(1.234, 2) == "1.23"
    assert value_to_string(float("nan"), -1) == "nan"
    assert value_to_string(float("inf"), -1) == "inf"
    assert value_to_string(12345.6, 0) == "12346"


EXPECTED = (
    "\n---------- Begin Simulation Statistics ----------\n"
    "simSeconds                                   0.000002                       # Number of seconds simulated (Second)\n"
    "simTicks                                      2000000                       # Number of ticks simulated (Tick)\n"
    "finalTick                                     2000000                       # Number of ticks from beginning of simulation (restored from checkpoints and never reset) (Tick)\n"
    "simFreq                                  1000000000000                       # The number of ticks per simulated second ((Tick/Second))\n"
    "hostSeconds                                      0.50                       # Real time elapsed on the host (Second)\n"
    "hostTickRate                                  4000000                       # The number of ticks simulated per host second (ticks/s) ((Tick/Second))\n"
    "hostMemory                                  123456789                       # Number of bytes of host memory used (Byte)\n"
    "simInsts                                         1500                       # Number of instructions simulated (Count)\n"
    "simOps                                           1500                       # Number of ops (including micro ops) simulated (Count)\n"
    "hostInstRate                                     3000                       # Simulator instruction rate (inst/s) ((Count/Second))\n"
    "hostOpRate                                       3000                       # Simulator op (including micro ops) rate (op/s) ((Count/Second))\n"
    "system.cpu.numCycles                             2000                       # Number of cpu cycles simulated (Cycle)\n"
    "system.cpu.ipc                               0.750000                       # IPC: instructions per cycle (core level) ((Count/Cycle))\n"
    "system.cpu.hist::0                                  1                       # A histogram (Count)\n"
    "system.cpu.hist::1                                  0                       # A histogram (Count)\n"
    "system.cpu.hist::2                                  7                       # A histogram (Count)\n"
    "system.cpu.commitStats0.numInsts                 1500                       # Number of instructions committed (thread level) (Count)\n"
    "system.mem.bytes::read                             64                       # Bytes (Byte)\n"
    "system.mem.bytes::write                            32                       # Bytes (Byte)\n"
    "system.mem.bytes::total                            96                       # Bytes (Byte)\n"
    "\n---------- End Simulation Statistics   ----------\n"
)


def _control(tmp_path, tick, cpus, clock):
    owners = []
    ctl = StatsControl(lambda: owners, lambda: tick[0], lambda: cpus, str(tmp_path), clock)
    return ctl, owners


def test_stats_txt_layout_byte_for_byte(tmp_path, monkeypatch):
    import simobjs.sim.stat_control as sc

    monkeypatch.setattr(sc, "host_memory_usage", lambda: 123456789)
    tick, now = [0], [100.0]
    cpu = FakeCPU("system.cpu", 1500)
    ctl, owners = _control(tmp_path, tick, [cpu], lambda: now[0])
    ctl.root.hostMemory.fn = sc.host_memory_usage
    mem = StatGroup("system.mem")
    cycles = Scalar(cpu, "numCycles", "Number of cpu cycles simulated", unit=stats.Cycle)
    insts = Scalar(
        cpu,
        "commitStats0.numInsts",
        "Number of instructions committed (thread level)",
        unit=stats.Count,
    )
    Formula(
        cpu,
        "ipc",
        "IPC: instructions per cycle (core level)",
        lambda: insts.value() / cycles.value(),
        unit=stats.Rate(stats.Count, stats.Cycle),
    )
    hist = Vector(cpu, "hist", "A histogram", 3, unit=stats.Count)
    rw = Vector(mem, "bytes", "Bytes", 2, subnames=["read", "write"], unit=stats.Byte, total=True)
    owners += [mem, cpu]  # registration order of groups does not matter: output is sorted
    ctl.enable()
    assert (tmp_path / "stats.txt").read_text() == ""
    cycles += 2000
    insts += 1500
    hist[0] += 1
    hist[2] = 7
    rw[0] += 64
    rw[1] += 32
    tick[0] = 2_000_000
    now[0] = 100.5
    assert ctl.dump() is True
    assert (tmp_path / "stats.txt").read_text() == EXPECTED


def test_second_dump_in_same_tick_and_dump_at_tick_zero_do_nothing(tmp_path):
    tick = [0]
    ctl, owners = _control(tmp_path, tick, [], lambda: 0.0)
    ctl.enable()
    assert ctl.dump() is False  # tick 0: lastDump starts at 0
    tick[0] = 10
    assert ctl.dump() is True
    assert ctl.dump() is False
    tick[0] = 20
    assert ctl.dump() is True
    text = (tmp_path / "stats.txt").read_text()
    assert text.count("Begin Simulation Statistics") == 2
    dumps = json.loads((tmp_path / "stats.json").read_text())
    assert [d["tick"] for d in dumps] == [10, 20]
    assert dumps[1]["stats"]["simTicks"]["value"] == 20


def test_reset_restarts_counters_and_sim_ticks(tmp_path):
    tick = [0]
    ctl, owners = _control(tmp_path, tick, [], lambda: 0.0)
    g = StatGroup("system.dev")
    s = Scalar(g, "events", "Events", unit=stats.Count)
    owners.append(g)
    s += 5
    tick[0] = 100
    ctl.reset()
    tick[0] = 150
    assert s.value() == 0
    assert ctl.root.simTicks.value() == 50 and ctl.root.finalTick.value() == 150


def test_scalar_add_counts_like_plus_equals():
    g = StatGroup("system.dev")
    a = Scalar(g, "a", "A", unit=stats.Count)
    b = Scalar(g, "b", "B", unit=stats.Count)
    a.add(3)
    a.add()
    a.add(0.5)
    b += 3
    b += 1
    b += 0.5
    assert a.value() == b.value() == 4.5
    a.reset()
    assert a.value() == 0


def test_unavailable_counts_print_nan_and_say_why(tmp_path):
    tick = [1000]
    kvm = FakeCPU("system.cpu", 0, available=False)
    ctl, owners = _control(tmp_path, tick, [kvm], lambda: 0.0)
    n = Scalar(
        kvm,
        "commitStats0.numInsts",
        "Number of instructions committed (thread level)",
        unit=stats.Count,
        available=False,
        reason="no PMU on this host",
    )
    n += 12345  # whatever a model adds, an unavailable counter never prints a number
    owners.append(kvm)
    text = ctl.text()
    line = next(x for x in text.splitlines() if x.startswith("simInsts"))
    assert line.split()[1] == "nan" and "system.cpu cannot count instructions: no PMU" in line
    line = next(x for x in text.splitlines() if "numInsts" in x)
    assert line.split()[1] == "nan" and "unavailable: no PMU on this host" in line
    dumped = ctl.dump() and json.loads((tmp_path / "stats.json").read_text())
    assert dumped[0]["stats"]["simInsts"]["value"] is None


def test_zero_instruction_totals_are_left_out_as_gem5_prereq_does(tmp_path):
    ctl, owners = _control(tmp_path, [5], [FakeCPU("system.cpu", 0)], lambda: 0.0)
    text = ctl.text()
    assert "simInsts" not in text and "hostOpRate" not in text and "hostMemory" in text


def test_formula_division_by_zero_prints_nan_or_inf(tmp_path):
    g = StatGroup("x")
    zero = Scalar(g, "zero", "z")
    one = Scalar(g, "one", "o")
    one += 1
    Formula(g, "nan", "0/0", zero / zero)
    Formula(g, "inf", "1/0", one / zero)
    lines = stats.format_text([g]).splitlines()
    assert next(x for x in lines if x.startswith("x.nan")).split()[1] == "nan"
    assert next(x for x in lines if x.startswith("x.inf")).split()[1] == "inf"


def test_final_dump_writes_even_at_tick_zero_when_nothing_was_dumped(tmp_path):
    tick = [0]
    ctl, owners = _control(tmp_path, tick, [], lambda: 0.0)
    ctl.enable()
    assert ctl.dump() is False
    assert ctl.dump(final=True) is True
    assert ctl.dump(final=True) is False  # once
