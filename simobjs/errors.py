"""The errors of the simobjs layer. Each carries data, not only a message."""

from __future__ import annotations

import reprlib
from dataclasses import dataclass
from typing import Any

# Error text never repeats a whole value: a value is cut to this many characters
# (a YAML alias bomb or a 200,000-element list would otherwise print megabytes).
VALUE_LIMIT = 200
MESSAGE_LIMIT = 2000
SHOWN_PROBLEMS = 25  # a ConfigError lists this many problems, then counts the rest

_repr = reprlib.Repr()
_repr.maxstring = _repr.maxother = VALUE_LIMIT
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 8
_repr.maxlevel = 4


def short_repr(value: Any) -> str:
    """repr(value), bounded: nested containers are cut while being formatted, not after."""
    return cut(_repr.repr(value))


def cut(text: str, limit: int = VALUE_LIMIT) -> str:
    """`text` with its middle replaced by a note when it is longer than `limit`."""
    if len(text) <= limit:
        return text
    keep = max(limit - 40, 20)
    head, tail = text[: keep * 3 // 4], text[-(keep // 4) :]
    return f"{head}...({len(text) - len(head) - len(tail)} characters cut)...{tail}"


@dataclass(frozen=True)
class Problem:
    """One configuration problem: where it is, what was expected and what was given."""

    path: str
    message: str
    param: str | None = None
    expected: str | None = None
    got: str | None = None
    verbatim: bool = False  # the message already names the object (gem5's wording)

    def __post_init__(self) -> None:
        for name, limit in (
            ("message", MESSAGE_LIMIT),
            ("expected", MESSAGE_LIMIT),
            ("got", VALUE_LIMIT),
        ):
            value = getattr(self, name)
            if isinstance(value, str) and len(value) > limit:
                object.__setattr__(self, name, cut(value, limit))

    def __str__(self) -> str:
        if self.verbatim:
            return self.message
        where = f"{self.path}.{self.param}" if self.param else self.path
        text = f"{where}: {self.message}" if where else self.message
        if self.expected is not None and self.got is not None:
            text += f" (expected {self.expected}, got {self.got})"
        elif self.expected is not None:
            text += f" (expected {self.expected})"
        elif self.got is not None:
            text += f" (got {self.got})"
        return text


class SimobjsError(Exception):
    """Base of every error simobjs raises on purpose."""


class ConfigError(SimobjsError):
    """A bad configuration. Holds every problem found, not only the first."""

    def __init__(self, problems: Problem | str | list[Problem], path: str | None = None):
        if isinstance(problems, str):
            problems = [Problem(path or "", problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self._text())

    def _text(self) -> str:
        texts = list(dict.fromkeys(str(p) for p in self.problems))  # each problem once
        if len(texts) == 1:
            return texts[0]
        lines = [f"{len(texts)} configuration problems:"]
        lines += [f"  - {p}" for p in texts[:SHOWN_PROBLEMS]]
        if len(texts) > SHOWN_PROBLEMS:
            lines.append(f"  ... and {len(texts) - SHOWN_PROBLEMS} more")
        return "\n".join(lines)


class ConfigTypeError(ConfigError, TypeError):
    """A ConfigError where gem5 raises TypeError (bad param value)."""


class ConfigAttributeError(ConfigError, AttributeError):
    """A ConfigError where gem5 raises AttributeError (unknown param, unresolved proxy)."""


class ConfigRuntimeError(ConfigError, RuntimeError):
    """A ConfigError where gem5 raises RuntimeError (class modified after use)."""


class PhaseError(SimobjsError, RuntimeError):
    """A simulation phase called out of order (e.g. simulate() before instantiate())."""


class UsageError(SimobjsError, ValueError):
    """A gem5 API function called with an impossible argument (a negative tick count...)."""


class OutdirBusy(SimobjsError):
    """Another live process writes into the same output directory."""

    def __init__(self, outdir: str, pid: int | None, detail: str = ""):
        self.outdir = outdir
        self.pid = pid
        who = f"process {pid}" if pid else "another process"
        text = f"output directory {outdir} is in use by {who}"
        if detail:
            text += f" ({detail})"
        super().__init__(
            text + ": two runs writing into one directory would overwrite each other's "
            "files; wait for it to end or choose another directory with -d/--outdir"
        )


class Terminated(SystemExit):
    """SIGTERM: the run stops at the next event, its stats are written on the way out
    and the process exits with 128 + 15, as a process ended by SIGTERM."""

    def __init__(self, signo: int = 15, tick: int | None = None):
        self.signo = signo
        self.tick = tick
        super().__init__(128 + signo)


class CheckpointError(SimobjsError):
    """A checkpoint that cannot be written or read: names the section and key at fault."""

    def __init__(self, message: str, section: str | None = None, key: str | None = None):
        self.section = section
        self.key = key
        where = ""
        if section is not None:
            where = f"[{section}]" + (f" {key}" if key else "") + ": "
        super().__init__(cut(where + message, MESSAGE_LIMIT))


class SimulationError(SimobjsError):
    """A model failed during simulate(): names the object path and, for CPUs, the guest RIP."""

    def __init__(self, message: str, path: str | None = None, rip: int | None = None):
        self.path = path
        self.rip = rip
        where = path or ""
        if rip is not None:
            where += f" (guest rip={rip:#x})"
        super().__init__(f"{where}: {message}" if where else message)


class GuestFault(SimulationError):
    """The guest did something the CPU cannot continue from (triple fault, bad exit...).

    `dump` holds the register dump text.
    """

    def __init__(
        self, message: str, path: str | None = None, rip: int | None = None, dump: str = ""
    ):
        self.dump = dump
        self.reported = False  # True once the CPU printed the dump and the panic line
        super().__init__(message, path, rip)


class UnmappedAccess(SimulationError):
    """A guest access that no device claims (a read or write with nothing behind it)."""

    def __init__(self, bus: str, kind: str, addr: int, size: int, requestor: str = ""):
        self.bus = bus
        self.kind = kind  # "read" or "write"
        self.addr = addr
        self.size = size
        self.requestor = requestor
        super().__init__(self.describe(size), bus)

    def describe(self, size: int) -> str:
        """The message for an access of `size` bytes (a CPU may know the whole access
        when the bus saw only a part of it)."""
        addr = self.addr
        where = f"{addr:#x} (I/O port {addr & 0xFFFF:#x})" if addr >> 63 else f"{addr:#x}"
        who = self.requestor or "an unnamed requestor"
        return f"no device claims the {size}-byte {self.kind} at {where} (requested by {who})"


class NotModelledError(ConfigAttributeError):
    """A gem5 object, module or function that simobjs does not model.

    An AttributeError, so `hasattr()` and `getattr(x, name, None)` (gem5's
    configs/common/ObjectList.py probes classes this way) see it as absent.
    """

    def __init__(self, name: str, message: str, alternatives: list[str] | None = None):
        self.name = name
        self.alternatives = list(alternatives or [])
        super().__init__(Problem("", message, verbatim=True))


class NotModelledImportError(ConfigError, ImportError):
    """`from m5.objects import X` of an X that simobjs does not model (same message)."""

    def __init__(self, err: NotModelledError):
        self.name = err.name
        self.alternatives = err.alternatives
        super().__init__(err.problems)


class UnsupportedError(SimobjsError, RuntimeError):
    """A gem5 call that simobjs refuses on purpose; the message says why and what to do."""
