"""m5.util.convert and the m5.util helpers, as gem5's scripts and unit tests use them."""

import math
import pickle

import pytest

from m5.util import (
    Singleton,
    addToPath,
    applyOrMap,
    attrdict,
    callOnce,
    convert,
    crossproduct,
    deprecated,
    flatten,
    inform,
    makeList,
    multiattrdict,
    multidict,
    optiondict,
)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("3", 3.0),
        ("1.5kX", 1500.0),
        ("2MX", 2e6),
        ("1KiX", 1024.0),
        ("3MiX", 3 * 2**20),
        ("4EiX", 4 * 2**60),
        ("7nX", 7e-9),
        ("5aX", 5e-18),
    ],
)
def test_metric_float(text, expected):
    assert convert.toMetricFloat(text, "thing", "X") == pytest.approx(expected)


def test_integers_take_any_base():
    assert convert.toMetricInteger("0x10kX", "thing", "X") == 16000
    assert convert.toInteger("0o17") == 15


def test_prefix_needs_a_unit_and_exact_case():
    for bad in ("5k", "5KX", "5kiX", "5.5.5X"):
        with pytest.raises(ValueError, match="cannot convert"):
            convert.toMetricFloat(bad, "thing", "X")
    with pytest.raises(ValueError):
        convert.toMetricInteger("1.5kX", "thing", "X")
    with pytest.raises(TypeError, match="should be str"):
        convert.toMetricFloat(5)


def test_binary_prefixes_read_decimal_ones_as_binary():
    assert convert.toBinaryInteger("2kX", "v", "X") == 2048
    assert convert.toBinaryFloat("1.5GX", "v", "X") == 1.5 * 2**30
    with pytest.raises(ValueError):
        convert.toBinaryInteger("1mX", "v", "X")  # milli is no binary prefix


def test_memory_size_warns_once_per_value_that_decimal_means_binary(capsys):
    assert convert.toMemorySize("63MB") == 63 * 2**20
    assert convert.toMemorySize("63MB") == 63 * 2**20
    assert convert.toMemorySize("63MiB") == 63 * 2**20
    assert convert.toMemoryBandwidth("12.7GB/s") == 12.7 * 2**30
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "warn: Base 10 memory/cache size 63MB will be cast to base 2 size 63MiB.",
        "warn: Base 10 memory/cache size 12.7GB/s will be cast to base 2 size 12.7GiB/s.",
    ]
    assert convert._base_10_to_2("8kB", "B") == "8Ki" and convert._base_10_to_2("8KiB", "B") is None


def test_infinities_and_nan_come_through_as_float_reads_them():
    assert convert.toMetricFloat("inf") == math.inf
    assert convert.toMetricFloat("-inf") == -math.inf
    assert math.isnan(convert.toFloat("nan"))
    assert convert.toMetricFloat("1e400") == math.inf
    # with a unit, the last letter of "inf"/"nan" is read as a prefix (femto, nano), as in gem5
    for text in ("infs", "nanHz"):
        with pytest.raises(ValueError, match="cannot convert"):
            convert.anyToLatency(text)
    with pytest.raises(ValueError):
        convert.toInteger("inf")


def test_latency_and_frequency_both_ways():
    assert convert.anyToLatency("1GHz") == pytest.approx(1e-9)
    assert convert.anyToLatency("20ns") == pytest.approx(20e-9)
    assert convert.anyToFrequency("2ns") == pytest.approx(5e8)
    for fn, text in ((convert.anyToLatency, "0Hz"), (convert.anyToFrequency, "0s")):
        with pytest.raises(ValueError, match="cannot convert"):
            fn(text)
    with pytest.raises(ValueError, match="needs a valid unit"):
        convert.anyToLatency("10")


def test_ip_addresses_netmasks_and_ports():
    assert convert.toIpAddress("192.168.1.20") == 0xC0A80114
    for bad in ("1.2.3", "1.2.3.256", "a.b.c.d"):
        with pytest.raises(ValueError):
            convert.toIpAddress(bad)
    assert convert.toIpNetmask("10.0.0.0/8") == (0x0A000000, 8)
    assert convert.toIpNetmask("10.0.0.0/255.255.255.0") == (0x0A000000, 24)
    assert convert.toIpNetmask("10.0.0.0/0.0.0.0") == (0x0A000000, 0)
    for bad in ("10.0.0.0/33", "10.0.0.0/255.0.255.0", "10.0.0.0/255.255"):
        with pytest.raises(ValueError, match="invalid netmask"):
            convert.toIpNetmask(bad)
    assert convert.toIpWithPort("127.0.0.1:8080") == (0x7F000001, 8080)
    with pytest.raises(ValueError, match="invalid port"):
        convert.toIpWithPort("127.0.0.1:70000")
    with pytest.raises(TypeError):
        convert.toIpWithPort(8080)


def test_bool_temperature_and_electric_units():
    assert [convert.toBool(t) for t in ("Yes", "t", "0", "FALSE")] == [True, True, False, False]
    with pytest.raises(ValueError, match="cannot convert 'maybe' to bool"):
        convert.toBool("Maybe")
    assert convert.toTemperature("0C") == pytest.approx(273.15)
    assert convert.toTemperature("212F") == pytest.approx(373.15)
    with pytest.raises(ValueError, match="invalid temperature"):
        convert.toTemperature("-1K")
    assert convert.toVoltage("1.2kV") == pytest.approx(1200)
    assert convert.toCurrent("5mA") == pytest.approx(0.005)
    assert convert.toEnergy("3uJ") == pytest.approx(3e-6)
    assert convert.toNetworkBandwidth("10Gbps") == 1e10


def test_message_helpers_print_where_gem5_prints(capsys):
    inform("loaded %d things", 3)
    assert capsys.readouterr().out == "info: loaded 3 things\n"


def test_attrdicts():
    d = attrdict(a=1)
    d.b = 2
    assert d == {"a": 1, "b": 2} and d.a == 1
    del d.a
    assert "a" not in d
    assert pickle.loads(pickle.dumps(d)) == {"b": 2}
    m = multiattrdict()
    m.x.y.z = 5
    assert m == {"x": {"y": {"z": 5}}}
    assert optiondict().missing is None


def test_multidict_layers_over_its_parent():
    base = multidict()
    base["a"], base["b"] = 1, 2
    top = multidict(base)
    top["a"] = 10
    del top["b"]
    assert (top["a"], base["a"], "b" in top, "b" in base) == (10, 1, False, True)
    assert dict(top.items()) == {"a": 10} and top.get("b", "none") == "none"
    assert top.setdefault("c", 3) == 3 and sorted(top.keys()) == ["a", "c"]


def test_small_helpers(tmp_path, monkeypatch, capsys):
    assert list(crossproduct([[1, 2], "ab"])) == [(1, "a"), (1, "b"), (2, "a"), (2, "b")]
    assert list(flatten([1, [2, (3, [4])], 5])) == [1, 2, 3, 4, 5]
    assert makeList(3) == [3] and makeList([3]) == [3]
    assert applyOrMap(["a", "b"], "upper") == ["A", "B"]

    calls = []
    once = callOnce(lambda: calls.append(1) or "done")
    assert (once(), once(), calls) == ("done", None, [1])

    @deprecated()
    def old():
        return 7

    assert old() == 7 and old() == 7
    assert capsys.readouterr().err.count("is deprecated") == 1

    class One(metaclass=Singleton):
        pass

    assert One() is One()
    monkeypatch.setattr("sys.path", [str(tmp_path), "other"])
    addToPath("lib")
    import sys

    assert sys.path[1] == str(tmp_path / "lib")
