"""Debug flags: gem5 names, run-time selection, line format, start/end tick, ignored
objects, file."""

import io

import pytest

from simobjs.config import build
from simobjs.sim import debug


class Obj:
    def __init__(self, tick):
        self.tick = tick

    def name(self):
        return "system.cpu"

    def curTick(self):
        return self.tick


def test_flags_off_by_default_and_unknown_names_fail():
    assert debug.flags.Kvm is False
    with pytest.raises(AttributeError):
        _ = debug.flags.NoSuchFlag
    with pytest.raises(ValueError, match="unknown debug flag"):
        debug.set_flags("Kvm,Bogus")


def test_set_and_clear_with_compound_and_negation():
    debug.set_flags("KvmAll,-KvmTimer,Uart")
    assert (
        debug.flags.KvmIO and debug.flags.KvmRun and not debug.flags.KvmTimer and debug.flags.Uart
    )
    debug.clear_flags("Uart")
    assert not debug.flags.Uart and set(debug.flags.enabled()) >= {"Kvm", "KvmIO"}
    debug.clear_flags()
    assert debug.flags.enabled() == []


def test_line_format_and_start_tick():
    out = io.StringIO()
    debug.set_file(out)
    debug.dprintf(Obj(42), "out %#x <- %#x", 0x3F8, 0x41)
    debug.set_start(100)
    debug.dprintf(Obj(99), "too early")
    debug.dprintf(Obj(100), "on time")
    assert (
        out.getvalue() == "     42: system.cpu: out 0x3f8 <- 0x41\n    100: system.cpu: on time\n"
    )


class Named(Obj):
    def __init__(self, path):
        super().__init__(7)
        self.path = path

    def name(self):
        return self.path


def test_end_tick_stops_the_output():
    out = io.StringIO()
    debug.set_file(out)
    debug.set_end(100)
    for tick in (99, 100, 101):
        debug.dprintf(Obj(tick), "at %d", tick)
    assert out.getvalue() == "     99: system.cpu: at 99\n"


def test_ignored_objects_and_everything_below_them():
    out = io.StringIO()
    debug.set_file(out)
    debug.set_ignore("system.pic, system.*.icache")
    names = [
        "system.pic",
        "system.pic2",
        "system.pic.inputs",
        "system.cpu0.icache",
        "system.cpu1.icache.tags",
        "system.cpu0.dcache",
        "system",
        "eventq",
    ]
    for name in names:
        debug.dprintf(Named(name), "x")
    printed = [line.split()[1].rstrip(":") for line in out.getvalue().splitlines()]
    assert printed == ["system.pic2", "system.cpu0.dcache", "system", "eventq"]


def test_debug_file(tmp_path):
    path = tmp_path / "trace.out"
    debug.set_file(str(path))
    debug.dprintf("drain", "hello %d", 3)
    debug.set_file(None)
    assert path.read_text() == "      0: drain: hello 3\n"


def test_help_text_lists_flags():
    text = debug.help_text()
    assert "    KvmIO" in text and "KvmAll: Kvm, KvmIO" in text


def test_event_flag_traces_every_event(tmp_path):
    from kernel_models import Ticker, make_root

    out = io.StringIO()
    debug.set_file(out)
    debug.set_flags("Event")
    sim = build.instantiate(make_root(t=Ticker(stop_after=2)), outdir=str(tmp_path))
    assert sim.simulate().getCause() == "ticker done"
    lines = out.getvalue().splitlines()
    assert lines[0] == "   1000: eventq: system.t.tick executed @ 1000 (pri 0)"
    assert lines[-1].endswith("exit: ticker done executed @ 2000 (pri 100)")
