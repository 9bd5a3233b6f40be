"""KVM declarations: the VM and the KVM CPUs."""

from __future__ import annotations

import simobjs.objects.system  # noqa: F401  (Param.System below)
from simobjs.objects.cpu import BaseCPU
from simobjs.objects.x86 import X86CPU, X86MMU
from simobjs.params import Enum, Param, Parent, SimObject, VectorParam


class InRunSyscalls(Enum):
    """SE mode on a KVM CPU: serve system calls from a host thread while the vCPU
    runs (simobjs.se.inrun). 'auto': where the host has a core for that thread."""

    vals = ["auto", "on", "off"]


class KvmVM(SimObject):
    type = "KvmVM"
    cxx_class = "gem5::KvmVM"
    _model = "simobjs.cpu.kvm.vm:KvmVM"
    coalescedMMIO = VectorParam.AddrRange([], "memory ranges for coalesced MMIO")
    system = Param.System(Parent.any, "system this VM belongs to")


class BaseKvmCPU(BaseCPU):
    type = "BaseKvmCPU"
    cxx_class = "gem5::BaseKvmCPU"
    abstract = True

    @classmethod
    def memory_mode(cls) -> str:
        return "atomic_noncaching"

    @classmethod
    def require_caches(cls) -> bool:
        return False

    @classmethod
    def support_take_over(cls) -> bool:
        return True

    # gem5 before v22 had a `kvmVM` param; v24 finds the VM through the system
    # (the KvmVM's `system`) and writes no kvmVM key. Old scripts still set it:
    # an unparented KvmVM becomes a child here, a parented one is only checked.
    _accepted_inputs = {"kvmVM": "KvmVM"}
    usePerf = Param.Bool(
        True,
        "Use perf for gathering statistics from the guest and providing statistic-related functionalities",
    )
    useCoalescedMMIO = Param.Bool(False, "Use coalesced MMIO (EXPERIMENTAL)")
    usePerfOverflow = Param.Bool(False, "Use perf event overflow counters (EXPERIMENTAL)")
    alwaysSyncTC = Param.Bool(False, "Always sync thread contexts on entry/exit")
    hostFreq = Param.Clock("2GHz", "Host clock frequency")
    hostFactor = Param.Float(1.0, "Cycle scale factor")


class X86KvmCPU(BaseKvmCPU, X86CPU):
    type = "X86KvmCPU"
    cxx_class = "gem5::X86KvmCPU"
    _model = "simobjs.cpu.kvm.x86_cpu:X86KvmCPU"
    mmu = X86MMU()
    useXSave = Param.Bool(True, "Use XSave to synchronize FPU/SIMD registers")
    inRunSyscalls = Param.InRunSyscalls(
        "auto",
        "SE mode: serve simple system calls from a host thread while the vCPU runs, "
        "without a VM exit (auto: where the host has a core to spare for it)",
    )


__all__ = ["BaseKvmCPU", "InRunSyscalls", "KvmVM", "X86KvmCPU"]
