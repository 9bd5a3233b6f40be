"""The system-call table (gem5's SyscallDesc table): number -> handler.

A handler is `fn(kernel, task, a0, ..., a5) -> int` (the value for RAX, a negative
errno for an error) or `NORETURN` when it has set the thread's state itself
(exit, execve, rt_sigreturn). It may raise `simobjs.se.files.Block` to wait, or
FsError/SysError/EFault for an error. The families register themselves here.
"""

from __future__ import annotations

from collections.abc import Callable

from simobjs.se.syscalls.numbers import NUMBERS

NORETURN = object()
table: dict[int, Callable] = {}


def syscall(*names: str):
    """Register the decorated function as the handler of the calls `names`."""

    def register(fn: Callable) -> Callable:
        for name in names:
            table[NUMBERS[name]] = fn
        return fn

    return register


def load_families() -> None:
    from simobjs.se.syscalls import fs_calls, io_calls, mem_calls, proc_calls, sig_calls, sys_calls

    del fs_calls, io_calls, mem_calls, proc_calls, sig_calls, sys_calls
