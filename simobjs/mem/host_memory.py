"""What the host can give guest RAM, checked before any mapping is made.

Guest RAM is a shared mapping whose pages are allocated as the guest touches
them. A memory larger than the host can hold would map fine and then end in
the OOM killer (or a SIGBUS) in the middle of a run, so the size is checked
first against:

- the host's RAM plus swap (MemTotal + SwapTotal in /proc/meminfo);
- the memory limit of this process's cgroup (cgroup v2 `memory.max`), if any;
- under the strict overcommit policy (vm.overcommit_memory = 2), what is left
  of the commit limit (CommitLimit - Committed_AS).

A size above the host's available memory (MemAvailable) is allowed, with a
warning: the guest may never touch all of it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from simobjs.errors import ConfigError, Problem


@dataclass(frozen=True)
class HostMemory:
    """Bytes, as the kernel reports them; None when unknown."""

    total: int | None
    available: int | None
    swap: int
    commit_limit: int | None
    committed: int | None
    overcommit: int | None  # vm.overcommit_memory: 0 heuristic, 1 always, 2 never
    cgroup_limit: int | None


def _meminfo(path: str = "/proc/meminfo") -> dict[str, int]:
    out = {}
    try:
        with open(path) as f:
            for line in f:
                key, _, rest = line.partition(":")
                fields = rest.split()
                if fields and fields[0].isdigit():
                    out[key] = int(fields[0]) * (1024 if fields[1:] == ["kB"] else 1)
    except OSError:
        pass
    return out


def _read_int(path: str) -> int | None:
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None  # "max" (no limit) is None


def _cgroup_limit() -> int | None:
    """memory.max of this process's cgroup v2 (None: no limit or no cgroup v2)."""
    try:
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("0::"):
            path = line[3:].strip().lstrip("/")
            return _read_int(os.path.join("/sys/fs/cgroup", path, "memory.max"))
    return None


def read() -> HostMemory:
    info = _meminfo()
    return HostMemory(
        total=info.get("MemTotal"),
        available=info.get("MemAvailable"),
        swap=info.get("SwapTotal", 0),
        commit_limit=info.get("CommitLimit"),
        committed=info.get("Committed_AS"),
        overcommit=_read_int("/proc/sys/vm/overcommit_memory"),
        cgroup_limit=_cgroup_limit(),
    )


def size_text(n: int) -> str:
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            value = n / (1 << shift)
            return f"{value:.1f} {unit}" if value != int(value) else f"{int(value)} {unit}"
    return f"{n} bytes"


def limit_for(host: HostMemory) -> tuple[int | None, str]:
    """The most guest RAM this host can back, and why (for the message)."""
    limits = []
    if host.total is not None:
        limits.append(
            (
                host.total + host.swap,
                f"the host has {size_text(host.total)} of RAM and {size_text(host.swap)} of swap",
            )
        )
    if host.cgroup_limit is not None:
        limits.append(
            (
                host.cgroup_limit,
                f"this process's cgroup allows {size_text(host.cgroup_limit)} (memory.max)",
            )
        )
    if host.overcommit == 2 and host.commit_limit is not None and host.committed is not None:
        left = max(host.commit_limit - host.committed, 0)
        limits.append(
            (
                left,
                f"vm.overcommit_memory=2 (strict) leaves {size_text(left)} of "
                f"the commit limit ({size_text(host.commit_limit)})",
            )
        )
    if not limits:
        return None, "the host's memory is unknown"
    return min(limits, key=lambda item: item[0])


def check_guest_ram(
    size: int, in_use: int, who: str, host: HostMemory | None = None, warn: bool = True
) -> None:
    """Refuse `size` more bytes of guest RAM (with `in_use` already mapped) when the
    host cannot back it; warn when it is more than the host has available now."""
    host = host if host is not None else read()
    limit, why = limit_for(host)
    total = in_use + size
    if limit is not None and total > limit:
        others = f" ({size_text(total)} with the other memories)" if in_use else ""
        raise ConfigError(
            Problem(
                who,
                f"guest RAM of {size_text(size)}{others} is more than this host can hold: "
                f"{why} (vm.overcommit_memory={host.overcommit})",
                param="range",
                expected=f"at most {size_text(max(limit - in_use, 0))}",
                got=size_text(size),
            )
        )
    if warn and host.available is not None and total > host.available:
        print(
            f"warn: {who}: guest RAM of {size_text(total)} is more than the "
            f"{size_text(host.available)} the host has available now: if the guest "
            "touches all of it, the run may be ended by the host's OOM killer",
            file=sys.stderr,
        )
