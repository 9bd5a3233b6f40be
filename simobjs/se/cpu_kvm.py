"""The SE thread of the KVM CPU (X86KvmCPU).

A system call leaves the guest through the entry stub's OUT to SYSCALL_PORT. Where
SYSCALL stays in ring 3 (PVM hosts: this project's development host) the host
returns to the program itself (RIP = RCX, RFLAGS = R11); where it enters ring 0
(VMX/SVM) it leaves RIP after the OUT and the stub's SYSRETQ returns. Which one
it is shows at the first call (the CPL of the stub) and is kept; the debug flag
SyscallVerbose prints it.
"""

from __future__ import annotations

from simobjs.arch.x86.state import X86State
from simobjs.se.layout import set_user_segments, to_user_mode
from simobjs.se.thread import SeThread
from simobjs.sim import debug

MASK = 0xFFFFFFFFFFFFFFFF
ARG_REGS = ("rax", "rdi", "rsi", "rdx", "r10", "r8", "r9")


class KvmSeThread(SeThread):
    def __init__(self, cpu, kernel, tid: int = 0) -> None:
        super().__init__(cpu, kernel, tid)
        self.ring3_entry: bool | None = None  # does SYSCALL stay in ring 3 here (PVM)?

    def _probe(self, st: X86State) -> bool:
        if self.ring3_entry is None:
            self.ring3_entry = st.cpl == 3
            if debug.flags.SyscallVerbose:
                debug.dprintf(self.cpu, "SE: the system-call stub runs at CPL %d (%s)",
                              st.cpl, "SYSCALL stays in ring 3: the host returns to the "
                              "program" if st.cpl == 3 else "the stub's SYSRETQ returns")  # fmt: skip
        return self.ring3_entry

    def syscall_args(self):
        st = self.cpu.get_state(self.tid)
        self._probe(st)
        return tuple(st.reg(r) for r in ARG_REGS)

    def set_return(self, value: int) -> None:
        st = self.cpu.get_state(self.tid)
        st.set_reg("rax", value & MASK)
        if st.cpl == 3 or st.rip not in self._stub_rips():
            self._return_to_user(st)
        self.cpu.set_state(st, self.tid)

    def _stub_rips(self):
        from simobjs.se.layout import STUB_VA, SYSRET_VA

        return (STUB_VA, SYSRET_VA)

    def _return_to_user(self, st: X86State) -> None:
        from simobjs.se.layout import STUB_VA, SYSRET_VA

        if st.rip in (STUB_VA, SYSRET_VA):
            st.rip = st.reg("rcx")
            st.rflags = (st.reg("r11") & 0x3C7FD7) | 2
            set_user_segments(st)

    def restart_syscall(self, nr: int) -> None:
        st = self.user_state()
        st.rip = st.reg("rcx") - 2
        st.set_reg("rax", nr)
        self.cpu.set_state(st, self.tid)

    def user_state(self) -> X86State:
        st = self.cpu.get_state(self.tid)
        self._return_to_user(st)
        return to_user_mode(st)

    def set_user_state(self, st: X86State) -> None:
        self.cpu.set_state(st, self.tid)

    def set_segment_base(self, seg: str, base: int) -> None:
        st = self.user_state()
        st.seg[seg].base = base
        self.set_user_state(st)

    def flush(self, tlb: bool, code: bool, done: set | None = None) -> None:
        vm = self.cpu.vm
        if not tlb or vm is None or (done is not None and id(vm) in done):
            return
        vm.pageTablesChanged()
        if done is not None:
            done.add(id(vm))
