"""String-with-units to number conversions, with gem5's util/convert rules
(this module is also `m5.util.convert`, so gem5's own names are kept).

Metric prefixes scale by powers of ten ("1GHz", "100ns"), the `Ki`/`Mi`/...
ones by powers of two; memory sizes and bandwidths take the decimal prefixes
as binary ("512MB" is 512 MiB, as in gem5) and warn once per value that they
do. Magnitudes are parsed by Python's float()/int(x, 0), so "inf" and "nan"
come through as gem5 lets them; the param types refuse what cannot be ticks.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping

atto = 1.0e-18
femto = 1.0e-15
pico = 1.0e-12
nano = 1.0e-9
micro = 1.0e-6
milli = 1.0e-3

kilo = 1.0e3
mega = 1.0e6
giga = 1.0e9
tera = 1.0e12
peta = 1.0e15
exa = 1.0e18

kibi = 2**10
mebi = 2**20
gibi = 2**30
tebi = 2**40
pebi = 2**50
exbi = 2**60

metric_prefixes: dict[str, float | int] = {
    "Ei": exbi,
    "E": exa,
    "Pi": pebi,
    "P": peta,
    "Ti": tebi,
    "T": tera,
    "Gi": gibi,
    "G": giga,
    "M": mega,
    "Ki": kibi,
    "k": kilo,
    "Mi": mebi,
    "m": milli,
    "u": micro,
    "n": nano,
    "p": pico,
    "f": femto,
    "a": atto,
}

binary_prefixes: dict[str, int] = {
    "Ei": exbi,
    "E": exbi,
    "Pi": pebi,
    "P": pebi,
    "Ti": tebi,
    "T": tebi,
    "Gi": gibi,
    "G": gibi,
    "Mi": mebi,
    "M": mebi,
    "Ki": kibi,
    "k": kibi,
}

# the decimal prefixes that memory sizes read as binary, and what they mean
base_10_to_2: dict[str, str] = {"k": "Ki", "M": "Mi", "G": "Gi", "T": "Ti", "P": "Pi", "E": "Ei"}


def assertStr(value: object) -> None:
    if not isinstance(value, str):
        raise TypeError(f"wrong type '{type(value)}' should be str")


def _split_suffix(value: str, suffixes: Iterable[str]) -> tuple[str, str]:
    """(value without the suffix, the suffix) for the suffix of `suffixes` that
    `value` ends with, or (value, "") when none does. gem5's tables never let
    two suffixes match one string ("Ei" and "E" cannot both end a word)."""
    for sfx in sorted(suffixes, key=len, reverse=True):
        if sfx and value.endswith(sfx):
            return value[: -len(sfx)], sfx
    return value, ""


def _as_units(units: str | Iterable[str] | None) -> tuple[str, ...]:
    if not units:
        return ()
    if isinstance(units, str):
        return (units,)
    return tuple(units)


def toNum(
    value: str,
    target_type: str,
    units: str | Iterable[str] | None,
    prefixes: Mapping[str, float | int],
    converter: Callable[[str], float | int],
) -> tuple[float | int, str]:
    """(magnitude scaled by its prefix, unit) of "<magnitude>[<prefix><unit>]".

    A prefix is only read when a unit follows it; a bare magnitude has no unit.
    """
    assertStr(value)
    head, unit = _split_suffix(value, _as_units(units))
    scale: float | int = 1
    if unit:
        head, prefix = _split_suffix(head, prefixes)
        if prefix:
            scale = prefixes[prefix]
    try:
        magnitude = converter(head)
    except ValueError:
        raise ValueError(f"cannot convert '{value}' to {target_type}") from None
    return magnitude * scale, unit


def toFloat(value: str, target_type: str = "float", units=None, prefixes=()) -> float:
    return toNum(value, target_type, units, dict(prefixes) if prefixes else {}, float)[0]


def toMetricFloat(value: str, target_type: str = "float", units=None) -> float:
    return toFloat(value, target_type, units, metric_prefixes)


def toBinaryFloat(value: str, target_type: str = "float", units=None) -> float:
    return toFloat(value, target_type, units, binary_prefixes)


def _int0(text: str) -> int:
    return int(text, 0)


def toInteger(value: str, target_type: str = "integer", units=None, prefixes=()) -> int:
    return toNum(value, target_type, units, dict(prefixes) if prefixes else {}, _int0)[0]


def toMetricInteger(value: str, target_type: str = "integer", units=None) -> int:
    return toInteger(value, target_type, units, metric_prefixes)


def toBinaryInteger(value: str, target_type: str = "integer", units=None) -> int:
    return toInteger(value, target_type, units, binary_prefixes)


def toBool(value: str) -> bool:
    assertStr(value)
    text = value.lower()
    if text in ("true", "t", "yes", "y", "1"):
        return True
    if text in ("false", "f", "no", "n", "0"):
        return False
    raise ValueError(f"cannot convert '{text}' to bool")


def toFrequency(value: str) -> float:
    return toMetricFloat(value, "frequency", "Hz")


def toLatency(value: str) -> float:
    return toMetricFloat(value, "latency", "s")


def _reciprocal(magnitude: float, value: str, what: str) -> float:
    try:
        return 1.0 / magnitude
    except ZeroDivisionError:
        raise ValueError(f"cannot convert '{value}' to {what}") from None


def anyToLatency(value: str) -> float:
    """A period in seconds from a latency ("10ns") or a frequency ("1GHz")."""
    magnitude, unit = toNum(value, "latency", ("Hz", "s"), metric_prefixes, float)
    if unit == "s":
        return magnitude
    if unit == "Hz":
        return _reciprocal(magnitude, value, "clock period")
    raise ValueError(f"'{value}' needs a valid unit to be unambiguous.")


def anyToFrequency(value: str) -> float:
    """A frequency in Hz from a frequency ("1GHz") or a period ("1ns")."""
    magnitude, unit = toNum(value, "frequency", ("Hz", "s"), metric_prefixes, float)
    if unit == "Hz":
        return magnitude
    if unit == "s":
        return _reciprocal(magnitude, value, "frequency")
    raise ValueError(f"'{value}' needs a valid unit to be unambiguous.")


def toNetworkBandwidth(value: str) -> float:
    return toMetricFloat(value, "network bandwidth", "bps")


def _base_10_to_2(value: str, unit: str) -> str | None:
    """ "512Mi" for ("512MB", "B"): the size with the binary prefix a decimal one
    is read as; None when `value` has no decimal prefix."""
    size_prefix, _ = _split_suffix(value, [unit])
    size, prefix = _split_suffix(size_prefix, binary_prefixes)
    if prefix in base_10_to_2:
        return f"{size}{base_10_to_2[prefix]}"
    return None


_warned_base_10: set[tuple[str, str]] = set()


def checkBaseConversion(value: object, unit: str) -> None:
    """Warn that a decimal prefix in a memory size is read as binary (once per value)."""
    if type(value) is not str:
        return
    binary = _base_10_to_2(value, unit)
    if binary and (value, unit) not in _warned_base_10:
        _warned_base_10.add((value, unit))
        print(
            f"warn: Base 10 memory/cache size {value} will be cast to base 2 size {binary}{unit}.",
            file=sys.stderr,
        )


def toMemoryBandwidth(value: str) -> float:
    checkBaseConversion(value, "B/s")
    return toBinaryFloat(value, "memory bandwidth", "B/s")


def toMemorySize(value: str) -> int:
    checkBaseConversion(value, "B")
    return toBinaryInteger(value, "memory size", "B")


def toIpAddress(value: str) -> int:
    """ "10.0.0.1" as a 32-bit integer."""
    assertStr(value)
    parts = value.split(".")
    if len(parts) != 4:
        raise ValueError(f"invalid ip address {value}")
    result = 0
    for part in parts:
        byte = int(part)
        if not 0 <= byte <= 0xFF:
            raise ValueError(f"invalid ip address {value}")
        result = (result << 8) | byte
    return result


def toIpNetmask(value: str) -> tuple[int, int]:
    """(address, prefix length) from "a.b.c.d/n" or "a.b.c.d/m.m.m.m"."""
    assertStr(value)
    ip_text, netmask = value.split("/")
    ip = toIpAddress(ip_text)
    parts = netmask.split(".")
    if len(parts) == 1:
        length = int(netmask)
        if not 0 <= length <= 32:
            raise ValueError(f"invalid netmask {netmask}")
        return ip, length
    if len(parts) == 4:
        mask = toIpAddress(netmask)
        for length in range(33):
            if mask == (0xFFFFFFFF << (32 - length)) & 0xFFFFFFFF:
                return ip, length
    raise ValueError(f"invalid netmask {netmask}")


def toIpWithPort(value: str) -> tuple[int, int]:
    """(address, port) from "a.b.c.d:port"."""
    assertStr(value)
    ip_text, port_text = value.split(":")
    ip = toIpAddress(ip_text)
    port = int(port_text)
    if not 0 <= port <= 0xFFFF:
        raise ValueError(f"invalid port {port_text}")
    return ip, port


def toVoltage(value: str) -> float:
    return toMetricFloat(value, "voltage", "V")


def toCurrent(value: str) -> float:
    return toMetricFloat(value, "current", "A")


def toEnergy(value: str) -> float:
    return toMetricFloat(value, "energy", "J")


def toTemperature(value: str) -> float:
    """Kelvin from "300K", "25C" or "77F"."""
    magnitude, unit = toNum(value, "temperature", ("K", "C", "F"), metric_prefixes, float)
    if unit == "K":
        kelvin = magnitude
    elif unit == "C":
        kelvin = magnitude + 273.15
    elif unit == "F":
        kelvin = (magnitude + 459.67) / 1.8
    else:
        raise ValueError(f"'{value}' needs a valid temperature unit.")
    if kelvin < 0:
        raise ValueError(f"{value} is an invalid temperature")
    return kelvin


__all__ = [
    "anyToFrequency",
    "anyToLatency",
    "assertStr",
    "atto",
    "base_10_to_2",
    "binary_prefixes",
    "checkBaseConversion",
    "exa",
    "exbi",
    "femto",
    "gibi",
    "giga",
    "kibi",
    "kilo",
    "mebi",
    "mega",
    "metric_prefixes",
    "micro",
    "milli",
    "nano",
    "pebi",
    "peta",
    "pico",
    "tebi",
    "tera",
    "toBinaryFloat",
    "toBinaryInteger",
    "toBool",
    "toCurrent",
    "toEnergy",
    "toFloat",
    "toFrequency",
    "toInteger",
    "toIpAddress",
    "toIpNetmask",
    "toIpWithPort",
    "toLatency",
    "toMemoryBandwidth",
    "toMemorySize",
    "toMetricFloat",
    "toMetricInteger",
    "toNetworkBandwidth",
    "toNum",
    "toTemperature",
    "toVoltage",
]
