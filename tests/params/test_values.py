"""Param value types: parsing, config.ini text, config.json value, bad input."""

import pytest

from simobjs.base import convert
from simobjs.base.addr_range import AddrRange as PlainAddrRange
from simobjs.errors import ConfigError
from simobjs.params import (
    Addr,
    AddrRange,
    AllMemory,
    Bool,
    Clock,
    Counter,
    Cycles,
    Energy,
    Enum,
    Float,
    Frequency,
    Int,
    Int8,
    Latency,
    MaxAddr,
    MaxTick,
    MemoryBandwidth,
    MemorySize,
    MemorySize32,
    Percent,
    String,
    Tick,
    UInt8,
    UInt64,
    Unsigned,
    Voltage,
)


def test_convert_functions():
    assert convert.toMemorySize("512MB") == 512 * 2**20
    assert convert.toMemorySize("1GiB") == 2**30
    assert convert.toMemorySize("4kB") == 4096
    assert convert.toFrequency("1GHz") == 1e9
    assert convert.toLatency("100ns") == pytest.approx(1e-7)
    assert convert.anyToLatency("2GHz") == pytest.approx(5e-10)
    assert convert.anyToLatency("5ns") == pytest.approx(5e-9)
    assert convert.anyToFrequency("1ns") == pytest.approx(1e9)
    assert convert.toVoltage("1.2V") == pytest.approx(1.2)
    assert convert.toVoltage("900mV") == pytest.approx(0.9)
    assert convert.toBool("Yes") is True and convert.toBool("f") is False
    assert convert.toInteger("0x10") == 16
    with pytest.raises(ValueError, match="needs a valid unit"):
        convert.anyToLatency("5")
    with pytest.raises(ValueError, match="cannot convert"):
        convert.toFrequency("fastHz")
    with pytest.raises(TypeError):
        convert.toBool(1)


@pytest.mark.parametrize(
    "cls,text,value",
    [
        (Int, "-5", -5),
        (Unsigned, "0x20", 32),
        (Int8, "-128", -128),
        (UInt8, 255, 255),
        (UInt64, 2**64 - 1, 2**64 - 1),
        (Counter, 7.9, 7),
        (Tick, "100", 100),
        (Cycles, 3, 3),
        (Percent, 100, 100),
    ],
)
def test_checked_ints(cls, text, value):
    v = cls(text)
    assert v.value == value
    assert v.ini_str() == str(value)
    assert v.config_value() == value
    assert v.frozen() == value


@pytest.mark.parametrize(
    "cls,bad", [(Int8, 128), (UInt8, -1), (Unsigned, 2**32), (Percent, 101), (Int, "2**40")]
)
def test_checked_int_bounds(cls, bad):
    with pytest.raises(ConfigError) as e:
        cls(bad)
    assert isinstance(e.value, TypeError)


def test_out_of_bounds_message():
    with pytest.raises(TypeError, match=r"Integer param out of bounds 0 < 256 < 255"):
        UInt8(256)


def test_int_rejects_objects():
    with pytest.raises(ConfigError, match="Can't convert object of type list"):
        Int([1])
    with pytest.raises(ConfigError, match="cannot convert 'abc'"):
        Int("abc")


def test_numeric_arithmetic_keeps_type():
    v = Unsigned(10) * 2
    assert isinstance(v, Unsigned) and v == 20
    assert int(Unsigned(7) // 2) == 3
    assert list(range(Unsigned(3))) == [0, 1, 2]
    with pytest.raises(TypeError):
        Unsigned(1) - 2


def test_bool():
    assert Bool("true").ini_str() == "true"
    assert Bool("N").ini_str() == "false"
    assert Bool(1).config_value() is True
    assert not Bool(False)
    with pytest.raises(ConfigError, match="cannot convert 'maybe' to bool"):
        Bool("maybe")


def test_float_family():
    assert Float(1).ini_str() == "1.0"
    assert Float("2.5").config_value() == 2.5
    assert Voltage("1V").ini_str() == "1.0"
    assert Voltage("800mV").frozen() == pytest.approx(0.8)
    assert Energy("2mJ").frozen() == pytest.approx(0.002)
    with pytest.raises(ConfigError):
        Float("x")
    with pytest.raises(ConfigError):
        Float(None)


def test_memory_sizes_are_binary():
    assert MemorySize("512MB").value == 536870912
    assert MemorySize("512MB").ini_str() == "536870912"
    with pytest.raises(TypeError, match="out of bounds"):
        MemorySize32("4GiB")
    assert MemorySize32("1GiB").value == 2**30


def test_addr():
    assert Addr("0x3f8").value == 0x3F8
    assert Addr("1MiB").value == 2**20
    assert Addr(4096).ini_str() == "4096"
    with pytest.raises(ConfigError):
        Addr("nowhere")
    with pytest.raises(TypeError):
        Addr(-1)


def test_addr_range_forms():
    r = AddrRange("512MB")
    assert (r.start, r.end, r.size()) == (0, 512 * 2**20, 512 * 2**20)
    assert AddrRange(0x1000, 0x2000).ini_str() == "4096:8192"
    assert AddrRange((0x10, 0x20)).end == 0x20
    assert AddrRange(start=0x1000, size="4kB").end == 0x2000
    assert AddrRange(0x1000, size=0x10).end == 0x1010
    assert AddrRange(start="1MiB", end="2MiB").size() == 2**20
    assert AddrRange("0:4096").end == 4096
    r = AddrRange(0x1000, 0x2000)
    assert r.contains(0x1000) and r.contains(0x1FFF) and not r.contains(0x2000)
    assert 0x1800 in r
    assert r.intersects(AddrRange(0x1FFF, 0x3000))
    assert not r.intersects(AddrRange(0x2000, 0x3000))
    assert r.config_value() == "4096:8192"
    frozen = r.frozen()  # models get the plain range of simobjs.base
    assert frozen == r and type(frozen) is PlainAddrRange and frozen.size() == 0x1000
    assert AllMemory.end == MaxAddr == 2**64 - 1
    assert MaxTick == 2**64 - 1


def test_addr_range_interleaved():
    r = AddrRange(0, size="1MiB", intlvHighBit=6, intlvBits=1, intlvMatch=1)
    assert r.masks == [1 << 6] and r.size() == 2**19
    assert r.ini_str() == "0:1048576:1:64"
    assert r.contains(64) and not r.contains(0)
    assert AddrRange(0, size=4096, masks=[64, 128], intlvMatch=2).ini_str() == "0:4096:2:64:128"


@pytest.mark.parametrize(
    "args,kwargs",
    [((), {"start": 0}), ((1, 2, 3), {}), ((0,), {"end": 4, "bogus": 1}), ((0x2000, 0x1000), {})],
)
def test_addr_range_bad(args, kwargs):
    with pytest.raises(ConfigError):
        AddrRange(*args, **kwargs)


def test_latency_frequency_clock():
    assert Latency("100ns").ini_str() == "100000"
    assert Latency("5t").ini_str() == "5"
    assert Latency("0ns").frozen() == 0
    assert Frequency("1GHz").ini_str() == "1000"
    assert Frequency("2GHz").config_value() == 500
    assert Clock("2GHz").ini_str() == "500"
    assert Clock("1ns").ini_str() == "1000"
    assert Clock("7t").frozen() == 7
    assert Latency(Frequency("1GHz")).frozen() == 1000
    assert Frequency(Latency("1ns")).frozen() == 1000
    assert Clock("1GHz").frequency.frozen() == 1000
    assert Frequency("0Hz").ini_str() == "0"
    for cls, bad in [
        (Latency, "1GHz"),
        (Latency, 5),
        (Frequency, "1ns"),
        (Clock, "12"),
        (Clock, None),
    ]:
        with pytest.raises(ConfigError):
            cls(bad)


def test_memory_bandwidth():
    bw = MemoryBandwidth("1GiB/s")
    assert bw.ini_str() == "%f" % round(1e12 / 2**30)
    assert isinstance(bw.frozen(), float)


def test_string_and_enum():
    assert String("abc").ini_str() == "abc"

    class Colour(Enum):
        vals = ["red", "green"]

    assert Colour("red").ini_str() == "red"
    assert Colour("green").config_value() == "green"
    with pytest.raises(
        TypeError, match=r"Enum param got bad value 'blue' \(not in \['red', 'green'\]\)"
    ):
        Colour("blue")

    class Mapped(Enum):
        map = {"b": 2, "a": 1}

    assert Mapped.vals == ["a", "b"]
