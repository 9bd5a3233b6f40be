"""perf_event_open counters for guest cycles and instructions, with a clean,
reported fallback to the task clock where the host has no hardware PMU."""

from __future__ import annotations

import errno
import os
import struct
from typing import NamedTuple

from kvm._kvm_ffi import lib

PERF_TYPE_HARDWARE = lib.PERF_TYPE_HARDWARE
PERF_TYPE_SOFTWARE = lib.PERF_TYPE_SOFTWARE
CPU_CYCLES = lib.PERF_COUNT_HW_CPU_CYCLES
INSTRUCTIONS = lib.PERF_COUNT_HW_INSTRUCTIONS
TASK_CLOCK = lib.PERF_COUNT_SW_TASK_CLOCK


class PerfUnavailable(RuntimeError):
    """A perf counter cannot be opened here; `reason` says why in words."""

    def __init__(self, what: str, err: int, reason: str) -> None:
        super().__init__(f"{what}: {reason}")
        self.what = what
        self.errno = err
        self.reason = reason


def _paranoid() -> str:
    try:
        with open("/proc/sys/kernel/perf_event_paranoid") as f:
            return f.read().strip()
    except OSError:
        return "?"


def explain(err: int) -> str:
    """Why perf_event_open failed with `err`, and what to do."""
    if err in (errno.ENOENT, errno.EOPNOTSUPP, errno.ENODEV):
        return (
            "the host has no such hardware event (no PMU exposed, e.g. kvm enable_pmu=N "
            "or a nested host)"
        )
    if err in (errno.EACCES, errno.EPERM):
        return (
            f"not permitted (kernel.perf_event_paranoid = {_paranoid()}); lower it "
            "(sysctl kernel.perf_event_paranoid=1), or count without hardware events"
        )
    return os.strerror(err)


_U64 = struct.Struct("<Q")


class PerfCounter:
    """One perf event counting the calling thread."""

    def __init__(
        self,
        type_: int,
        config: int,
        exclude_host: bool = False,
        group: PerfCounter | None = None,
        sample_period: int = 0,
        name: str = "perf counter",
    ) -> None:
        fd = lib.so_perf_open(
            type_, config, int(exclude_host), 1, 0, group.fd if group else -1, sample_period
        )
        if fd < 0:
            raise PerfUnavailable(name, -fd, explain(-fd))
        self.fd = fd
        self.name = name
        self.is_leader = group is None

    def _ioctl(self, request: int, arg: int, what: str) -> None:
        r = lib.so_ioctl_int(self.fd, request, arg)
        if r < 0:
            raise OSError(-r, f"{what} on {self.name}: {os.strerror(-r)}")

    def enable(self) -> None:
        self._ioctl(lib.PERF_EVENT_IOC_ENABLE, 0, "PERF_EVENT_IOC_ENABLE")

    def disable(self) -> None:
        self._ioctl(lib.PERF_EVENT_IOC_DISABLE, 0, "PERF_EVENT_IOC_DISABLE")

    def reset(self) -> None:
        self._ioctl(lib.PERF_EVENT_IOC_RESET, 0, "PERF_EVENT_IOC_RESET")

    def read(self) -> int:
        return _U64.unpack(os.read(self.fd, 8))[0]

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Sample(NamedTuple):
    """Counter values; None where the host cannot count that quantity."""

    cycles: int | None
    instructions: int | None
    task_clock_ns: int | None


class GuestCounters:
    """Guest cycles and instructions (hardware, host excluded) or, where the host
    has no PMU, the task clock of the vCPU thread (time spent, mostly in the guest).

    `hardware` tells which one is in use; `reason` says why hardware is missing.
    Open it in the thread that runs the vCPU.
    """

    def __init__(self, prefer_hardware: bool = True) -> None:
        self.cycles: PerfCounter | None = None
        self.instructions: PerfCounter | None = None
        self.task_clock: PerfCounter | None = None
        self.reason = ""
        if prefer_hardware:
            try:
                self.cycles = PerfCounter(
                    PERF_TYPE_HARDWARE, CPU_CYCLES, exclude_host=True, name="guest cycles"
                )
                try:
                    self.instructions = PerfCounter(
                        PERF_TYPE_HARDWARE,
                        INSTRUCTIONS,
                        exclude_host=True,
                        group=self.cycles,
                        name="guest instructions",
                    )
                except PerfUnavailable as e:
                    self.reason = e.reason
            except PerfUnavailable as e:
                self.reason = e.reason
        else:
            self.reason = "hardware counters not requested"
        if self.cycles is None:
            self.task_clock = PerfCounter(PERF_TYPE_SOFTWARE, TASK_CLOCK, name="task clock")

    @property
    def hardware(self) -> bool:
        return self.cycles is not None

    @property
    def available(self) -> bool:
        """True when guest cycles come from the PMU."""
        return self.hardware

    @property
    def kind(self) -> str:
        return "hardware" if self.hardware else "task-clock"

    def _leader(self) -> PerfCounter:
        return self.cycles or self.task_clock  # type: ignore[return-value]

    def start(self) -> None:
        self._leader().enable()

    def stop(self) -> None:
        self._leader().disable()

    def read(self) -> Sample:
        return Sample(
            self.cycles.read() if self.cycles else None,
            self.instructions.read() if self.instructions else None,
            self.task_clock.read() if self.task_clock else None,
        )

    def close(self) -> None:
        for c in (self.instructions, self.cycles, self.task_clock):
            if c is not None:
                c.close()


def hardware_pmu_status() -> tuple[bool, str]:
    """(available, reason) for guest hardware cycle counting on this host."""
    try:
        c = PerfCounter(PERF_TYPE_HARDWARE, CPU_CYCLES, exclude_host=True, name="guest cycles")
    except PerfUnavailable as e:
        return False, e.reason
    c.close()
    return True, "hardware cycles and instructions can be counted"
