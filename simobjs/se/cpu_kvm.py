"""The SE thread of the KVM CPU (X86KvmCPU).

A system call leaves the guest through the entry stub's OUT to SYSCALL_PORT. Where
SYSCALL stays in ring 3 (PVM hosts, like this project's development host) the host
returns to the program itself (RIP = RCX, RFLAGS = R11); where it enters ring 0
(VMX/SVM) the host moves RIP past the OUT and the stub's SYSRETQ returns. Which one
it is shows at the first call (the CPL of the stub: KVM_GET_SREGS once) and is
kept; the debug flag SyscallVerbose prints it.

Arguments and results go through KVM's shared run page (KVM_CAP_SYNC_REGS): KVM
stores the general registers there at every exit and loads the ones marked dirty
at the next entry, so a plain call costs no register ioctl. Anything needing the
whole state (fork, signals, exec, a thread switch) takes the CPU's thread-context
path, with the registers staged in the run page applied on top.
"""

from __future__ import annotations

from simobjs.arch.x86.state import X86State
from simobjs.cpu.kvm.x86_state import KvmThreadState
from simobjs.se import stub
from simobjs.se.layout import STUB_VA, SYSRET_VA, to_user_mode
from simobjs.se.thread import SeThread
from simobjs.sim import debug

MASK = 0xFFFFFFFFFFFFFFFF
# struct kvm_regs order (kvm.Vcpu.sync_regs)
RAX, RCX, RDX, RSI, RDI, R8, R9, R10, R11, RIP, RFLAGS = 0, 2, 3, 4, 5, 8, 9, 10, 11, 16, 17
_NAMES = {
    RAX: "rax",
    RCX: "rcx",
    RDX: "rdx",
    RSI: "rsi",
    RDI: "rdi",
    R8: "r8",
    R9: "r9",
    R10: "r10",
    R11: "r11",
}


class KvmSeThread(SeThread):
    def __init__(self, cpu, kernel, tid: int = 0) -> None:
        super().__init__(cpu, kernel, tid)
        self.ring3_entry: bool | None = None  # does SYSCALL stay in ring 3 here (PVM)?
        self.sync_regs = False  # the CPU turned KVM_CAP_SYNC_REGS on
        self.fast = False  # the run page holds this exit's registers
        self.pending: dict[int, int] = {}  # registers staged in the run page since the exit

    # -- the exit ---------------------------------------------------------------------
    def begin_exit(self) -> None:
        """An SE stub left the guest: its registers are in the run page."""
        self.fast = self.sync_regs
        self.pending.clear()

    def after_run(self, entered: bool = True) -> None:
        """KVM ran (and took the staged registers): the run page is no longer ours. A
        vCPU that entered the guest and stopped inside the entry stub (in-run calls,
        simobjs.se.inrun) is put back to a plain user state at once."""
        self.fast = False
        self.pending.clear()
        inrun = self.kernel.inrun
        if inrun is None or not entered:
            return
        vcpu = self.cpu.vcpu
        rip = vcpu.sync_regs[RIP] if self.sync_regs else vcpu.get_regs().rip
        if stub.inside(rip, STUB_VA):
            regs = vcpu.get_regs()
            inrun.leave_stub(regs, self._probe())
            vcpu.set_regs(regs)

    def _probe(self) -> bool:
        if self.ring3_entry is None:
            cpl = self.cpu.vcpu.get_sregs().cs.dpl
            self.ring3_entry = cpl == 3
            if debug.flags.SyscallVerbose:
                debug.dprintf(
                    self.cpu,
                    "SE: the system-call stub runs at CPL %d (%s)",
                    cpl,
                    "SYSCALL stays in ring 3: the host returns to the program"
                    if cpl == 3
                    else "ring 0: the stub's SYSRETQ returns",
                )
        return self.ring3_entry

    def _write(self, index: int, value: int) -> None:
        value &= MASK
        vcpu = self.cpu.vcpu
        vcpu.sync_regs[index] = value
        self.pending[index] = value
        vcpu.mark_regs_dirty()

    # -- system calls -------------------------------------------------------------------
    def syscall_args(self):
        if not self.fast:
            st = self.user_state()
            return tuple(st.reg(r) for r in ("rax", "rdi", "rsi", "rdx", "r10", "r8", "r9"))
        q = self.cpu.vcpu.sync_regs
        if not self._probe() and q[RIP] == STUB_VA:
            self._write(RIP, SYSRET_VA)  # ring-0 stub: the OUT is done, its SYSRETQ returns
        return (q[RAX], q[RDI], q[RSI], q[RDX], q[R10], q[R8], q[R9])

    def set_return(self, value: int) -> None:
        if self.fast:
            vcpu = self.cpu.vcpu
            q = vcpu.sync_regs
            value &= MASK
            q[RAX] = value
            pending = self.pending
            pending[RAX] = value
            if self.ring3_entry:  # the host returns to the program (what SYSRETQ would do)
                q[RIP] = pending[RIP] = q[RCX]
                q[RFLAGS] = pending[RFLAGS] = (q[R11] & 0x3C7FD7) | 2
            vcpu.mark_regs_dirty()
            return
        st = self.cpu.get_state(self.tid)
        st.set_reg("rax", value & MASK)
        self.cpu.set_state(to_user_mode(st) if st.cpl == 3 else st, self.tid)

    def restart_syscall(self, nr: int) -> None:
        if self.fast and self.ring3_entry:
            q = self.cpu.vcpu.sync_regs
            self._write(RIP, q[RCX] - 2)
            self._write(RFLAGS, (q[R11] & 0x3C7FD7) | 2)
            self._write(RAX, nr)
            return
        st = self.user_state()
        st.rip -= 2
        st.set_reg("rax", nr)
        self.set_user_state(st)

    # -- full state -------------------------------------------------------------------------
    def user_state(self) -> X86State:
        st = self.cpu.get_state(self.tid)
        for index, value in self.pending.items():
            if index == RIP:
                st.rip = value
            elif index == RFLAGS:
                st.rflags = value
            else:
                st.set_reg(_NAMES[index], value)
        return to_user_mode(st)

    def set_user_state(self, st: X86State) -> None:
        self.fast = False
        self.pending.clear()
        cpu = self.cpu
        if cpu.vcpu is not None:
            cpu.vcpu.clear_regs_dirty()
            cpu._sync_for_access()
            st.tsc = cpu._state.tsc  # the time stamp counter is the CPU's: it goes on
        cpu.set_state(st, self.tid)

    def in_stub(self, rip: int) -> bool:
        """Is `rip` inside the system-call page (a thread half way through a call)?"""
        return stub.inside(rip, STUB_VA)

    def switch_out(self):
        """The thread as KVM holds it (KvmThreadState: no conversion, no register
        ioctls), where the KVM CPU can read it so (a thread preempted in its own code, or
        waiting in a call whose restart was staged in the run page); else the X86State."""
        state = self.cpu.switchOutState()
        return state if state is not None else self.user_state()

    def switch_in(self, state, context: int) -> None:
        if isinstance(state, KvmThreadState) and self.cpu.switchInState(state):
            self.fast = False
            self.pending.clear()
            return
        super().switch_in(state, context)

    def set_segment_base(self, seg: str, base: int) -> None:
        st = self.user_state()
        st.seg[seg].base = base
        self.set_user_state(st)

    def flush(self, tlb: bool, code: bool, done: set | None = None) -> None:
        vm = self.cpu.vm
        if not tlb or vm is None or vm.vm is None or (done is not None and id(vm) in done):
            return
        vm.pageTablesChanged()
        if done is not None:
            done.add(id(vm))
