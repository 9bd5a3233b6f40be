"""gem5's m5.debug: debug flags at run time (set_flags("Kvm,KvmIO"))."""

from __future__ import annotations

from simobjs.sim import debug as _debug
from simobjs.sim.debug import all_flags, clear_flags, set_file, set_flags, set_start

__all__ = ["flags", "set_flags", "clear_flags", "set_file", "set_start", "help", "all_flags"]


class _Flag:
    def __init__(self, name: str):
        self.name = name

    def enable(self) -> None:
        set_flags(self.name)

    def disable(self) -> None:
        clear_flags(self.name)

    def status(self) -> bool:
        return bool(getattr(_debug.flags, self.name, False))

    def __bool__(self) -> bool:
        return self.status()


class _FlagMap(dict):
    def __missing__(self, name: str) -> _Flag:
        if name not in all_flags():
            raise KeyError(f"unknown debug flag '{name}'")
        flag = _Flag(name)
        self[name] = flag
        return flag


flags = _FlagMap()


def help() -> None:  # noqa: A001 - gem5's name
    print("Debug flags:")
    for name in all_flags():
        print(f"    {name}")
