"""The progress line: its text, when it shows, and that it leaves results alone."""

import io
import time

from clirun import simobjs, write

from simobjs import progress
from simobjs.progress import Sample, format_line

SPIN = """
import sys
import m5
from m5.objects import *
from simobjs.sim.eventq import EventFunctionWrapper

root = Root(full_system=False)
root.system = System()
root.system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
m5.instantiate()
q = root.system.getCCObject().eventq
count = [0]
def again():
    count[0] += 1
    q.schedule(ev, q.curTick() + 1000)
ev = EventFunctionWrapper(again, "spin")
q.schedule(ev, 1000)
m5.scheduleTickExitFromCurrent(int(sys.argv[1]))
e = m5.simulate()
print("Exiting @ tick %i because %s" % (m5.curTick(), e.getCause()))
print("events", count[0])
"""


class _Stat:
    def __init__(self, v, available=True):
        self._value = v
        self.available = available


class _Cpu:
    def __init__(self, exits=None, insts=0, counts=True):
        if exits is not None:
            self.numVMExits = _Stat(exits)
        self.insts_available = counts
        self.insts = insts

    def totalInsts(self):
        return self.insts


class _Sim:
    def __init__(self, cpus, tick=0):
        self._cpus = cpus
        self.tick = tick

    def cpus(self):
        return self._cpus

    def curTick(self):
        return self.tick


def test_line_shows_rates_over_the_last_interval():
    prev = Sample(10.0, 0, 100, 1_000_000, 1)
    now = Sample(10.5, 2_500_000_000, 600, 3_000_000, 1)
    line = format_line(9.0, prev, now, 10**12)
    assert line == "[simobjs] sim 2.500 ms | host 1.5 s | 1,000 exits/s | 4.00 MIPS"


def test_line_without_counts_says_so():
    prev = Sample(0.0, 0, 5, None, 1)
    now = Sample(1.0, 3 * 10**12, 5, None, 1)
    assert format_line(0.0, prev, now, 10**12).endswith(
        "sim 3.000 s | host 1.0 s | 0 exits/s | MIPS n/a"
    )
    no_cpu = Sample(1.0, 10**6, None, None, 0)
    assert format_line(0.0, no_cpu, no_cpu, 10**12) == "[simobjs] sim 1.000 us | host 1.0 s"


def test_counter_reset_does_not_go_negative():
    prev = Sample(0.0, 0, 500, 9_000_000, 1)
    now = Sample(1.0, 1, 10, 1_000, 1)
    assert "0 exits/s | 0.00 MIPS" in format_line(0.0, prev, now, 10**12)


def test_sample_sums_cpus_and_skips_uncounted():
    sim = _Sim([_Cpu(exits=3, counts=False), _Cpu(exits=4, counts=False), _Cpu(insts=9)], tick=77)
    s = sample = progress.sample(sim)
    assert (sample.tick, s.exits, s.insts, s.cpus) == (77, 7, 9, 3)
    none = progress.sample(_Sim([_Cpu(counts=False)]))
    assert none.exits is None and none.insts is None


def test_wanted_only_on_a_terminal():
    assert not progress.wanted("auto", io.StringIO())
    assert progress.wanted("on", io.StringIO())
    assert not progress.wanted("off", io.StringIO())


def test_thread_writes_lines_while_running_and_clears():
    out = io.StringIO()
    sim = _Sim([_Cpu(insts=0)])
    p = progress.Progress(out, interval=0.02, delay=0.0)
    try:
        p.begin(sim)
        deadline = time.monotonic() + 5
        while "[simobjs]" not in out.getvalue() and time.monotonic() < deadline:
            sim.tick += 10**9
            sim._cpus[0].insts += 1000
            time.sleep(0.01)
        p.end()
        text = out.getvalue()
        assert text.startswith("\r[simobjs] sim ")
        assert text.endswith("\r")  # the line is wiped when simulate() returns
        after = len(out.getvalue())
        time.sleep(0.1)
        assert len(out.getvalue()) == after  # nothing while no simulate() runs
    finally:
        p.close()


def test_forced_progress_through_the_command(tmp_path):
    script = write(tmp_path / "spin.py", SPIN)
    on = simobjs("-q", "--progress=on", "-d", "a", str(script), "6000000000", cwd=tmp_path)
    assert on.returncode == 0, on.stderr
    assert "[simobjs] sim " in on.stderr  # text mode reads \\r as a newline
    off = simobjs("-q", "-d", "b", str(script), "6000000000", cwd=tmp_path)
    assert "[simobjs]" not in off.stderr  # stderr is a pipe: auto means off
    # the display changes nothing in the simulation
    assert on.stdout == off.stdout
    stat = f"{'finalTick':<40} {6000000000:>12}"
    assert stat in (tmp_path / "a" / "stats.txt").read_text()
    assert stat in (tmp_path / "b" / "stats.txt").read_text()
