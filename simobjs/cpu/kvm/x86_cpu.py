"""X86KvmCPU: x86 state, port I/O, interrupts and CPUID on top of BaseKvmCPU
(gem5's src/arch/x86/kvm/x86_cpu.cc)."""

from __future__ import annotations

import struct
import sys

from kvm import CpuidEntry, Fpu, KvmError
from kvm import exits as kx
from kvm.state import (
    REGS_RIP_AT,
    SEGMENT_DPL_AT,
    SEGMENT_SIZE,
    SREGS_CR8_AT,
    SREGS_TR_AT,
    regs_from_buffer,
    sregs_from_buffer,
)
from kvm.vcpu import SYNC_REGS, SYNC_STATE
from simobjs.arch.x86 import IO_ADDRESS_SPACE, x86IOAddress
from simobjs.arch.x86.interrupts import APIC_BASE, APIC_PAGE
from simobjs.arch.x86.serialize import serialize_thread, unserialize_thread
from simobjs.arch.x86.state import CARRIED_MSRS, GPR_NAMES, MSR_TSC, RFLAGS_IF, X86State
from simobjs.cpu.kvm.base import BaseKvmCPU, KvmStatus
from simobjs.cpu.kvm.dump import format_dump
from simobjs.cpu.kvm.host import notice
from simobjs.cpu.kvm.x86_state import (
    KvmThreadState,
    KvmX86State,
    VcpuEvents,
    from_x86_state,
    normalize_for_kvm,
    to_x86_state,
)
from simobjs.errors import ConfigError, Problem, SimulationError
from simobjs.mem.packet import MemCmd, Packet
from simobjs.sim import debug
from simobjs.sim.model import Params
from simobjs.sim.pseudo_inst import m5op_func, pseudo_inst

IO_PCI_CONF_ADDR = 0xCF8
IO_PCI_CONF_DATA_BASE = 0xCFC
PCI_CONFIG_SPACE = 0xC000000000000000
TSS_ADDRESS = 0xFFFBD000  # gem5's choice: three pages below the m5ops page
DRAIN_RUN_TICKS = 10**9  # kvmRunDrain runs at most 1 ms to open an IRQ window
_U64 = struct.Struct("<Q")
_TR = slice(SREGS_TR_AT, SREGS_TR_AT + SEGMENT_SIZE)
APIC_END = APIC_BASE + APIC_PAGE
SE_PORTS = (0x5E, 0x5F)  # simobjs.se.layout: SYSCALL_PORT, FAULT_PORT


class X86KvmCPU(BaseKvmCPU):
    """An x86-64 CPU running on KVM. Its thread context is an X86State kept in
    sync with KVM lazily, through the seed's two dirty flags."""

    def __init__(self, params: Params):
        super().__init__(params)
        self.useXSave = params.useXSave
        self._state = X86State()
        self._template: KvmX86State | None = None
        self._msrs: list[int] = []
        self._has_xcrs = False
        self._has_events = False
        self._set_events = False
        self.pciConfigAddress = 0
        self._state_written = False  # the state was written after the last KVM_RUN
        # this hardware context's TR (raw kvm_segment), known once an SE thread left this
        # vCPU (switchOutState): only then does the vCPU hold a whole SE state (MSRs,
        # control registers) that a thread written straight into KVM can run on
        self._context_tr: bytes | None = None
        self._window_requested = False  # what kvm_run.request_interrupt_window holds
        # useXSave=False: KVM_GET_FPU reports MXCSR as 0 and KVM_SET_FPU leaves it and the
        # XSAVE header alone, so where the host has KVM_GET/SET_XSAVE the x87/SSE state
        # (that part only) goes through them instead (see updateKvmState)
        self._fpu_by_xsave = False

    # -- lifecycle -------------------------------------------------------------------
    def startup(self) -> None:
        super().startup()
        kvm = self.vm.kvm
        missing = [c for c in ("ext_cpuid",) if not kvm.check_extension(c)]
        if missing:
            raise ConfigError(
                Problem(self.name(), f"KVM: Missing capability {', '.join(missing).upper()}")
            )
        if self.useXSave and not kvm.check_extension("xsave"):
            print(
                "warn: KVM: XSAVE not supported by host. Falling back to the FPU interface.",
                file=sys.stderr,
            )
            self.useXSave = False
        if not self.useXSave:
            self._fpu_by_xsave = bool(kvm.check_extension("xsave"))
            if not self._fpu_by_xsave:
                notice(
                    "fpu-mxcsr",
                    "warn: KVM: the FPU interface does not carry MXCSR and this host has no "
                    "XSAVE interface: MXCSR is not kept across CPU switches and checkpoints",
                )
        self._has_xcrs = bool(kvm.check_extension("xcrs"))
        self._has_events = bool(kvm.check_extension("vcpu_events"))
        self._set_events = self._has_events
        if kvm.check_extension("set_tss_addr") and not getattr(self.vm, "_tss_set", False):
            try:
                self.vm.setTSSAddress(TSS_ADDRESS)
                self.vm._tss_set = True
            except KvmError as e:
                notice("tss", f"warn: KVM: cannot set the TSS address: {e}")
        supported = set(kvm.msr_index_list())
        self._msrs = [m for m in (MSR_TSC, *CARRIED_MSRS) if m in supported]
        self.vcpu.set_cpuid(self.cpuidTable())
        synced = kvm.check_extension("sync_regs")
        if synced & SYNC_REGS:
            # KVM leaves the registers in kvm_run at every exit: SE calls read and write
            # them there, and a state read after an exit takes them (and the special
            # registers and events, where synced too) without an ioctl
            self.vcpu.enable_sync_regs(synced & SYNC_STATE)
            if self.se is not None:
                self.se.sync_regs = True
        self._template = self._read_kvm()
        self._kvm_state_known = True
        if self.threadContextDirty and self._state_is_reset():
            # Nobody has set the thread's state: keep KVM's reset state.
            self._state = to_x86_state(self._template)
            self.threadContextDirty = False

    def _state_is_reset(self) -> bool:
        return self._state == X86State()

    def cpuidTable(self) -> list:
        """Host-supported CPUID, masked to what the reference CPU implements when
        this system can switch to one."""
        entries = self.vm.kvm.supported_cpuid()
        if self._has_reference_cpu():
            from simobjs.arch.x86.cpuid import reference_compatible_cpuid

            entries = [CpuidEntry(*e) for e in reference_compatible_cpuid(entries)]
        return entries

    def _has_reference_cpu(self) -> bool:
        order = getattr(self.sim, "order", None) or []
        return any(
            type(m).__name__ == "X86AtomicSimpleCPU" and getattr(m, "system", None) is self.system
            for m in order
        )

    # -- KVM <-> thread context ---------------------------------------------------------
    def _read_kvm(self) -> KvmX86State:
        v = self.vcpu
        synced = v.synced_state()  # what KVM left in kvm_run at the exit: no ioctls
        if synced is not None:
            regs, sregs, events = synced
        else:
            regs, sregs = v.get_regs(), v.get_sregs()
            events = v.get_vcpu_events() if self._has_events else None
        if self.useXSave:
            xsave = v.get_xsave()
        elif self._fpu_by_xsave:
            xsave = _legacy_region(v.get_xsave())
        else:
            xsave = _xsave_from_fpu(v.get_fpu())
        return KvmX86State(
            regs,
            sregs,
            xsave,
            v.get_msrs(self._msrs) if self._msrs else {},
            v.get_xcrs() if self._has_xcrs else {},
            VcpuEvents.decode(events) if self._has_events else None,
        )

    def updateThreadContext(self) -> None:
        if debug.flags.KvmContext:
            debug.dprintf(self, "X86KvmCPU::updateThreadContext")
        self._template = k = self._read_kvm()
        self._kvm_state_known = True
        self._state = to_x86_state(k)

    def updateKvmState(self) -> None:
        if debug.flags.KvmContext:
            debug.dprintf(self, "X86KvmCPU::updateKvmState")
        v = self.vcpu
        self._state_written = True
        v.clear_regs_dirty()  # registers staged in kvm_run (SE mode) must not override these
        held = self._template
        k = from_x86_state(self._state, held)
        # What KVM holds already is not written again (each write is an ioctl, tens of
        # microseconds on some hosts: an SE thread switch changes the registers, the
        # FPU and a segment base, not the control registers or the MSRs). Only while
        # the template is what KVM holds: read since the last run, or written here.
        known = held if self._kvm_state_known else None
        sregs = normalize_for_kvm(k.sregs)
        if known is not None and sregs.cs.dpl == known.sregs.cs.dpl and v.can_stage():
            # The same CPL (an SE thread switch, a register write): the registers go
            # through kvm_run, loaded by the next KVM_RUN, without the two ioctls.
            if sregs != known.sregs:
                v.stage_sregs(sregs)
            v.stage_regs(k.regs)
        else:
            # Segments first: PVM recomputes RFLAGS.IOPL when the CPL changes, so
            # KVM_SET_REGS must come after KVM_SET_SREGS (KVM loads the registers it
            # syncs in the other order).
            if known is None or sregs != known.sregs:
                v.set_sregs(sregs)
            v.set_regs(k.regs)
        v.cr8 = k.sregs.cr8  # KVM loads CR8 from kvm_run on every entry (user-space APIC)
        if self.useXSave:
            v.set_xsave(k.xsave)
        elif self._fpu_by_xsave:
            # KVM_SET_FPU would write the legacy region but neither MXCSR nor the XSAVE
            # header: registers of a component the header marks as in its init state
            # (XSAVEOPT leaves SSE so after a while without it) would be reset when the
            # host restores them. The region through KVM_SET_XSAVE, its bits set.
            xsave = v.get_xsave()
            xsave.raw[:_LEGACY_END] = self._state.to_fxsave()[:_LEGACY_END]
            xsave.xstate_bv |= _X87_SSE
            v.set_xsave(xsave)
        else:
            v.set_fpu(_fpu_from_state(self._state))
        msrs = {m: k.msrs[m] for m in self._msrs if m in k.msrs}
        old = held.msrs if held is not None else {}
        if msrs.get(MSR_TSC) == old.get(MSR_TSC):
            msrs.pop(MSR_TSC, None)  # rewriting an unchanged TSC would only make it jump back
        if known is not None:
            msrs = {m: value for m, value in msrs.items() if known.msrs.get(m) != value}
        if msrs:
            self._set_msrs(msrs)
        xcrs = k.xcrs if self._has_xcrs else {}
        if xcrs and (known is None or xcrs != known.xcrs):
            v.set_xcrs(xcrs)
        events = k.events.encode() if k.events is not None else None
        held_events = held.events if held is not None else None
        if events is not None and (held_events is None or events != held_events.encode()):
            self._write_events(events)
        if known is not None:
            k.sregs = sregs
            k.msrs = {**known.msrs, **msrs}
            self._template, self._kvm_state_known = k, True

    def _write_events(self, events: bytes) -> None:
        if not self._set_events:
            return
        try:
            self.vcpu.set_vcpu_events(events)
        except KvmError as e:
            # PVM refuses KVM_SET_VCPU_EVENTS whatever it is given: carry on without it
            self._set_events = False
            notice(
                "events",
                "warn: KVM: this host refuses KVM_SET_VCPU_EVENTS (PVM hosts "
                f"do: {e}); the thread's interrupt shadow, pending exception or NMI "
                "was not written into KVM",
            )

    # -- SE thread switches straight from and into KVM -----------------------------------
    def switchOutState(self) -> KvmThreadState | None:
        """The running SE thread's state as KVM holds it, read the cheap way: registers,
        segments and events as KVM left them in kvm_run at the exit, the XSAVE area by
        ioctl; MSRs and XCRs as last read or written (an SE program cannot change them:
        the TSC runs on, the CPU's, and LSTAR and the TSS belong to the hardware
        context). None where that copy is not the state: I/O to complete, a newer
        thread context not written yet, a write since the exit, a thread inside the
        system-call page."""
        v = self.vcpu
        held = self._template
        if (
            v is None
            or held is None
            or not self.useXSave
            or self._status not in (KvmStatus.Running, KvmStatus.RunningServiceCompletion)
            or self.threadContextDirty
        ):
            return None
        raw = v.synced_raw()  # (with registers the SE kernel staged since: a call's restart)
        if raw is None:
            return None
        regs, sregs, events = raw
        if self.se is not None and self.se.in_stub(_U64.unpack_from(regs, REGS_RIP_AT)[0]):
            return None
        self._context_tr = sregs[_TR]
        return KvmThreadState(
            regs,
            sregs,
            events if self._has_events else None,
            v.get_xsave(),
            held.msrs,
            held.xcrs,
        )

    def switchInState(self, t: KvmThreadState) -> bool:
        """Write a thread's state from switchOutState (of any KVM CPU) into this vCPU,
        keeping what belongs to this hardware context (its TSS, its MSRs) and the
        running TSC; False (nothing written) where this CPU cannot take it so."""
        v = self.vcpu
        tr = self._context_tr
        if v is None or tr is None or not self.useXSave:
            return False
        if not self._in_service:
            self.completePendingIO()
            if self._status not in (KvmStatus.Running, KvmStatus.Idle):
                return False
        elif self._status != KvmStatus.RunningServiceCompletion:
            return False
        # (inside a system call's exit: KVM completes that OUT at the next entry only if
        # RIP is still at it, and the staged registers are loaded before)
        raw = v.synced_raw()
        cpl = raw[1][SEGMENT_DPL_AT] if raw is not None else v.get_sregs().cs.dpl
        sregs = bytearray(t.sregs)
        sregs[_TR] = tr  # this context's TSS
        v.clear_regs_dirty()
        if t.cpl == cpl and v.can_stage():
            v.stage_raw(t.regs, sregs)
        else:  # (special registers first: see updateKvmState)
            v.set_sregs(sregs_from_buffer(sregs))
            v.set_regs(regs_from_buffer(t.regs))
        v.cr8 = _U64.unpack_from(sregs, SREGS_CR8_AT)[0]
        v.set_xsave(t.xsave)
        if t.events is not None and (raw is None or t.events != raw[2]):
            self._write_events(t.events)
        # The thread context is now older than KVM's state: read before it is used.
        self.kvmStateDirty = True
        self.threadContextDirty = False
        self._kvm_state_known = False
        self._state_written = True
        return True

    def _set_msrs(self, msrs: dict[int, int]) -> None:
        try:
            self.vcpu.set_msrs(msrs)
        except KvmError:
            for index, value in msrs.items():
                try:
                    self.vcpu.set_msrs({index: value})
                except KvmError as e:
                    notice(f"msr{index:#x}", f"warn: KVM: MSR {index:#x} not restored: {e}")

    def get_state(self, tid: int = 0) -> X86State:
        self._sync_for_access()
        return self._state.copy()

    def set_state(self, state: X86State, tid: int = 0) -> None:
        self._sync_for_access()
        self._state = state.copy()
        self.kvmStateDirty = False
        self.threadContextDirty = True

    def read_reg(self, name: str, tid: int = 0) -> int:
        self._sync_for_access()
        if name in GPR_NAMES:
            return self._state.reg(name)
        return getattr(self._state, name)

    def write_reg(self, name: str, value: int, tid: int = 0) -> None:
        self._sync_for_access()
        if name in GPR_NAMES:
            self._state.set_reg(name, value)
        else:
            setattr(self._state, name, value & 0xFFFFFFFFFFFFFFFF)
        self.threadContextDirty = True

    def _sync_for_access(self) -> None:
        if self.vcpu is None:
            return
        self.completePendingIO()
        self.syncThreadContext()

    # -- running -----------------------------------------------------------------------
    def kvmRun(self, ticks: int) -> int:
        if ticks:
            if self.se is not None and self.se.kernel.attention.get(self.se.context):
                self._se_before_run()
                if self._status == KvmStatus.Idle:
                    return 0
                ticks = self._ticks_to_next_event(ticks)  # (it may have set a timer)
            self._offer_interrupt()
            if self._status == KvmStatus.Idle:
                return 0
        executed = super().kvmRun(ticks)
        self._after_run(ticks)
        return executed

    def _ticks_to_next_event(self, ticks: int) -> int:
        """`ticks`, or fewer if an event now comes due sooner (one the SE kernel just
        scheduled: the running thread's time slice, a timer); other KVM CPUs' ticks on
        this queue aside, as in the run's first bound."""
        eventq = self.eventq
        siblings = self._kvm_siblings
        due = eventq.nextTickExcept(siblings) if siblings else eventq.nextTick()
        return max(min(ticks, due - eventq.now), 1)

    def _after_run(self, ticks: int) -> None:
        self._state_written = False  # kvm_run describes this exit now
        if self.se is not None:
            self.se.after_run(bool(ticks))

    def kvmRunDrain(self) -> int:
        if not self.archIsDrained():
            self.vcpu.request_interrupt_window = self._window_requested = True
            executed = BaseKvmCPU.kvmRun(self, DRAIN_RUN_TICKS)
            self._after_run(DRAIN_RUN_TICKS)
            return executed
        return BaseKvmCPU.kvmRun(self, 0)

    def _offer_interrupt(self) -> None:
        """Inject what the interrupt controller has, or ask KVM for an interrupt window."""
        lapic = self.interrupts
        vcpu = self.vcpu
        if self.initSipiDue():
            if self.serviceInitSipi():
                return  # waiting for a startup IPI: suspended
            if self.threadContextDirty:
                self.syncKvmState()  # a startup IPI set the state
        if lapic is None or not lapic.checkInterrupts():
            if self._window_requested:
                vcpu.request_interrupt_window = self._window_requested = False
            return
        if lapic.hasPendingNmi():
            lapic.getInterrupt()  # the NMI is taken whatever RFLAGS.IF says
            self.numInterrupts += 1
            vcpu.nmi()
        elif self._can_inject():
            self.deliverInterrupts()
        else:
            vcpu.request_interrupt_window = self._window_requested = True

    def _can_inject(self) -> bool:
        """May an interrupt be injected now? After a KVM_RUN, KVM says so in kvm_run; after
        the state was written (a CPU switch, a restore) kvm_run still describes an older
        exit, so the state decides. (Waiting for an interrupt window instead is not safe:
        where KVM reports the window late, as PVM does for emulated ring-0 code, a guest
        woken after `sti; hlt` runs on into `cli` and misses the interrupt.)"""
        if self._state_written:
            self.syncThreadContext()  # (written straight into KVM by an SE thread switch)
            st = self._state
            return bool(st.rflags & RFLAGS_IF) and not st.interrupt_shadow
        return self.vcpu.ready_for_interrupt_injection

    def deliverInterrupts(self) -> None:
        """Take the highest interrupt from the controller (INTA) and inject its vector."""
        lapic = self.interrupts
        vector = _vector_of(lapic.getInterrupt())
        update = getattr(lapic, "updateIntrInfo", None)
        if update is not None:
            update()
        if vector is None:
            raise SimulationError("KVM: the interrupt controller gave no vector", self.name())
        if debug.flags.KvmInt:
            debug.dprintf(self, "Delivering interrupt: %#x", vector)
        self.numInterrupts += 1
        self.vcpu.interrupt(vector)

    def interruptPendingAtHalt(self) -> bool:
        lapic = self.interrupts
        if lapic is None or not lapic.checkInterrupts():
            return False
        return lapic.hasPendingNmi() or self.vcpu.ready_for_interrupt_injection

    def handleKvmExitIRQWindowOpen(self) -> int:
        return 0  # caught by the next kvmRun's interrupt check

    def archIsDrained(self) -> bool:
        if self.vcpu is None or not self._has_events:
            return True
        return not VcpuEvents.decode(self.vcpu.get_vcpu_events()).pending_anything()

    # -- I/O -----------------------------------------------------------------------------
    def ioAddress(self, port: int) -> int:
        return x86IOAddress(port)

    def handleKvmExitIO(self, e: kx.IoExit) -> int:
        port, size = e.port, e.size
        if self.se is not None and port in SE_PORTS:
            return self._se_exit(port)
        write = e.data is not None  # an OUT carries its bytes, an IN has none yet
        if debug.flags.KvmIO:
            debug.dprintf(
                self,
                "KVM-x86: Handling IO instruction (%s) (port: %#x)",
                "out" if write else "in",
                port,
            )
        if port == IO_PCI_CONF_ADDR and size == 4:
            if write:
                self.pciConfigAddress = int.from_bytes(e.data[:4], "little")
            else:
                self.vcpu.complete_io_in(self.pciConfigAddress.to_bytes(4, "little") * e.count)
            return 0
        addr = IO_ADDRESS_SPACE | port
        if (
            IO_PCI_CONF_DATA_BASE <= port < IO_PCI_CONF_DATA_BASE + 4
            and self.pciConfigAddress >> 31
        ):
            addr = (
                PCI_CONFIG_SPACE
                | (self.pciConfigAddress & 0x7FFFFFFC)
                | (port - IO_PCI_CONF_DATA_BASE)
            )
        cmd = MemCmd.WriteReq if write else MemCmd.ReadReq
        send = self.dataPort.sendAtomic
        if e.count == 1:  # not a string instruction: one packet
            pkt = Packet(cmd, addr, size, e.data if write else None, self._name)
            delay = send(pkt)
            if not write:
                self.vcpu.complete_io_in(bytes(pkt.data))
            return delay
        delay = 0
        data_in = bytearray()
        for i in range(e.count):
            chunk = e.data[i * size : (i + 1) * size] if write else None
            pkt = Packet(cmd, addr, size, chunk, self.name())
            delay += send(pkt)
            if not write:
                data_in += pkt.data
        if not write:
            self.vcpu.complete_io_in(bytes(data_in))
        return delay

    def _access(self, addr: int, data, size: int, write: bool, pending: bool) -> int:
        if APIC_BASE <= addr < APIC_END and self.interrupts is not None:
            # this CPU's local APIC (gem5's TLB sends the page to the context's APIC)
            lapic = self.interrupts
            if write:
                lapic.access(addr - APIC_BASE, size, True, int.from_bytes(data[:size], "little"))
            else:
                value = lapic.access(addr - APIC_BASE, size, False)
                if pending:
                    self.vcpu.complete_mmio_read(value.to_bytes(size, "little"))
            return lapic.pio_latency
        func = m5op_func(addr, self.system.m5ops_base)
        if func is not None:
            return self._m5op(func, size, write, pending)
        pkt = Packet(
            MemCmd.WriteReq if write else MemCmd.ReadReq,
            addr,
            size,
            data if write else None,
            self.name(),
        )
        delay = self.dataPort.sendAtomic(pkt)
        if pending and not write:
            self.vcpu.complete_mmio_read(bytes(pkt.data))
        return delay

    def _m5op(self, func: int, size: int, write: bool, pending: bool) -> int:
        if debug.flags.M5Ops:
            debug.dprintf(self, "m5op %#x (%s)", func, "write" if write else "read")
        if write or not pending:
            # The result goes to RAX: finish the store instruction first, then set it.
            if pending:
                self._in_service = False
                self.completePendingIO()
            result = pseudo_inst(self.thread, func)
            if result is not None:
                self.write_reg("rax", int(result))
        else:
            result = pseudo_inst(self.thread, func)
            value = int(result or 0) & ((1 << (8 * size)) - 1)
            self.vcpu.complete_mmio_read(value.to_bytes(size, "little"))
        return self.clockPeriod()

    # -- SE mode (simobjs.se): the SE workload sets `se` (an SeThread) ---------------------
    se = None

    def lockstepReady(self) -> bool:
        se = self.se
        if se is not None and se.kernel.attention.get(se.context):
            return False  # the kernel acts first (a signal, a thread switch)
        return super().lockstepReady()

    def _se_exit(self, port: int) -> int:
        """The SE entry stub (system call) or a fault stub left the guest."""
        se = self.se
        se.begin_exit()
        if port == SE_PORTS[0]:
            se.kernel.syscall(se)
        else:
            se.kernel.fault(se)
        return 0

    def _se_before_run(self) -> None:
        """Signals or another thread are due: the kernel acts before the guest runs."""
        self.se.kernel.before_run(self.se)
        if self.threadContextDirty and self._status != KvmStatus.Idle:
            self.syncKvmState()

    # -- dumps, faults, checkpoints -------------------------------------------------------
    def dump(self) -> str:
        st = self._fresh_state()
        return format_dump(st, self._read_phys, f"KVM vCPU {self.vcpuID} of {self.name()}:")

    def _fresh_state(self) -> X86State:
        if self.vcpu is not None:
            return to_x86_state(self._read_kvm())
        return self._state

    def _read_phys(self, addr: int, length: int) -> bytes:
        return self.system.guest_ram_at(addr, length).read(addr, length)

    def faultRip(self) -> int | None:
        try:
            return self._fresh_state().rip
        except Exception:  # noqa: BLE001 - no RIP is better than a second error
            return None

    def dumpIntRegs(self) -> str:
        st = self._fresh_state()
        return "\n".join(f"{n}: {st.reg(n):#x}" for n in GPR_NAMES) + f"\nrip: {st.rip:#x}"

    def serializeThread(self, section, tid: int) -> None:
        """Write the thread (drained, so no I/O is pending) in gem5's x86 layout."""
        self._check_idle("serializeThread")
        if debug.flags.Checkpoint:
            debug.dprintf(self, "KVM: Serializing thread %d:\n%s", tid, self.dump())
        serialize_thread(self.get_state(tid), section, self._isa_section(section))

    def unserializeThread(self, section, tid: int) -> None:
        self._check_idle("unserializeThread")
        self._state = unserialize_thread(section, self._isa_section(section))
        self.kvmStateDirty = False
        self.threadContextDirty = True

    def _isa_section(self, section):
        return section.cp.section(f"{self.name()}.isa")


def _vector_of(intr) -> int | None:
    if isinstance(intr, int):
        return intr
    vector = getattr(intr, "vector", None)
    if vector is None and hasattr(intr, "getVector"):
        vector = intr.getVector()
    return None if vector is None else int(vector)


_LEGACY_END = 416  # the FXSAVE image's x87, MXCSR and XMM part (the rest is reserved)
_X87_SSE = 0x3  # XSTATE_BV bits of the x87 and SSE components


def _legacy_region(full):
    """An XSAVE image holding only the x87/SSE part of `full` (what the FPU interface
    carries: the rest of the thread context keeps its own values)."""
    from kvm import Xsave

    raw = bytearray(Xsave.SIZE)
    raw[:_LEGACY_END] = full.raw[:_LEGACY_END]
    return Xsave(raw)


def _xsave_from_fpu(f: Fpu):
    """An XSAVE image holding KVM_GET_FPU's state (legacy region only)."""
    from kvm import Xsave

    st = X86State()
    st.fcw, st.fsw, st.ftw, st.fop, st.fip, st.fdp, st.mxcsr = (
        f.fcw,
        f.fsw,
        f.ftwx,
        f.last_opcode,
        f.last_ip,
        f.last_dp,
        f.mxcsr,
    )
    st.st = [bytes(r[:10]) for r in f.fpr]
    st.xmm = [bytes(x) for x in f.xmm]
    raw = bytearray(Xsave.SIZE)
    raw[:512] = st.to_fxsave()
    return Xsave(raw)


def _fpu_from_state(st: X86State) -> Fpu:
    return Fpu(
        fpr=[bytes(r).ljust(16, b"\0") for r in st.st],
        fcw=st.fcw,
        fsw=st.fsw,
        ftwx=st.ftw,
        last_opcode=st.fop,
        last_ip=st.fip,
        last_dp=st.fdp,
        xmm=list(st.xmm),
        mxcsr=st.mxcsr,
    )
