"""A small typed binding of /dev/kvm (cffi, API mode). Knows nothing of simobjs.

from kvm import Kvm
with Kvm() as k, k.create_vm() as vm:
    vcpu = vm.create_vcpu(0)
    exit = vcpu.run()        # a typed value: IoExit, MmioExit, HltExit, ...
"""

from kvm.errors import KvmError, KvmUnavailable
from kvm.exits import (
    CoalescedWrite,
    DebugExit,
    ExceptionExit,
    Exit,
    FailEntryExit,
    HltExit,
    HypercallExit,
    InternalErrorExit,
    IntrExit,
    IoExit,
    IrqWindowOpenExit,
    MmioExit,
    MsrExit,
    NmiExit,
    ShutdownExit,
    SystemEventExit,
    UnknownExit,
)
from kvm.state import CpuidEntry, DebugRegs, DTable, Fpu, Regs, Segment, Sregs, Xsave
from kvm.system import Kvm
from kvm.vcpu import Vcpu
from kvm.vm import MEM_LOG_DIRTY_PAGES, MEM_READONLY, Vm

__all__ = [
    "MEM_LOG_DIRTY_PAGES",
    "MEM_READONLY",
    "CoalescedWrite",
    "CpuidEntry",
    "DTable",
    "DebugExit",
    "DebugRegs",
    "ExceptionExit",
    "Exit",
    "FailEntryExit",
    "Fpu",
    "HltExit",
    "HypercallExit",
    "InternalErrorExit",
    "IntrExit",
    "IoExit",
    "IrqWindowOpenExit",
    "Kvm",
    "KvmError",
    "KvmUnavailable",
    "MmioExit",
    "MsrExit",
    "NmiExit",
    "Regs",
    "Segment",
    "Sregs",
    "ShutdownExit",
    "SystemEventExit",
    "UnknownExit",
    "Vcpu",
    "Vm",
    "Xsave",
]
