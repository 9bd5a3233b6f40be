"""The m5 namespace: what gem5 scripts call, and that importing it loads no model."""

import os
import subprocess
import sys

import pytest

import m5
from simobjs.base import ticks
from simobjs.params.simobject import reset_for_tests
from simobjs.sim import core

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(autouse=True)
def _fresh():
    reset_for_tests()
    yield
    m5.close()
    reset_for_tests()
    ticks.unfixGlobalFrequency()


def test_import_m5_loads_no_runtime_model():
    code = (
        "import sys, m5\n"
        "from m5.objects import *\n"
        "bad = [m for m in sys.modules if m.startswith(('simobjs.cpu.', 'simobjs.dev', 'kvm',"
        " 'simobjs.mem.xbar', 'simobjs.mem.simple_mem', 'simobjs.arch.x86.interrupts'))]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_gem5_names_are_there():
    for name in (
        "instantiate",
        "simulate",
        "curTick",
        "MaxTick",
        "drain",
        "checkpoint",
        "switchCpus",
        "memWriteback",
        "memInvalidate",
        "setMaxTick",
        "getMaxTick",
        "scheduleTickExitFromCurrent",
        "scheduleTickExitAbsolute",
        "options",
        "objects",
        "params",
        "proxy",
        "util",
        "ticks",
        "stats",
        "debug",
    ):
        assert hasattr(m5, name), name
    assert m5.MaxTick == 2**64 - 1 and m5.curTick() == 0


def test_a_script_runs_the_gem5_way(tmp_path, capsys):
    from m5.objects import Root, SrcClockDomain, System, VoltageDomain

    root = Root(full_system=False)
    root.system = System()
    root.system.clk_domain = SrcClockDomain(clock="2GHz", voltage_domain=VoltageDomain())
    m5.setOutputDir(str(tmp_path))
    try:
        m5.instantiate()
        assert "Global frequency set at 1000000000000 ticks per second" in capsys.readouterr().out
        m5.scheduleTickExitFromCurrent(5000)
        ev = m5.simulate()
        assert (ev.getCause(), ev.getCode(), m5.curTick()) == ("Tick exit reached", 0, 5000)
        assert root.system.clk_domain.getCCObject().clockPeriod() == 500
        m5.stats.dump()
        m5.stats.dump()
        m5.stats.reset()
    finally:
        m5.setOutputDir("m5out")
    text = (tmp_path / "stats.txt").read_text()
    assert text.count("Begin Simulation Statistics") == 1
    assert (tmp_path / "config.ini").exists()
    assert core.current() is not None


def test_debug_flags_at_run_time():
    m5.debug.set_flags("Kvm,KvmIO")
    from simobjs.sim import debug

    try:
        assert debug.flags.Kvm and debug.flags.KvmIO and not debug.flags.Uart
        assert m5.debug.flags["Kvm"].status()
        m5.debug.flags["Kvm"].disable()
        assert not debug.flags.Kvm
    finally:
        debug.clear_flags()


def test_periodic_stat_dump(tmp_path):
    from m5.objects import Root, SrcClockDomain, System, VoltageDomain

    root = Root(full_system=False)
    root.system = System()
    root.system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
    m5.instantiate(outdir=str(tmp_path))
    m5.stats.periodicStatDump(1000)
    m5.simulate(3500)
    m5.stats.periodicStatDump(0)
    m5.simulate(3000)
    dumps = (tmp_path / "stats.txt").read_text().count("Begin Simulation Statistics")
    assert dumps == 3  # at 1000, 2000, 3000
