"""Address and size types (Addr, MemorySize, AddrRange), NULL and the constants."""

from __future__ import annotations

from typing import Any

from simobjs.base import convert
from simobjs.base.addr_range import AddrRange as PlainAddrRange
from simobjs.errors import ConfigTypeError, Problem
from simobjs.params.values import CheckedInt, ParamValue, Tick, bad_value


class MemorySize(CheckedInt):
    """A size in bytes; "512MB" means 512 MiB, as in gem5."""

    size = 64
    unsigned = True

    @staticmethod
    def _parse(text: str) -> int:
        return convert.toMemorySize(text)


class MemorySize32(MemorySize):
    size = 32
    unsigned = True
    min = 0
    max = 2**32 - 1


class Addr(CheckedInt):
    """An address: a size string ("512MiB") or any int literal ("0x3f8")."""

    size = 64
    unsigned = True

    @staticmethod
    def _parse(text: str) -> int:
        try:
            return convert.toMemorySize(text)
        except (TypeError, ValueError):
            return int(text, 0)

    def __str__(self) -> str:
        return str(self.value)


class AddrRange(ParamValue, PlainAddrRange):
    """[start, end) with optional interleaving, built in any of gem5's forms.

    `AddrRange(end)`, `AddrRange(start, end)`, `AddrRange((start, end))`,
    `AddrRange(start=, end= | size=)`, `AddrRange(start, size=)`, and the
    interleave keywords `intlvMatch`, `masks`, `intlvBits`+`intlvHighBit`
    (+`xorHighBit`).
    """

    def __init__(self, *args: Any, **kwargs: Any):
        self.intlvMatch = 0
        self.masks: list[int] = []
        try:
            self._build(args, dict(kwargs))
        except ConfigTypeError:
            raise
        except (TypeError, ValueError, KeyError) as e:
            raise bad_value("AddrRange", args or kwargs, f"bad AddrRange: {e}") from None
        if self.end < self.start:
            raise ConfigTypeError(
                Problem(
                    "",
                    f"AddrRange end {self.end:#x} is below its start {self.start:#x}",
                    expected="start <= end",
                    got=f"{self.start:#x}:{self.end:#x}",
                )
            )

    def _build(self, args: tuple, kwargs: dict) -> None:
        if len(args) == 0:
            if "start" not in kwargs:
                raise TypeError("start must be specified")
            self.start = int(Addr(kwargs.pop("start")))
            self._rest(kwargs)
        elif len(args) == 1:
            arg = args[0]
            if isinstance(arg, PlainAddrRange) and not kwargs:
                self.start, self.end = arg.start, arg.end
                self.intlvMatch, self.masks = arg.intlvMatch, list(arg.masks)
            elif kwargs:
                self.start = int(Addr(arg))
                self._rest(kwargs)
            elif isinstance(arg, list | tuple):
                if len(arg) != 2:
                    raise TypeError("a (start, end) pair is needed")
                self.start, self.end = int(Addr(arg[0])), int(Addr(arg[1]))
            elif isinstance(arg, str) and ":" in arg:
                self._parse_ini(arg)
            else:
                self.start, self.end = 0, int(Addr(arg))
        elif len(args) == 2:
            self.start, self.end = int(Addr(args[0])), int(Addr(args[1]))
        else:
            raise TypeError("Too many arguments specified")
        if kwargs:
            raise TypeError(f"Too many keywords: {list(kwargs.keys())}")

    def _rest(self, kwargs: dict) -> None:
        if "end" in kwargs:
            self.end = int(Addr(kwargs.pop("end")))
        elif "size" in kwargs:
            self.end = self.start + int(Addr(kwargs.pop("size")))
        else:
            raise TypeError("Either end or size must be specified")
        if "intlvMatch" in kwargs:
            self.intlvMatch = int(kwargs.pop("intlvMatch"))
        if "masks" in kwargs:
            self.masks = [int(x) for x in list(kwargs.pop("masks"))]
        elif "intlvBits" in kwargs:
            bits = int(kwargs.pop("intlvBits"))
            self.masks = [0] * bits
            if "intlvHighBit" not in kwargs:
                raise TypeError("No interleave bits specified")
            high = int(kwargs.pop("intlvHighBit"))
            xor_high = int(kwargs.pop("xorHighBit", 0))
            for i in range(bits):
                mask = 1 << (high - i)
                if xor_high:
                    mask |= 1 << (xor_high - i)
                self.masks[bits - i - 1] = mask

    def _parse_ini(self, text: str) -> None:
        """The config.ini form "start:end[:match:mask...]" (used by YAML configs)."""
        fields = [int(f, 0) for f in text.split(":")]
        if len(fields) < 2 or len(fields) == 3:
            raise ValueError(f"'{text}' is not start:end[:match:mask...]")
        self.start, self.end = fields[0], fields[1]
        if len(fields) > 2:
            self.intlvMatch = fields[2]
            self.masks = fields[3:]

    def ini_str(self) -> str:
        return str(self)

    def config_value(self) -> str:
        return str(self)

    def frozen(self) -> PlainAddrRange:
        return PlainAddrRange(self.start, self.end, self.intlvMatch, self.masks)

    @classmethod
    def json_schema(cls) -> dict:
        pair = {
            "type": "array",
            "items": {"type": ["integer", "string"]},
            "minItems": 2,
            "maxItems": 2,
        }
        mapping = {
            "type": "object",
            "properties": {
                "start": {"type": ["integer", "string"]},
                "end": {"type": ["integer", "string"]},
                "size": {"type": ["integer", "string"]},
            },
            "additionalProperties": True,
        }
        return {"anyOf": [{"type": ["integer", "string"]}, pair, mapping]}


class NullSimObject:
    """gem5's NULL: no SimObject. Prints `Null` in config.ini, null in JSON."""

    _instance: NullSimObject | None = None

    def __new__(cls) -> NullSimObject:
        if cls._instance is None:
            cls._instance = object.__new__(cls)
        return cls._instance

    def __call__(self, **kwargs: Any) -> NullSimObject:
        return self

    def __str__(self) -> str:
        return "Null"

    __repr__ = __str__

    def __bool__(self) -> bool:
        return False

    def ini_str(self) -> str:
        return "Null"

    def config_value(self) -> None:
        return None

    def frozen(self) -> None:
        return None

    def descendants(self):
        return iter(())

    _name = "Null"
    _parent = None

    def has_parent(self) -> bool:
        return False

    def set_parent(self, parent: Any, name: str) -> None:
        pass

    def clear_parent(self, old_parent: Any) -> None:
        pass

    def get_name(self) -> str:
        return "Null"


NULL = NullSimObject()


def isNullPointer(value: Any) -> bool:
    return isinstance(value, NullSimObject)


MaxAddr = Addr.max
MaxTick = Tick.max
AllMemory = AddrRange(0, MaxAddr)
