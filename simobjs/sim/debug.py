"""Debug tracing with gem5's flag names (`--debug-flags=Kvm,KvmIO`).

Use: `if debug.flags.KvmIO: debug.dprintf(self, "out %#x <- %#x", port, value)`.
A flag that is off costs one attribute read; the line printed is
`<tick>: <object path>: <message>` (the tick right-aligned in 7 columns, as gem5).
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

KNOWN_FLAGS = (
    "Event",
    "Drain",
    "Checkpoint",
    "Stats",
    "Clock",
    "Config",
    "Kvm",
    "KvmIO",
    "KvmRun",
    "KvmInt",
    "KvmContext",
    "KvmTimer",
    "Uart",
    "Terminal",
    "PIT",
    "PIC",
    "I8254",
    "I8259",
    "LocalApic",
    "M5Ops",
    "PseudoInst",
    "Loader",
    "RefCPU",
    "MMIO",
    "XBar",
    "MemoryAccess",
    "Interrupt",
    "SyscallBase",
    "SyscallVerbose",
)

# Compound flags switch several at once (gem5's CompoundFlag).
COMPOUND = {
    "KvmAll": ("Kvm", "KvmIO", "KvmRun", "KvmInt", "KvmContext", "KvmTimer"),
    "Devices": ("Uart", "Terminal", "PIT", "PIC", "I8254", "I8259", "LocalApic"),
    "SyscallAll": ("SyscallBase", "SyscallVerbose"),
}


class Flags:
    """Every flag an attribute (False when off); an unknown name is an AttributeError."""

    def __init__(self) -> None:
        for name in KNOWN_FLAGS:
            object.__setattr__(self, name, False)

    def __setattr__(self, name: str, value: bool) -> None:
        if name not in self.__dict__:
            raise AttributeError(f"unknown debug flag '{name}'; known: {', '.join(all_flags())}")
        object.__setattr__(self, name, bool(value))

    def enabled(self) -> list[str]:
        return [n for n, v in self.__dict__.items() if v]


flags = Flags()
_out: TextIO | None = None  # None: whatever sys.stdout is when a line is written
_owned = False  # True when _out is a file this module opened (and must close)
_start_tick = 0
_end_tick: int | None = None
_ignored: list[list[str]] = []  # --debug-ignore patterns, split at dots
_tick_source: Any = None  # a callable returning the current tick (set by the Simulation)


def all_flags() -> list[str]:
    return sorted(list(flags.__dict__) + list(COMPOUND))


def register_flag(name: str) -> None:
    """Add a flag (for models with their own); a known name is left as is."""
    if name not in flags.__dict__:
        object.__setattr__(flags, name, False)


def _expand(names: str | list[str]) -> list[str]:
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    out: list[str] = []
    unknown = []
    for n in names:
        negate = n.startswith("-")
        base = n[1:] if negate else n
        members = COMPOUND.get(base, (base,))
        for m in members:
            if m not in flags.__dict__:
                unknown.append(base)
            out.append(("-" if negate else "") + m)
    if unknown:
        raise ValueError(
            f"unknown debug flag(s) {', '.join(unknown)}; known: {', '.join(all_flags())}"
        )
    return out


def set_flags(names: str | list[str]) -> None:
    """Turn flags on ("Kvm,KvmIO"); a leading '-' turns one off, as gem5's --debug-flags."""
    for n in _expand(names):
        if n.startswith("-"):
            object.__setattr__(flags, n[1:], False)
        else:
            object.__setattr__(flags, n, True)


def clear_flags(names: str | list[str] | None = None) -> None:
    targets = list(flags.__dict__) if names is None else _expand(names)
    for n in targets:
        object.__setattr__(flags, n.lstrip("-"), False)


def set_file(path: str | TextIO | None) -> None:
    """Send trace lines to a file (gem5's --debug-file); None means stdout."""
    global _out, _owned
    if _owned and _out is not None:
        _out.close()  # only a file opened here: never someone else's stream
    _out, _owned = None, False
    if path is None or path == "cout":
        return
    if path == "cerr":
        _out = sys.stderr
    elif isinstance(path, str):
        from simobjs.sim import files

        _out, _owned = files.open_output(path, "w"), True
    else:
        _out = path


def set_start(tick: int) -> None:
    """Print nothing before `tick` (gem5's --debug-start)."""
    global _start_tick
    _start_tick = int(tick)


def set_end(tick: int | None) -> None:
    """Print nothing from `tick` on (gem5's --debug-end); None: no end."""
    global _end_tick
    _end_tick = None if tick is None else int(tick)


def set_ignore(expr: str | list[str]) -> None:
    """Print nothing for the objects `expr` names (gem5's --debug-ignore): a comma
    list of dotted paths, each matching an object and everything below it, `*`
    standing for any one name (`system.cpu*` is not a pattern; `system.*.icache` is)."""
    parts = expr.split(",") if isinstance(expr, str) else expr
    _ignored[:] = [p.strip().split(".") for p in parts if p.strip()]


def _is_ignored(name: str) -> bool:
    names = name.split(".")
    for pattern in _ignored:
        if len(pattern) <= len(names) and all(
            want in ("*", have) for want, have in zip(pattern, names, strict=False)
        ):
            return True
    return False


def set_tick_source(fn: Any) -> None:
    global _tick_source
    _tick_source = fn


def _now(obj: Any) -> int:
    cur = getattr(obj, "curTick", None)
    if cur is not None:
        try:
            return cur()
        except Exception:  # noqa: BLE001 - a model without a queue yet
            pass
    return _tick_source() if _tick_source is not None else 0


def dprintf(obj: Any, fmt: str, *args: Any) -> None:
    """Print one trace line for `obj` (a model, or a string naming the source)."""
    tick = _now(obj)
    if tick < _start_tick or (_end_tick is not None and tick >= _end_tick):
        return
    name = obj if isinstance(obj, str) else obj.name()
    if _ignored and _is_ignored(name):
        return
    msg = fmt % args if args else fmt
    (_out or sys.stdout).write(f"{tick:>7}: {name}: {msg}\n")


def flush() -> None:
    try:
        (_out or sys.stdout).flush()
    except (OSError, ValueError):
        pass


def help_text() -> str:
    """What --debug-help prints: every flag, compound flags with their members."""
    lines = ["Base Flags:"]
    lines += [f"    {name}" for name in sorted(flags.__dict__)]
    lines.append("Compound Flags:")
    lines += [f"    {name}: {', '.join(members)}" for name, members in sorted(COMPOUND.items())]
    return "\n".join(lines)
