"""What the host's KVM can do for a KVM CPU: hardware counters, native ring 0.

Both answers are asked once per process and the one-line notices are
printed once, however many KVM CPUs a configuration has.
"""

from __future__ import annotations

import functools
import os
import sys

from kvm.perf import hardware_pmu_status

_said: set[str] = set()


def notice(key: str, line: str) -> None:
    """Print `line` to stderr the first time `key` is seen in this process."""
    if key in _said:
        return
    _said.add(key)
    print(line, file=sys.stderr)


@functools.cache
def pmu_status() -> tuple[bool, str]:
    """(available, reason): can guest cycles and instructions be counted here?"""
    return hardware_pmu_status()


def cpl0_emulated() -> bool:
    """A hint that ring-0 guest code is emulated rather than run natively.

    This does not measure: it takes the presence of the `kvm_pvm` module
    (/sys/module/kvm_pvm) as the hint, since PVM runs only CPL 3 natively.
    `simobjs kvm-info` measures it when in doubt.
    """
    return os.path.isdir("/sys/module/kvm_pvm")


def warn_host_limits() -> None:
    """One warning line where ring-0 guest code will be slow."""
    if cpl0_emulated():
        notice(
            "pvm",
            "warn: KVM: this host's KVM (kvm_pvm) runs only CPL 3 guest code natively; "
            "CPL 0 code is emulated (~2 MIPS): do the guest's work in ring 3.",
        )
