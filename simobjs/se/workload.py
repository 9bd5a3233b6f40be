"""X86EmuLinux: the SE workload (gem5's SEWorkload / X86ISA::EmuLinux).

At init it takes the system's RAM for SE mode: the top of the first memory becomes
the pool for page tables and supervisor pages (a KVM memory slot of its own), the
rest the frames of program memory (the m5ops range excluded). It gives every CPU
whose `workload` is a Process an SE thread (`cpu.se`), and at initState starts
each running CPU's Process on its hardware context.
"""

from __future__ import annotations

import os
import sys

from simobjs.errors import ConfigError, Problem
from simobjs.se import lifecycle
from simobjs.se.fs import Sandbox
from simobjs.se.kernel import Kernel
from simobjs.se.kernel_pages import KernelPages
from simobjs.se.mm import Frames
from simobjs.se.physmem import PAGE_SHIFT, PageAllocator, PhysMem
from simobjs.se.syscalls import load_families
from simobjs.sim import debug
from simobjs.sim.model import Params
from simobjs.sim.workload import Workload

MIB = 1 << 20
GLIBC_HWCAPS = (
    "glibc.cpu.hwcaps=-AVX,-AVX2,-AVX512F,-AVX512VL,-AVX512BW,-AVX512DQ,"
    "-AVX512CD,-BMI1,-BMI2,-LZCNT,-FMA,-MOVBE,-ERMS,-FSRM,"
    "-AVX_Fast_Unaligned_Load,-XSAVEC"
)


def pool_size(ram_size: int) -> int:
    """Pages for page tables: 1/32 of RAM, 2..64 MiB, a multiple of 2 MiB."""
    return min(max(ram_size // 32, 2 * MIB), 64 * MIB) & ~(2 * MIB - 1)


class X86EmuLinux(Workload):
    def __init__(self, params: Params):
        super().__init__(params)
        self.kernel: Kernel | None = None
        self.processes: list = []  # (cpu, tid, Process model) of every CPU thread
        load_families()

    def _find_system(self):
        if self.system is None:
            raise ConfigError(Problem(self.name(), "this workload belongs to no System"))
        return self.system

    # -- lifecycle ----------------------------------------------------------------------------
    def init(self) -> None:
        system = self._find_system()
        rams = system.rams()
        if not rams:
            raise ConfigError(Problem(self.name(), "SE mode needs memory in the system"))
        cpus = [
            m
            for m in self.sim.order
            if getattr(m, "is_cpu", False) and getattr(m, "system", None) is system
        ]
        for cpu in cpus:
            procs = list(cpu.params.workload or [])
            for tid, proc in enumerate(procs[: cpu.numThreads]):
                self.processes.append((cpu, tid, proc))
        if not self.processes:
            raise ConfigError(
                Problem(
                    self.name(),
                    "no CPU has a workload: set "
                    "cpu.workload = Process(cmd=[...]) and call "
                    "cpu.createThreads()",
                )
            )
        ram = rams[0]
        size = pool_size(ram.size)
        pool_start = (ram.start + ram.size - size) & ~(2 * MIB - 1)
        if pool_start <= ram.start + 16 * MIB:
            raise ConfigError(
                Problem(
                    self.name(), f"SE mode needs more RAM than {ram.size} bytes in the first memory"
                )
            )
        self.memory_layout = (ram.start, pool_start, ram.start + ram.size)
        vm = system.getKvmVM() if hasattr(system, "getKvmVM") else None
        if vm is not None:
            vm.setPageTableRange(pool_start, ram.start + ram.size - pool_start)
        first = self.processes[0][2]
        root = first.sandbox_root or os.getcwd()
        redirects = [(r.params.app_path, r.params.host_paths) for r in system.params.redirect_paths]
        self.sandbox = Sandbox(root, self.sim.outdir, redirects)
        self.kernel = self._new_kernel(rams, first)
        self._attach(cpus)

    def _new_kernel(self, rams, first) -> Kernel:
        start, pool_start, end = self.memory_layout
        mem = PhysMem(rams)
        pool = PageAllocator(
            pool_start >> PAGE_SHIFT, (end - pool_start) >> PAGE_SHIFT, "SE page-table pool"
        )
        frames_alloc = PageAllocator(
            start >> PAGE_SHIFT, (pool_start - start) >> PAGE_SHIFT, "SE program memory"
        )
        base = self.system.m5ops_base
        if base and start <= base < pool_start:
            first_m5 = base >> PAGE_SHIFT
            frames_alloc.reserve(range(first_m5, min(first_m5 + 16, pool_start >> PAGE_SHIFT)))
        return Kernel(
            self,
            self.sim,
            self.system,
            mem,
            pool,
            Frames(mem, frames_alloc),
            self.sandbox,
            first.random_seed,
            base,
            first.release,
        )

    def _attach(self, cpus) -> None:
        from simobjs.se.cpu_kvm import KvmSeThread
        from simobjs.se.cpu_ref import RefSeThread

        for cpu in cpus:
            if not cpu.params.workload:
                continue
            if hasattr(cpu, "attach_se"):
                cpu.attach_se(RefSeThread(cpu, self.kernel))
            elif hasattr(cpu, "vcpu"):
                cpu.se = KvmSeThread(cpu, self.kernel)
            else:
                raise ConfigError(
                    Problem(cpu.name(), f"{type(cpu).__name__} cannot run SE processes")
                )
            self.kernel.se_threads.append(cpu.se)

    def initState(self) -> None:
        """Start each Process on the first running hardware context that has it (the
        others stay idle, as gem5's: se.py gives one Process to every CPU)."""
        k = self.kernel
        contexts = max(len(self.system.threads), 1)
        k.kpages = KernelPages.build(k.mem, k.pool, contexts)
        portable = self._starts_on_kvm()
        started: set[int] = set()
        for cpu, tid, proc in self.processes:
            if cpu.switchedOut() or id(proc) in started:
                continue  # a Process on several contexts starts once, on the first (gem5's)
            started.add(id(proc))
            tc = cpu.threads[tid]
            ctx = tc.contextId()
            env = [os.fsencode(e) for e in proc.env]
            if portable:
                env = self._tunables(env)
            files = proc.streams(self.sim.outdir)
            cwd = self.sandbox.guest_path_of(proc.cwd) if os.path.isdir(proc.cwd) else "/"
            try:
                task = lifecycle.spawn(
                    k,
                    proc.pid,
                    proc.ppid,
                    os.path.abspath(proc.executable),
                    proc.argv(),
                    env,
                    cwd,
                    files,
                    proc.ids,
                    ctx,
                    proc.max_stack,
                    proc.pgid,
                )
            except Exception as e:
                raise ConfigError(
                    Problem(proc.name(), f"cannot start {proc.executable}: {e}")
                ) from e
            proc.task = task
            k.current[ctx] = task
            task.status = "running"
            cpu.set_state(task.state, tid)
            task.state = None
            tc.activate()
            if debug.flags.SyscallVerbose:
                debug.dprintf(self, "context %d: pid %d runs %s", ctx, task.tid, proc.executable)

    def startup(self) -> None:
        """Serve system calls in the run where the KVM CPUs want it (simobjs.se.inrun);
        the entry page's spin bound says to the stubs whether anyone does."""
        from simobjs.se import inrun, stub

        super().startup()
        k = self.kernel
        kvm_cpus = [se.cpu for se in k.se_threads if hasattr(se.cpu, "vcpu")]
        page = k.mem.page(k.kpages.stub_ppn)
        page[stub.SPIN_BOUND : stub.SPIN_BOUND + 8] = bytes(8)
        if k.inrun is None and inrun.wanted(kvm_cpus):
            k.inrun = inrun.InRunCalls(k)
            k.inrun.start()
            for cpu in kvm_cpus:
                cpu.inrun = k.inrun
            if debug.flags.SyscallVerbose:
                debug.dprintf(self, "SE: simple system calls are served while the vCPU runs")

    def stopHostThreads(self) -> None:
        k = self.kernel
        if k is not None and k.inrun is not None:
            k.inrun.stop()
            k.inrun = None

    def _starts_on_kvm(self) -> bool:
        """Does a program start on a KVM CPU? Then it may later run on the reference
        CPU (a switch, or a checkpoint restored there: gem5's se.py restores on
        X86AtomicSimpleCPU by default), so glibc must not pick what that CPU lacks."""
        return any(hasattr(c, "vcpu") and not c.switchedOut() for c, _t, _p in self.processes)

    def _tunables(self, env: list[bytes]) -> list[bytes]:
        """GLIBC_TUNABLES that keep glibc off instructions the reference CPU lacks
        (this host's KVM shows the host's CPUID, AVX-512 included, to ring 3)."""
        key = b"GLIBC_TUNABLES="
        for i, e in enumerate(env):
            if e.startswith(key):
                if b"glibc.cpu.hwcaps" not in e:
                    env[i] = e + b":" + GLIBC_HWCAPS.encode()
                return env
        print(
            f"info: SE: GLIBC_TUNABLES={GLIBC_HWCAPS} added to the environment: a "
            "program started on KVM may move to the reference CPU (a switch, a checkpoint "
            "restored there), which lacks AVX and other extensions a KVM host may show it",
            file=sys.stderr,
        )
        return [*env, key + GLIBC_HWCAPS.encode()]

    # -- checkpoints ----------------------------------------------------------------------------
    def serialize(self, section) -> None:
        from simobjs.se.checkpoint import serialize_kernel

        serialize_kernel(self.kernel, section)

    def unserialize(self, section) -> None:
        from simobjs.se.checkpoint import unserialize_kernel

        unserialize_kernel(self.kernel, section)

    def loadState(self, cp) -> None:
        self.unserialize(cp.section(self.name()))
