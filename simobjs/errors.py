"""The errors of the simobjs layer. Each carries data, not only a message."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One configuration problem: where it is, what was expected and what was given."""

    path: str
    message: str
    param: str | None = None
    expected: str | None = None
    got: str | None = None
    verbatim: bool = False  # the message already names the object (gem5's wording)

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
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} configuration problems:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class ConfigTypeError(ConfigError, TypeError):
    """A ConfigError where gem5 raises TypeError (bad param value)."""


class ConfigAttributeError(ConfigError, AttributeError):
    """A ConfigError where gem5 raises AttributeError (unknown param, unresolved proxy)."""


class ConfigRuntimeError(ConfigError, RuntimeError):
    """A ConfigError where gem5 raises RuntimeError (class modified after use)."""


class PhaseError(SimobjsError, RuntimeError):
    """A simulation phase called out of order (e.g. simulate() before instantiate())."""


class CheckpointError(SimobjsError):
    """A checkpoint that cannot be written or read: names the section and key at fault."""

    def __init__(self, message: str, section: str | None = None, key: str | None = None):
        self.section = section
        self.key = key
        where = ""
        if section is not None:
            where = f"[{section}]" + (f" {key}" if key else "") + ": "
        super().__init__(where + message)


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
        super().__init__(message, path, rip)


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
