"""String-with-units to number conversions, with gem5's util/convert rules.

Metric prefixes scale by powers of ten ("1GHz", "100ns"); memory sizes use binary
prefixes even when written decimal ("512MB" is 512 MiB, as in gem5).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

METRIC_PREFIXES: dict[str, float] = {
    "Ei": 2**60,
    "E": 1e18,
    "Pi": 2**50,
    "P": 1e15,
    "Ti": 2**40,
    "T": 1e12,
    "Gi": 2**30,
    "G": 1e9,
    "M": 1e6,
    "Ki": 2**10,
    "k": 1e3,
    "Mi": 2**20,
    "m": 1e-3,
    "u": 1e-6,
    "n": 1e-9,
    "p": 1e-12,
    "f": 1e-15,
    "a": 1e-18,
}

BINARY_PREFIXES: dict[str, int] = {
    "Ei": 2**60,
    "E": 2**60,
    "Pi": 2**50,
    "P": 2**50,
    "Ti": 2**40,
    "T": 2**40,
    "Gi": 2**30,
    "G": 2**30,
    "Mi": 2**20,
    "M": 2**20,
    "Ki": 2**10,
    "k": 2**10,
}


def _require_str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"wrong type '{type(value)}' should be str")
    return value


def _strip_suffix(text: str, suffixes: Iterable[str]) -> tuple[str, str]:
    """Split off the longest suffix of `suffixes` that `text` ends with."""
    best = ""
    for sfx in suffixes:
        if sfx and text.endswith(sfx) and len(sfx) > len(best):
            best = sfx
    return (text[: -len(best)], best) if best else (text, "")


def to_num(
    value: str,
    target: str,
    units: str | Iterable[str] | None,
    prefixes: dict[str, float] | dict[str, int],
    parse: Callable[[str], float | int],
) -> tuple[float | int, str]:
    """Parse "<magnitude>[<prefix><unit>]"; a prefix is only allowed with a unit."""
    text = _require_str(value)
    if not units:
        unit_list: tuple[str, ...] = ()
    elif isinstance(units, str):
        unit_list = (units,)
    else:
        unit_list = tuple(units)
    head, unit = _strip_suffix(text, unit_list)
    scale: float | int = 1
    if unit:
        head, prefix = _strip_suffix(head, prefixes)
        if prefix:
            scale = prefixes[prefix]
    try:
        magnitude = parse(head.strip())
    except (ValueError, TypeError):
        raise ValueError(f"cannot convert '{value}' to {target}") from None
    result = magnitude * scale
    if isinstance(result, float) and not math.isfinite(result):
        raise ValueError(f"cannot convert '{value}' to {target}: not a finite number")
    return result, unit


def _int0(text: str) -> int:
    return int(text, 0)


def toFloat(value: str, target_type: str = "float", units=None, prefixes=None) -> float:
    return float(to_num(value, target_type, units, prefixes or {}, float)[0])


def toMetricFloat(value: str, target_type: str = "float", units=None) -> float:
    return toFloat(value, target_type, units, METRIC_PREFIXES)


def toBinaryFloat(value: str, target_type: str = "float", units=None) -> float:
    return toFloat(value, target_type, units, BINARY_PREFIXES)


def toInteger(value: str, target_type: str = "integer", units=None, prefixes=None) -> int:
    return int(to_num(value, target_type, units, prefixes or {}, _int0)[0])


def toMetricInteger(value: str, target_type: str = "integer", units=None) -> int:
    return toInteger(value, target_type, units, METRIC_PREFIXES)


def toBinaryInteger(value: str, target_type: str = "integer", units=None) -> int:
    return toInteger(value, target_type, units, BINARY_PREFIXES)


def toBool(value: str) -> bool:
    text = _require_str(value).lower()
    if text in ("true", "t", "yes", "y", "1"):
        return True
    if text in ("false", "f", "no", "n", "0"):
        return False
    raise ValueError(f"cannot convert '{value}' to bool")


def toFrequency(value: str) -> float:
    return toMetricFloat(value, "frequency", "Hz")


def toLatency(value: str) -> float:
    return toMetricFloat(value, "latency", "s")


def anyToLatency(value: str) -> float:
    """A latency ("10ns") or a frequency ("1GHz") as a period in seconds."""
    magnitude, unit = to_num(value, "latency", ("Hz", "s"), METRIC_PREFIXES, float)
    if unit == "s":
        return float(magnitude)
    if unit == "Hz":
        if magnitude == 0:
            raise ValueError(f"cannot convert '{value}' to clock period")
        return 1.0 / magnitude
    raise ValueError(f"'{value}' needs a valid unit to be unambiguous.")


def anyToFrequency(value: str) -> float:
    """A frequency ("1GHz") or a period ("1ns") as a frequency in Hz."""
    magnitude, unit = to_num(value, "frequency", ("Hz", "s"), METRIC_PREFIXES, float)
    if unit == "Hz":
        return float(magnitude)
    if unit == "s":
        if magnitude == 0:
            raise ValueError(f"cannot convert '{value}' to frequency")
        return 1.0 / magnitude
    raise ValueError(f"'{value}' needs a valid unit to be unambiguous.")


def toMemorySize(value: str) -> int:
    return toBinaryInteger(value, "memory size", "B")


def toMemoryBandwidth(value: str) -> float:
    return toBinaryFloat(value, "memory bandwidth", "B/s")


def toNetworkBandwidth(value: str) -> float:
    return toMetricFloat(value, "network bandwidth", "bps")


def toVoltage(value: str) -> float:
    return toMetricFloat(value, "voltage", "V")


def toCurrent(value: str) -> float:
    return toMetricFloat(value, "current", "A")


def toEnergy(value: str) -> float:
    return toMetricFloat(value, "energy", "J")


def toTemperature(value: str) -> float:
    """Kelvin from "300K", "25C" or "77F"."""
    magnitude, unit = to_num(value, "temperature", ("K", "C", "F"), METRIC_PREFIXES, float)
    if unit == "K":
        kelvin = float(magnitude)
    elif unit == "C":
        kelvin = magnitude + 273.15
    elif unit == "F":
        kelvin = (magnitude + 459.67) / 1.8
    else:
        raise ValueError(f"'{value}' needs a valid temperature unit.")
    if kelvin < 0:
        raise ValueError(f"{value} is an invalid temperature")
    return kelvin
