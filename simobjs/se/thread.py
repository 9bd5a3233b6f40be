"""What the SE kernel needs from a CPU's hardware thread (the small thread-context
interface of the design notes), and its two implementations' shared part.

A CPU running SE code owns one `SeThread` per hardware context (`cpu.se`); the
kernel reaches the one of context `n` through `system.threads[n].cpu.se`, so a CPU
switch changes nothing for it. System-call arguments and results go through the
cheapest register path of the CPU; anything else (fork, signals, exec, a task
switch) through the full state, always in user mode (`layout.to_user_mode`).
"""

from __future__ import annotations

from simobjs.arch.x86.state import X86State


class SeThread:
    """Base: the kernel-facing methods every CPU implements."""

    def __init__(self, cpu, kernel, tid: int = 0) -> None:
        self.cpu = cpu
        self.kernel = kernel
        self.tid = tid
        self._context: int | None = None

    @property
    def tc(self):
        return self.cpu.threads[self.tid]

    @property
    def context(self) -> int:
        """The hardware context id (a switch CPU takes over the same ids)."""
        ctx = self._context
        if ctx is None or ctx < 0:
            ctx = self._context = self.cpu.threads[self.tid].contextId()
        return ctx

    # -- system calls ------------------------------------------------------------------
    def syscall_args(self) -> tuple[int, int, int, int, int, int, int]:
        """(number, arg0 ... arg5): RAX, RDI, RSI, RDX, R10, R8, R9."""
        raise NotImplementedError

    def set_return(self, value: int) -> None:
        """RAX = value and back to the instruction after the SYSCALL."""
        raise NotImplementedError

    def restart_syscall(self, nr: int) -> None:
        """Back to the SYSCALL instruction itself, RAX = nr (it runs again)."""
        raise NotImplementedError

    # -- full state ------------------------------------------------------------------------
    def user_state(self) -> X86State:
        raise NotImplementedError

    def set_user_state(self, st: X86State) -> None:
        raise NotImplementedError

    def switch_out(self):
        """The running thread's state as it leaves the CPU for another thread: an
        X86State, or what this CPU keeps instead (anything with to_x86_state())."""
        return self.user_state()

    def switch_in(self, state, context: int) -> None:
        """A thread's state from switch_out (of any CPU) onto this CPU, which runs
        hardware context `context`."""
        from simobjs.se.layout import on_context

        st = as_x86_state(state)
        on_context(st, context)
        self.set_user_state(st)

    def fault_frame(self) -> tuple[int, int, int, int, int, int, int]:
        """(vector, error code, rip, cs, rflags, rsp, ss) pushed by a fault stub."""
        st = self.cpu.get_state(self.tid)
        rsp = st.reg("rsp")
        raw = self.kernel.read_kernel(rsp, 7 * 8)
        return tuple(int.from_bytes(raw[i : i + 8], "little") for i in range(0, 56, 8))

    def cr2(self) -> int:
        return self.cpu.get_state(self.tid).cr2

    # -- translations and activity -------------------------------------------------------
    def flush(self, tlb: bool, code: bool) -> None:
        """Page tables (tlb) or code pages (code) changed under the CPU."""

    def suspend(self) -> None:
        self.tc.suspend()

    def activate(self) -> None:
        self.tc.activate()

    def halt(self) -> None:
        self.tc.halt()

    def is_active(self) -> bool:
        from simobjs.cpu.base import Status

        return self.tc.status() == Status.Active


def as_x86_state(state) -> X86State:
    """A switched-out thread's state (SeThread.switch_out) as an X86State."""
    return state if isinstance(state, X86State) else state.to_x86_state()
