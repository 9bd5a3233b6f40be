"""The stats.txt reader of the sweep tables."""

import math

from simobjs.multisim import statsfile

TEXT = """
---------- Begin Simulation Statistics ----------
simSeconds                                   0.000001                       # Number of seconds simulated (Second)
simTicks                                      1000000                       # Number of ticks simulated (Tick)
simInsts                                          nan                       # Number of instructions simulated (unavailable: no PMU # really) (Count)
system.cpu.numCycles                             2000                       # Number of cpu cycles simulated (Cycle)

---------- End Simulation Statistics   ----------

---------- Begin Simulation Statistics ----------
simTicks                                      3000000                       # Number of ticks simulated (Tick)
system.cpu0.numCycles                            6000                       # Number of cpu cycles simulated (Cycle)
system.cpu1.numCycles                            5000                       # Number of cpu cycles simulated (Cycle)
system.bus.pkts::0                                  3     37.50%     37.50% # packets (Count)
system.bus.pkts::total                              8                       # packets (Count)
hostSeconds                                      0.25                       # Real time elapsed on the host (Second)

---------- End Simulation Statistics   ----------
"""


def test_every_dump_in_order():
    dumps = statsfile.parse(TEXT)
    assert len(dumps) == 2
    assert dumps[0]["simTicks"] == 1_000_000
    assert math.isnan(dumps[0]["simInsts"])
    assert dumps[1]["system.bus.pkts::0"] == 3  # the pdf/cdf columns are not the value
    assert dumps[1]["system.bus.pkts::total"] == 8
    assert dumps[1]["hostSeconds"] == 0.25


def test_read_takes_the_last_dump_by_default(tmp_path):
    path = tmp_path / "stats.txt"
    path.write_text(TEXT)
    assert statsfile.read(path)["simTicks"] == 3_000_000
    assert statsfile.read(path, 0)["simTicks"] == 1_000_000
    (tmp_path / "empty.txt").write_text("")
    assert statsfile.read(tmp_path / "empty.txt") == {}


def test_a_dump_cut_short_is_kept():
    cut = TEXT.split("---------- End Simulation Statistics   ----------")[0]
    (dump,) = statsfile.parse(cut)
    assert dump["system.cpu.numCycles"] == 2000


def test_select_names_and_patterns():
    values = statsfile.parse(TEXT)[1]
    chosen = statsfile.select(values, ["simTicks", "system.cpu*.numCycles", "missing"])
    assert list(chosen) == ["simTicks", "system.cpu0.numCycles", "system.cpu1.numCycles", "missing"]
    assert chosen["system.cpu1.numCycles"] == 5000
    assert math.isnan(chosen["missing"])


def test_json_numbers():
    assert statsfile.number(3.0) == 3 and isinstance(statsfile.number(3.0), int)
    assert statsfile.number(0.25) == 0.25
    assert statsfile.number(math.nan) is None
    assert statsfile.number(math.inf) == "inf"
