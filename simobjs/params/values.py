"""Param value types: parse what a script assigns, print it for config.ini/json.

Each type converts once at assignment; `ini_str()` is the config.ini text,
`config_value()` the config.json value and `frozen()` the value handed to a
runtime model (see docs/internals.md §1).
"""

from __future__ import annotations

import difflib
from typing import Any, ClassVar

from simobjs.base import convert
from simobjs.errors import ConfigError, ConfigTypeError, Problem, short_repr

# Every type a `Param.X` may name: value types here, SimObject classes added by
# the declaration metaclass.
_types: dict[str, type] = {}


def register_type(name: str, cls: type) -> None:
    _types[name] = cls


def known_types() -> list[str]:
    return sorted(_types)


def lookup_type(name: str) -> type:
    """The param type called `name`; an unknown name lists what is known."""
    try:
        return _types[name]
    except KeyError:
        close = difflib.get_close_matches(name, _types, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ConfigError(
            Problem(
                "",
                f"unknown param type '{name}'.{hint} Known types: {', '.join(known_types())}",
                expected="a param type or SimObject class",
                got=name,
            )
        ) from None


def bad_value(type_name: str, value: Any, detail: str | None = None) -> ConfigTypeError:
    """The error for a value that `type_name` cannot take."""
    msg = detail or f"cannot convert {short_repr(value)} to {type_name}"
    return ConfigTypeError(Problem("", msg, expected=type_name, got=short_repr(value)))


_ABSTRACT = {"NumericValue", "CheckedInt", "Enum", "ScopedEnum", "TickValue"}


class ParamValue:
    """Base of every param value type."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__name__ not in _ABSTRACT:
            register_type(cls.__name__, cls)

    @classmethod
    def convert(cls, value: Any) -> ParamValue:
        if isinstance(value, cls):
            return value
        return cls(value)

    def ini_str(self) -> str:
        return str(self)

    def config_value(self) -> Any:
        return str(self)

    def frozen(self) -> Any:
        return str(self)

    @classmethod
    def json_schema(cls) -> dict:
        return {}


class NumericValue(ParamValue):
    """A number held in `.value`, with arithmetic that keeps the type."""

    value: Any

    @staticmethod
    def _unwrap(v: Any) -> Any:
        return v.value if isinstance(v, NumericValue) else v

    def _check(self) -> None:
        pass

    def _with(self, value: Any) -> NumericValue:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.value = value
        new._check()
        return new

    def __str__(self) -> str:
        return str(self.value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.value!r})"

    def __int__(self) -> int:
        return int(self.value)

    def __float__(self) -> float:
        return float(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def __mul__(self, other: Any) -> NumericValue:
        return self._with(self.value * self._unwrap(other))

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> NumericValue:
        return self._with(self.value / self._unwrap(other))

    def __floordiv__(self, other: Any) -> NumericValue:
        return self._with(self.value // self._unwrap(other))

    def __add__(self, other: Any) -> NumericValue:
        return self._with(self.value + self._unwrap(other))

    __radd__ = __add__

    def __sub__(self, other: Any) -> NumericValue:
        return self._with(self.value - self._unwrap(other))

    def __eq__(self, other: Any) -> bool:
        return self.value == self._unwrap(other)

    def __hash__(self) -> int:
        return hash(self.value)

    def __lt__(self, other: Any) -> bool:
        return self.value < self._unwrap(other)

    def __le__(self, other: Any) -> bool:
        return self.value <= self._unwrap(other)

    def __gt__(self, other: Any) -> bool:
        return self.value > self._unwrap(other)

    def __ge__(self, other: Any) -> bool:
        return self.value >= self._unwrap(other)

    def config_value(self) -> Any:
        return self.value

    def frozen(self) -> Any:
        return self.value


class CheckedInt(NumericValue):
    """A bounded integer: str (any base, "0x10"), int or float (truncated)."""

    size: ClassVar[int] = 64
    unsigned: ClassVar[bool] = True
    min: ClassVar[int] = 0
    max: ClassVar[int] = 0

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "min" not in cls.__dict__:
            if cls.unsigned:
                cls.min, cls.max = 0, 2**cls.size - 1
            else:
                cls.min, cls.max = -(2 ** (cls.size - 1)), 2 ** (cls.size - 1) - 1

    def __init__(self, value: Any):
        if isinstance(value, str):
            try:
                self.value = self._parse(value)
            except (ValueError, TypeError) as e:
                raise bad_value(type(self).__name__, value, str(e)) from None
        elif isinstance(value, int | float | NumericValue):
            try:
                self.value = int(value)
            except (ValueError, OverflowError) as e:
                raise bad_value(type(self).__name__, value, str(e)) from None
        else:
            raise bad_value(
                type(self).__name__,
                value,
                f"Can't convert object of type {type(value).__name__} to {type(self).__name__}",
            )
        self._check()

    @staticmethod
    def _parse(text: str) -> int:
        return convert.toInteger(text)

    def _check(self) -> None:
        if not self.min <= self.value <= self.max:
            raise ConfigTypeError(
                Problem(
                    "",
                    "Integer param out of bounds %d < %d < %d" % (self.min, self.value, self.max),
                    expected=f"{type(self).__name__} in [{self.min}, {self.max}]",
                    got=str(self.value),
                )
            )

    def __index__(self) -> int:
        return int(self.value)

    @classmethod
    def json_schema(cls) -> dict:
        return {
            "anyOf": [
                {"type": "integer", "minimum": cls.min, "maximum": cls.max},
                {"type": "string"},
            ]
        }


def _int_type(name: str, size: int, unsigned: bool) -> type[CheckedInt]:
    return type(name, (CheckedInt,), {"size": size, "unsigned": unsigned, "__module__": __name__})


Int = _int_type("Int", 32, False)
Unsigned = _int_type("Unsigned", 32, True)
Int8 = _int_type("Int8", 8, False)
UInt8 = _int_type("UInt8", 8, True)
Int16 = _int_type("Int16", 16, False)
UInt16 = _int_type("UInt16", 16, True)
Int32 = _int_type("Int32", 32, False)
UInt32 = _int_type("UInt32", 32, True)
Int64 = _int_type("Int64", 64, False)
UInt64 = _int_type("UInt64", 64, True)
Counter = _int_type("Counter", 64, True)
Tick = _int_type("Tick", 64, True)
Cycles = _int_type("Cycles", 64, True)
TcpPort = _int_type("TcpPort", 16, True)
UdpPort = _int_type("UdpPort", 16, True)


class Percent(CheckedInt):
    min = 0
    max = 100


class Float(ParamValue, float):
    """A float; config.ini prints Python's str(float), e.g. `1.0`."""

    _parse = staticmethod(float)

    def __new__(cls, value: Any):
        if isinstance(value, bool) or not isinstance(value, int | float | str | NumericValue):
            raise bad_value(cls.__name__, value)
        if isinstance(value, str):
            try:
                number = cls._parse(value)
            except (ValueError, TypeError) as e:
                raise bad_value(cls.__name__, value, str(e)) from None
        else:
            number = float(value)
        return float.__new__(cls, number)

    def __init__(self, value: Any):
        pass

    def __str__(self) -> str:
        return float.__repr__(float(self))

    __repr__ = __str__

    @property
    def value(self) -> float:
        return float(self)

    def config_value(self) -> float:
        return float(self)

    def frozen(self) -> float:
        return float(self)

    @classmethod
    def json_schema(cls) -> dict:
        return {"type": ["number", "string"]}


class Voltage(Float):
    _parse = staticmethod(convert.toVoltage)


class Current(Float):
    _parse = staticmethod(convert.toCurrent)


class Energy(Float):
    _parse = staticmethod(convert.toEnergy)


class Bool(ParamValue):
    """true/false, yes/no, t/f, y/n, 1/0 (any case), or anything truthy."""

    def __init__(self, value: Any):
        if isinstance(value, str):
            try:
                self.value = convert.toBool(value)
            except ValueError as e:
                raise bad_value("Bool", value, str(e)) from None
        elif isinstance(value, Bool):
            self.value = value.value
        elif isinstance(value, bool | int | float):
            self.value = bool(value)
        else:
            raise bad_value("Bool", value)

    def __bool__(self) -> bool:
        return self.value

    def __eq__(self, other: Any) -> bool:
        return self.value == (other.value if isinstance(other, Bool) else other)

    def __hash__(self) -> int:
        return hash(self.value)

    def __str__(self) -> str:
        return str(self.value)

    __repr__ = __str__

    def ini_str(self) -> str:
        return "true" if self.value else "false"

    def config_value(self) -> bool:
        return self.value

    def frozen(self) -> bool:
        return self.value

    @classmethod
    def json_schema(cls) -> dict:
        return {"type": ["boolean", "string", "integer"]}


class String(ParamValue, str):
    """Any string, printed as written."""

    def __new__(cls, value: Any):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise bad_value("String", value)
        return str.__new__(cls, value)

    def frozen(self) -> str:
        return str(self)

    def config_value(self) -> str:
        return str(self)

    @classmethod
    def json_schema(cls) -> dict:
        return {"type": "string"}


class Enum(ParamValue):
    """gem5-style enum: subclasses set `vals = [...]` (or `map = {name: int}`)."""

    vals: ClassVar[list[str]] = []
    map: ClassVar[dict[str, int]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "map" in cls.__dict__:
            if not isinstance(cls.map, dict):
                raise ConfigTypeError("Enum-derived class attribute 'map' must be of type dict")
            cls.vals = sorted(cls.map)
        elif "vals" in cls.__dict__:
            if not isinstance(cls.vals, list):
                raise ConfigTypeError("Enum-derived class attribute 'vals' must be of type list")
            cls.map = {v: i for i, v in enumerate(cls.vals)}
        elif cls.__name__ != "ScopedEnum":
            raise ConfigTypeError("Enum-derived class must define attribute 'map' or 'vals'")

    def __init__(self, value: Any):
        if isinstance(value, Enum):
            value = value.value
        if not isinstance(value, str) or value not in self.map:
            raise ConfigTypeError(
                Problem(
                    "",
                    f"Enum param got bad value '{value}' (not in {self.vals})",
                    expected=f"one of {self.vals}",
                    got=repr(value),
                )
            )
        self.value = value

    def __str__(self) -> str:
        return self.value

    __repr__ = __str__

    def __eq__(self, other: Any) -> bool:
        return self.value == (other.value if isinstance(other, Enum) else other)

    def __hash__(self) -> int:
        return hash(self.value)

    def frozen(self) -> str:
        return self.value

    @classmethod
    def json_schema(cls) -> dict:
        return {"enum": list(cls.vals)}


class ScopedEnum(Enum):
    """An enum scoped in C++ (`enum class`); same behaviour in Python."""


class ByteOrder(ScopedEnum):
    vals = ["big", "little"]


class HostSocket(ParamValue):
    """A host socket to listen on: a TCP port number, a socket file path, or an
    abstract socket "@name". gem5 v23+ writes a port as "#3456" (config.ini and
    config.json), a path as "P<path>" in config.ini; "#3456" is read back too."""

    def __init__(self, value: Any):
        if isinstance(value, HostSocket):
            self.value = value.value
        elif isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value <= 0xFFFF:
                raise bad_value("HostSocket", value, f"port {value} out of range 0..65535")
            self.value = value
        elif isinstance(value, str) and value:
            digits = value[1:] if value.startswith("#") else value
            if digits.isdigit():
                self.__init__(int(digits))
            else:
                self.value = value
        else:
            raise bad_value("HostSocket", value)

    def __str__(self) -> str:
        return self.value if isinstance(self.value, str) else f"#{self.value}"

    def ini_str(self) -> str:
        if isinstance(self.value, str):
            return self.value if self.value.startswith("@") else "P" + self.value
        return f"#{self.value}"

    def config_value(self) -> Any:
        return str(self)

    def frozen(self) -> Any:
        return self.value

    @classmethod
    def json_schema(cls) -> dict:
        return {"type": ["integer", "string"]}


class PcCountPair(ParamValue):
    """A program counter and how many times it is reached (gem5's PcCountPair)."""

    def __init__(self, pc: Any, count: Any = None):
        if isinstance(pc, PcCountPair):
            pc, count = pc.pc, pc.count
        elif count is None and isinstance(pc, list | tuple) and len(pc) == 2:
            pc, count = pc
        if count is None:
            raise bad_value("PcCountPair", pc, "PcCountPair needs a pc and a count")
        try:
            self.pc, self.count = int(pc), int(count)
        except (TypeError, ValueError):
            raise bad_value("PcCountPair", (pc, count), "pc and count must be integers") from None

    def get_pc(self) -> int:
        return self.pc

    def get_count(self) -> int:
        return self.count

    def __str__(self) -> str:
        return "(%i,%i)" % (self.pc, self.count)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, PcCountPair) and (self.pc, self.count) == (other.pc, other.count)

    def __hash__(self) -> int:
        return hash((self.pc, self.count))

    def config_value(self) -> str:
        return str(self)

    def frozen(self) -> tuple[int, int]:
        return (self.pc, self.count)

    @classmethod
    def json_schema(cls) -> dict:
        return {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}
