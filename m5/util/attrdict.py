"""gem5's m5.util.attrdict: dicts whose keys are also attributes."""

from __future__ import annotations

from typing import Any

__all__ = ["attrdict", "multiattrdict", "optiondict"]


class attrdict(dict):  # noqa: N801 - gem5's name
    """`d.x` reads and writes `d["x"]`; names starting with `_` stay attributes."""

    def __getattr__(self, attr: str) -> Any:
        if attr in self:
            return self[attr]
        return super().__getattribute__(attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        if attr.startswith("_") or hasattr(type(self), attr):
            super().__setattr__(attr, value)
        else:
            self[attr] = value

    def __delattr__(self, attr: str) -> None:
        if attr in self:
            del self[attr]
        else:
            super().__delattr__(attr)

    def __getstate__(self) -> dict:
        return dict(self)

    def __setstate__(self, state: dict) -> None:
        self.update(state)


class multiattrdict(attrdict):  # noqa: N801
    """A missing attribute becomes a new nested multiattrdict (`d.a.b.c = 1`)."""

    def __getattr__(self, attr: str) -> Any:
        try:
            return super().__getattr__(attr)
        except AttributeError:
            if attr.startswith("_"):
                raise
            child = multiattrdict()
            self[attr] = child
            return child


class optiondict(attrdict):  # noqa: N801
    """A missing attribute reads as None."""

    def __getattr__(self, attr: str) -> Any:
        try:
            return super().__getattr__(attr)
        except AttributeError:
            return None
