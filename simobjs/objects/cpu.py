"""CPU declarations: BaseCPU and the arch-neutral pieces it holds."""

from __future__ import annotations

import os
import re
from typing import Any

import simobjs.objects.system  # noqa: F401  (Param.System below)
from simobjs.errors import ConfigError, ConfigRuntimeError, Problem
from simobjs.objects.sim import CONFIG_ONLY, ClockedObject
from simobjs.objects.xbar import L2XBar
from simobjs.params import NULL, Param, Parent, RequestPort, SimObject, VectorParam


class BaseISA(SimObject):
    type = "BaseISA"
    cxx_class = "gem5::BaseISA"
    abstract = True


class BaseInterrupts(SimObject):
    type = "BaseInterrupts"
    cxx_class = "gem5::BaseInterrupts"
    abstract = True


class BaseMMU(SimObject):
    """gem5's BaseMMU without TLB children (no TLB is modelled)."""

    type = "BaseMMU"
    cxx_class = "gem5::BaseMMU"
    abstract = True

    @classmethod
    def walkerPorts(cls) -> list[str]:
        return []

    def connectWalkerPorts(self, iport: Any, dport: Any) -> None:
        pass


class InstDecoder(SimObject):
    type = "InstDecoder"
    cxx_class = "gem5::InstDecoder"
    abstract = True
    isa = Param.BaseISA(NULL, "ISA object for this context")


class InstTracer(SimObject):
    type = "InstTracer"
    cxx_class = "gem5::trace::InstTracer"
    abstract = True


class ExeTracer(InstTracer):
    type = "ExeTracer"
    cxx_class = "gem5::trace::ExeTracer"
    _model = CONFIG_ONLY


class EmulatedDriver(SimObject):
    """gem5's emulated device drivers of SE mode (none is modelled: ignored)."""

    type = "EmulatedDriver"
    cxx_class = "gem5::EmulatedDriver"
    abstract = True
    filename = Param.String("device file name (under /dev)")


class Process(SimObject):
    """An SE-mode process (gem5's Process): the program a CPU's thread runs under
    syscall emulation. `system.workload` must be an SE workload
    (`SEWorkload.init_compatible(path)`). `sandbox_root` and `random_seed` are
    simobjs's: the host directory the program sees as `/`, and the seed of what it
    reads as random bytes."""

    type = "Process"
    cxx_class = "gem5::Process"
    _model = "simobjs.se.process:Process"
    input = Param.String("cin", "filename for stdin")
    output = Param.String("cout", "filename for stdout")
    errout = Param.String("cerr", "filename for stderr")
    system = Param.System(Parent.any, "system process will run on")
    useArchPT = Param.Bool(
        False, "maintain an in-memory version of the page table in an architecture-specific format"
    )
    kvmInSE = Param.Bool(False, "initialize the process for KvmCPU in SE")
    maxStackSize = Param.MemorySize("64MiB", "maximum size of the stack")
    uid = Param.Int(100, "user id")
    euid = Param.Int(100, "effective user id")
    gid = Param.Int(100, "group id")
    egid = Param.Int(100, "effective group id")
    pid = Param.Int(100, "process id")
    ppid = Param.Int(0, "parent process id")
    pgid = Param.Int(100, "process group id")
    executable = Param.String("", "executable (overrides cmd[0] if set)")
    cmd = VectorParam.String("command line (executable plus arguments)")
    env = VectorParam.String([], "environment settings")
    cwd = Param.String(os.getcwd(), "current working directory")
    simpoint = Param.UInt64(0, "simulation point at which to start simulation")
    drivers = VectorParam.EmulatedDriver([], "Available emulated drivers")
    release = Param.String("5.1.0", "Linux kernel uname release")
    sandbox_root = Param.String(
        "",
        "host directory the program sees as / (default: the current directory); "
        "read-only except the output directory",
    )
    random_seed = Param.UInt64(0, "seed of the bytes getrandom, AT_RANDOM and /dev/urandom give")

    def map(self, vaddr: int, paddr: int, size: int, cacheable: bool = True) -> bool:
        """gem5's Process.map: map [paddr, +size) at vaddr in the running process."""
        return self.getCCObject().map(vaddr, paddr, size, cacheable)


class BranchPredictor(SimObject):
    """Placeholder: no branch predictor is modelled."""

    type = "BranchPredictor"
    cxx_class = "gem5::branch_prediction::BPredUnit"
    abstract = True


_PORT_PATH = re.compile(r"([A-Za-z_]\w*)(?:\[(\d+)\])?")


def _walk(obj: Any, dotted: str) -> tuple[Any, str]:
    """`"interrupts[0].pio"` -> (obj.interrupts[0], "pio")."""
    *parts, last = dotted.split(".")
    for part in parts:
        m = _PORT_PATH.fullmatch(part)
        if m is None:
            raise ConfigError(Problem(obj.path(), f"bad port path '{dotted}'"))
        obj = getattr(obj, m.group(1))
        if m.group(2) is not None:
            obj = obj[int(m.group(2))]
    return obj, last


class BaseCPU(ClockedObject):
    type = "BaseCPU"
    cxx_class = "gem5::BaseCPU"
    abstract = True

    system = Param.System(Parent.any, "system object")
    cpu_id = Param.Int(-1, "CPU identifier")
    socket_id = Param.Unsigned(0, "Physical Socket identifier")
    numThreads = Param.Unsigned(1, "number of HW thread contexts")
    pwr_gating_latency = Param.Cycles(
        300, "Latency to enter power gating state when all contexts are suspended"
    )
    power_gating_on_idle = Param.Bool(
        False,
        "Control whether the core goes to the OFF power state after all thread are disabled for pwr_gating_latency cycles",
    )
    function_trace = Param.Bool(False, "Enable function trace")
    function_trace_start = Param.Tick(0, "Tick to start function trace")
    checker = Param.BaseCPU(NULL, "checker CPU")
    syscallRetryLatency = Param.Cycles(10000, "Cycles to wait until retry")
    do_checkpoint_insts = Param.Bool(True, "enable checkpoint pseudo instructions")
    do_statistics_insts = Param.Bool(True, "enable statistics pseudo instructions")
    workload = VectorParam.Process([], "processes to run")
    mmu = Param.BaseMMU(NULL, "CPU memory management unit")
    interrupts = VectorParam.BaseInterrupts([], "Interrupt Controller")
    isa = VectorParam.BaseISA([], "ISA instance")
    decoder = VectorParam.InstDecoder([], "Decoder instance")
    max_insts_all_threads = Param.Counter(
        0, "terminate when all threads have reached this inst count"
    )
    max_insts_any_thread = Param.Counter(0, "terminate when any thread reaches this inst count")
    simpoint_start_insts = VectorParam.Counter([], "starting instruction counts of simpoints")
    progress_interval = Param.Frequency("0Hz", "frequency to print out the progress message")
    switched_out = Param.Bool(
        False, "Leave the CPU switched out after startup (used when switching between CPU models)"
    )
    tracer = Param.InstTracer(ExeTracer(), "Instruction tracer")
    icache_port = RequestPort("Instruction Port")
    dcache_port = RequestPort("Data Port")

    _cached_ports = ["icache_port", "dcache_port"]
    _uncached_interrupt_response_ports: list[str] = []
    _uncached_interrupt_request_ports: list[str] = []

    @classmethod
    def memory_mode(cls) -> str:
        """Which memory mode does this CPU require?"""
        return "invalid"

    @classmethod
    def require_caches(cls) -> bool:
        return False

    @classmethod
    def support_take_over(cls) -> bool:
        return False

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.power_state.possible_states = ["ON", "CLK_GATED", "OFF"]
        arch_mmu = getattr(type(self), "ArchMMU", None)
        self._cached_ports = list(self._cached_ports) + (arch_mmu.walkerPorts() if arch_mmu else [])
        self._uncached_interrupt_response_ports = list(self._uncached_interrupt_response_ports)
        self._uncached_interrupt_request_ports = list(self._uncached_interrupt_request_ports)
        intr = getattr(type(self), "ArchInterrupts", None)
        if intr is not None:
            n = int(self.numThreads)
            if "pio" in intr._ports:
                self._uncached_interrupt_response_ports += [
                    f"interrupts[{i}].pio" for i in range(n)
                ]
            if "int_responder" in intr._ports:
                self._uncached_interrupt_response_ports += [
                    f"interrupts[{i}].int_responder" for i in range(n)
                ]
            if "int_requestor" in intr._ports:
                self._uncached_interrupt_request_ports += [
                    f"interrupts[{i}].int_requestor" for i in range(n)
                ]

    def _port_required(self, name: str, port: Any) -> bool:
        if name == "dcache_port":
            return not bool(self._values.get("switched_out"))
        return super()._port_required(name, port)

    def _arch(self, attr: str) -> type:
        cls = getattr(type(self), attr, None)
        if cls is None:
            raise ConfigError(
                Problem(
                    self.path(), f"{type(self).__name__} has no {attr} (not an arch-specific CPU)"
                )
            )
        return cls

    def createThreads(self) -> None:
        if len(self.isa) == 0:
            self.isa = [self._arch("ArchISA")() for _ in range(int(self.numThreads))]
        elif len(self.isa) != int(self.numThreads):
            raise ConfigRuntimeError(
                Problem(self.path(), "Number of ISA instances doesn't match thread count")
            )
        if len(self.decoder) != 0:
            raise ConfigRuntimeError(Problem(self.path(), "Decoders should not be set up manually"))
        self.decoder = [self._arch("ArchDecoder")(isa=isa) for isa in self.isa]
        if self.checker is not NULL:
            self.checker.createThreads()

    def createInterruptController(self) -> None:
        self.interrupts = [self._arch("ArchInterrupts")() for _ in range(int(self.numThreads))]

    def _connect(self, dotted: str, ports: Any) -> None:
        obj, name = _walk(self, dotted)
        setattr(obj, name, ports)

    def connectCachedPorts(self, in_ports: Any) -> None:
        for p in self._cached_ports:
            self._connect(p, in_ports)

    def connectUncachedPorts(self, in_ports: Any, out_ports: Any) -> None:
        for p in self._uncached_interrupt_response_ports:
            self._connect(p, out_ports)
        for p in self._uncached_interrupt_request_ports:
            self._connect(p, in_ports)

    def connectAllPorts(self, cached_in: Any, uncached_in: Any, uncached_out: Any) -> None:
        self.connectCachedPorts(cached_in)
        self.connectUncachedPorts(uncached_in, uncached_out)

    def connectBus(self, bus: Any) -> None:
        self.connectAllPorts(bus.cpu_side_ports, bus.cpu_side_ports, bus.mem_side_ports)

    def addCheckerCpu(self) -> None:
        """gem5's BaseCPU: no checker for this CPU (gem5 adds one for ARM and Minor only)."""

    def addPrivateSplitL1Caches(self, ic: Any, dc: Any, iwc: Any = None, dwc: Any = None) -> None:
        """gem5's: `ic`/`dc` become `icache`/`dcache` on the CPU's ports; their
        `mem_side` ports are what connectCachedPorts connects next. Walker caches
        (`iwc`, `dwc`) are kept as `itb_walker_cache`/`dtb_walker_cache` with their
        `mem_side` connected as gem5 does, but no page-table walker is modelled (the
        CPUs walk page tables themselves), so nothing reaches them: their stats stay 0."""
        self.icache = ic
        self.dcache = dc
        self.icache_port = ic.cpu_side
        self.dcache_port = dc.cpu_side
        self._cached_ports = ["icache.mem_side", "dcache.mem_side"]
        arch_mmu = getattr(type(self), "ArchMMU", None)
        if iwc and dwc:
            self.itb_walker_cache = iwc
            self.dtb_walker_cache = dwc
            self.mmu.connectWalkerPorts(iwc.cpu_side, dwc.cpu_side)
            self._cached_ports += ["itb_walker_cache.mem_side", "dtb_walker_cache.mem_side"]
        elif arch_mmu is not None:
            self._cached_ports += arch_mmu.walkerPorts()

    def addTwoLevelCacheHierarchy(
        self, ic: Any, dc: Any, l2c: Any, iwc: Any = None, dwc: Any = None, xbar: Any = None
    ) -> None:
        """gem5's: private L1s, then an L2XBar (`toL2Bus`) and the private `l2cache`."""
        self.addPrivateSplitL1Caches(ic, dc, iwc, dwc)
        self.toL2Bus = xbar if xbar else L2XBar()
        self.connectCachedPorts(self.toL2Bus.cpu_side_ports)
        self.l2cache = l2c
        self.toL2Bus.mem_side_ports = self.l2cache.cpu_side
        self._cached_ports = ["l2cache.mem_side"]

    def takeOverFrom(self, old_cpu: Any) -> None:
        self.getCCObject().takeOverFrom(old_cpu.getCCObject())


class BaseSimpleCPU(BaseCPU):
    type = "BaseSimpleCPU"
    cxx_class = "gem5::BaseSimpleCPU"
    abstract = True
    branchPred = Param.BranchPredictor(NULL, "Branch Predictor")


class BaseAtomicSimpleCPU(BaseSimpleCPU):
    """Simple CPU model in the 'atomic' memory mode."""

    type = "BaseAtomicSimpleCPU"
    cxx_class = "gem5::AtomicSimpleCPU"
    abstract = True
    width = Param.Int(1, "CPU width")
    simulate_data_stalls = Param.Bool(False, "Simulate dcache stall cycles")
    simulate_inst_stalls = Param.Bool(False, "Simulate icache stall cycles")

    @classmethod
    def memory_mode(cls) -> str:
        return "atomic"

    @classmethod
    def support_take_over(cls) -> bool:
        return True


class BaseTimingSimpleCPU(BaseSimpleCPU):
    """Simple CPU model in the 'timing' memory mode: each fetch and data access
    waits for the latency of the memory system below its ports."""

    type = "BaseTimingSimpleCPU"
    cxx_class = "gem5::TimingSimpleCPU"
    abstract = True

    @classmethod
    def memory_mode(cls) -> str:
        return "timing"

    @classmethod
    def support_take_over(cls) -> bool:
        return True


class CheckerCPU(BaseCPU):
    """gem5's abstract checker CPU. Declared (abstract, no model, as in gem5) so
    that gem5's configs/common/ObjectList.py, which filters CPU classes with
    issubclass(cls, m5.objects.CheckerCPU), lists simobjs's CPUs; no concrete
    checker (O3Checker) is modelled."""

    type = "CheckerCPU"
    cxx_class = "gem5::CheckerCPU"
    abstract = True


__all__ = [
    "BaseAtomicSimpleCPU",
    "BaseCPU",
    "CheckerCPU",
    "BaseISA",
    "BaseInterrupts",
    "BaseMMU",
    "BaseSimpleCPU",
    "BaseTimingSimpleCPU",
    "BranchPredictor",
    "EmulatedDriver",
    "ExeTracer",
    "InstDecoder",
    "InstTracer",
    "Process",
]
