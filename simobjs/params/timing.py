"""Time-valued params: Latency, Frequency, Clock (all printed as ticks) and
MemoryBandwidth (printed as ticks per byte).

Values are kept in seconds (or Hz) as written and turned into ticks only when
printed or frozen, so the global tick frequency may still change until then.
"""

from __future__ import annotations

from typing import Any

from simobjs.base import convert, ticks
from simobjs.params.values import NumericValue, ParamValue, bad_value


def to_ticks(type_name: str, seconds: float) -> int:
    """Seconds to ticks; a value too large for ticks is a ConfigError."""
    try:
        return int(ticks.fromSeconds(seconds))
    except (OverflowError, ValueError):
        raise bad_value(type_name, seconds, f"{seconds} s does not fit in ticks") from None


def _parse(type_name: str, value: Any, parse) -> tuple[bool, float | int]:
    """(is_ticks, value): "5t" is 5 ticks, anything else goes to `parse`."""
    if not isinstance(value, str):
        raise bad_value(
            type_name, value, f"{type_name} needs a string with a unit, e.g. '1ns', '1GHz' or '5t'"
        )
    try:
        is_ticks, number = (
            (True, int(value[:-1], 0)) if value.endswith("t") else (False, parse(value))
        )
    except ValueError as e:
        raise bad_value(type_name, value, str(e)) from None
    return is_ticks, _not_negative(type_name, value, number)


def _not_negative(type_name: str, value: Any, number: float | int) -> float | int:
    """A time or a rate cannot be negative (gem5 would wrap it into a huge unsigned tick)."""
    if number < 0:
        raise bad_value(type_name, value, f"{type_name} cannot be negative")
    return number


class TickValue(NumericValue):
    """Base: `.value` in seconds (Latency, Clock) or Hz (Frequency), or raw ticks."""

    ticks: bool = False

    def getValue(self) -> int:
        raise NotImplementedError

    def ini_str(self) -> str:
        return "%d" % self.getValue()

    def config_value(self) -> int:
        return self.getValue()

    def frozen(self) -> int:
        return self.getValue()

    @classmethod
    def json_schema(cls) -> dict:
        return {"type": "string", "pattern": r"^\s*[-+0-9.eE]+\s*([a-zA-Z]*(s|Hz)|t)$"}


class Latency(TickValue):
    """A time: "100ns", "1ms", or "5t" for 5 ticks."""

    def __init__(self, value: Any):
        if isinstance(value, Latency | Clock):
            self.ticks, self.value = value.ticks, value.value
        elif isinstance(value, Frequency):
            self.ticks, self.value = value.ticks, (1.0 / value.value if value.value else 0)
        else:
            self.ticks, self.value = _parse("Latency", value, convert.toLatency)

    def getValue(self) -> int:
        if self.ticks or self.value == 0:
            return int(self.value)
        return to_ticks("Latency", self.value)

    @property
    def latency(self) -> Latency:
        return self

    period = latency

    @property
    def frequency(self) -> Frequency:
        return Frequency(self)


class Frequency(TickValue):
    """A rate: "1GHz"; printed as its period in ticks (1GHz -> 1000)."""

    def __init__(self, value: Any):
        if isinstance(value, Latency | Clock):
            self.ticks = value.ticks
            self.value = 0 if value.value == 0 else 1.0 / value.value
        elif isinstance(value, Frequency):
            self.ticks, self.value = value.ticks, value.value
        else:
            if not isinstance(value, str):
                raise bad_value(
                    "Frequency", value, "Frequency needs a string with a unit, e.g. '1GHz'"
                )
            try:
                number = convert.toFrequency(value)
            except ValueError as e:
                raise bad_value("Frequency", value, str(e)) from None
            self.ticks, self.value = False, _not_negative("Frequency", value, number)

    def getValue(self) -> int:
        if self.ticks or self.value == 0:
            return int(self.value)
        return to_ticks("Frequency", 1.0 / self.value)

    @property
    def frequency(self) -> Frequency:
        return self

    @property
    def latency(self) -> Latency:
        return Latency(self)

    period = latency


class Clock(TickValue):
    """Either form: "2GHz" or "500ps" (or "5t"); stored and printed as a period."""

    def __init__(self, value: Any):
        if isinstance(value, Latency | Clock):
            self.ticks, self.value = value.ticks, value.value
        elif isinstance(value, Frequency):
            self.ticks, self.value = value.ticks, (1.0 / value.value if value.value else 0)
        else:
            self.ticks, self.value = _parse("Clock", value, convert.anyToLatency)

    def __str__(self) -> str:
        return str(self.period)

    def getValue(self) -> int:
        return self.period.getValue()

    @property
    def frequency(self) -> Frequency:
        return Frequency(self)

    @property
    def latency(self) -> Latency:
        return Latency(self)

    period = latency


class MemoryBandwidth(ParamValue, float):
    """Bytes per second ("12.8GiB/s"); printed as ticks per byte, "%f"."""

    def __new__(cls, value: Any):
        if isinstance(value, MemoryBandwidth):
            return float.__new__(cls, float(value))
        if not isinstance(value, str):
            raise bad_value(
                "MemoryBandwidth", value, "MemoryBandwidth needs a string like '12.8GiB/s'"
            )
        try:
            return float.__new__(cls, convert.toMemoryBandwidth(value))
        except ValueError as e:
            raise bad_value("MemoryBandwidth", value, str(e)) from None

    def __init__(self, value: Any):
        pass

    def getValue(self) -> float:
        cached = self.__dict__.get("_ticks")
        if cached is not None and cached[0] == ticks.getFrequency():
            return cached[1]
        seconds_per_byte = 1.0 / float(self) if float(self) else 0.0
        value = float(to_ticks("MemoryBandwidth", seconds_per_byte))
        self.__dict__["_ticks"] = (ticks.getFrequency(), value)
        return value

    def ini_str(self) -> str:
        return f"{self.getValue():f}"

    def config_value(self) -> str:
        return f"{self.getValue():f}"

    def frozen(self) -> float:
        return self.getValue()

    @classmethod
    def json_schema(cls) -> dict:
        return {"type": "string"}
