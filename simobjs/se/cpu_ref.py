"""The SE thread of the reference CPU (X86AtomicSimpleCPU and what builds on it).

SYSCALL stops the engine (`ReferenceEngine.syscall_exits`) right after the
instruction, with RIP already past it; the CPU then does what the hardware and
the kernel entry would (RCX = RIP, R11 = RFLAGS) and hands the call to the
kernel. Faults reach the kernel through the guest IDT like on KVM.
"""

from __future__ import annotations

from unicorn import x86_const as X
from unicorn.unicorn_const import UC_CTL_IO_WRITE, UC_CTL_TLB_FLUSH

from simobjs.arch.x86.state import X86State
from simobjs.se.layout import STUB_VA, SYSRET_VA, to_user_mode
from simobjs.se.thread import SeThread

_ARGS = [
    X.UC_X86_REG_RAX,
    X.UC_X86_REG_RDI,
    X.UC_X86_REG_RSI,
    X.UC_X86_REG_RDX,
    X.UC_X86_REG_R10,
    X.UC_X86_REG_R8,
    X.UC_X86_REG_R9,
]
_BASES = {"fs": X.UC_X86_REG_FS_BASE, "gs": X.UC_X86_REG_GS_BASE}
MASK = 0xFFFFFFFFFFFFFFFF


class RefSeThread(SeThread):
    lacks_avx = True  # Unicorn's x86 has no AVX (see simobjs.se.faults)

    def _uc(self):
        return self.cpu._engine().uc

    def enter_syscall(self) -> None:
        """What SYSCALL itself does to registers (the engine only stopped)."""
        uc = self._uc()
        uc.reg_write(X.UC_X86_REG_RCX, uc.reg_read(X.UC_X86_REG_RIP))
        uc.reg_write(X.UC_X86_REG_R11, uc.reg_read(X.UC_X86_REG_EFLAGS))

    def syscall_args(self):
        return tuple(self._uc().reg_read_batch(_ARGS))

    def set_return(self, value: int) -> None:
        uc = self._uc()
        uc.reg_write(X.UC_X86_REG_RAX, value & MASK)
        if uc.reg_read(X.UC_X86_REG_RIP) in (STUB_VA, SYSRET_VA):  # came in through the stub
            self.set_user_state(self.user_state())

    def restart_syscall(self, nr: int) -> None:
        uc = self._uc()
        if uc.reg_read(X.UC_X86_REG_RIP) in (STUB_VA, SYSRET_VA):  # came in through the stub
            self.set_user_state(self.user_state())
        uc.reg_write(X.UC_X86_REG_RIP, uc.reg_read(X.UC_X86_REG_RCX) - 2)
        uc.reg_write(X.UC_X86_REG_RAX, nr)

    def user_state(self) -> X86State:
        return to_user_mode(self.cpu.get_state(self.tid))

    def set_user_state(self, st: X86State) -> None:
        cpu = self.cpu
        eng = cpu.engine
        # the time stamp counter is the CPU's: it goes on (a switched-out thread's is old)
        st.tsc = eng.carry.tsc if eng is not None else cpu._state.tsc
        cpu.set_state(st, self.tid)

    def set_segment_base(self, seg: str, base: int) -> None:
        st = self.user_state()
        st.seg[seg].base = base
        self.set_user_state(st)

    def flush(self, tlb: bool, code: bool, done: set | None = None) -> None:
        eng = self.cpu.engine
        if eng is None:
            return
        if tlb:
            eng.uc.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE)
        if code:
            eng.uc.ctl_flush_tb()
