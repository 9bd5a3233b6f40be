"""Guest speed against the length of each KVM_RUN: a busy loop at CPL 3 run in
timer-bounded runs of 0.2 to 20 ms, and the same loop natively on the host in slices
of the same lengths (a system call between slices), side by side in one process.
Prints loop iterations per microsecond of the thread's CPU time and each row's ratio
to the longest runs.

    python bench/kvm_run_length.py [--total-ms N]

Why it matters: every quantum barrier, every exit ends a run. Where a guest runs
slower for a while after each entry (on this project's PVM host, ~30% slower in 1 ms
runs than in 10 ms runs, while the native loop does not care), a 1 ms sim_quantum
costs guest time of its own, beyond the exits' cost; the quanta in C therefore let
all vCPUs but one run past each meet without leaving KVM_RUN (docs/internals.md,
"Carried past a meet").
"""

from __future__ import annotations

import argparse
import ctypes
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

LENGTHS_MS = (0.2, 0.5, 1, 2, 5, 10, 20)
NATIVE_C = r"""
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
static long long cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}
/* Slices of `ns` of CPU time, a system call between them, for `total` ns; the
   loop's iterations per microsecond. */
double slices(long long ns, long long total)
{
    long long its = 0, used = 0;
    while (used < total) {
        long long t0 = cpu_ns(), t;
        do {
            for (int j = 0; j < 4096; j++)
                __asm__ volatile("add $1, %%rax" ::: "rax");
            its += 4096;
            t = cpu_ns();
        } while (t - t0 < ns);
        used += t - t0;
        syscall(SYS_getppid);
    }
    return its / (used / 1e3);
}
"""


def native_loop():
    """The native slicer (built with the system gcc)."""
    tmp = Path(tempfile.mkdtemp())
    (tmp / "slices.c").write_text(NATIVE_C)
    lib = tmp / "slices.so"
    subprocess.run(
        ["gcc", "-O2", "-shared", "-fPIC", "-o", str(lib), str(tmp / "slices.c")], check=True
    )
    so = ctypes.CDLL(str(lib))
    so.slices.restype = ctypes.c_double
    so.slices.argtypes = (ctypes.c_longlong, ctypes.c_longlong)
    return so.slices


def guest_runs():
    """A function (run length ns, total ns) -> guest loop iterations per us of KVM_RUN
    CPU time, for a vCPU running `add $1, %rax; jmp` at CPL 3."""
    from kvm.system import Kvm
    from kvm.timers import PosixKvmTimer, install_kick_handler
    from simobjs.guest.snippets import Guest, assemble

    install_kick_handler()
    kvm = Kvm()
    guest = Guest(assemble("1: add $1, %rax\n jmp 1b\n"), cpl=3, kvm=kvm)
    timer = PosixKvmTimer()
    timer.attach(guest.vcpu)
    v = guest.vcpu

    def measure(ns: int, total: int) -> float:
        start, used = v.get_regs().rax, 0
        while used < total:
            timer.run(v, ns)
            used += v.run_cpu_ns
        return (v.get_regs().rax - start) / (used / 1e3)

    measure.keep = (kvm, guest, timer)  # (the VM lives as long as the function)
    return measure


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--total-ms", type=float, default=200, help="CPU time per sample")
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    total = int(args.total_ms * 1e6)
    native, guest = native_loop(), guest_runs()
    rows: dict[float, tuple[list, list]] = {ms: ([], []) for ms in LENGTHS_MS}
    for _ in range(args.repeats):  # interleaved: host noise hits every row alike
        for ms in LENGTHS_MS:
            rows[ms][0].append(guest(int(ms * 1e6), total))
            rows[ms][1].append(native(int(ms * 1e6), total))
    longest = LENGTHS_MS[-1]
    g_ref = statistics.median(rows[longest][0])
    n_ref = statistics.median(rows[longest][1])
    print(f"busy loop, iterations per us of CPU time; median of {args.repeats}, ", end="")
    print(f"{args.total_ms:g} ms of CPU per sample ({time.strftime('%H:%M:%S')})")
    print(f"{'run/slice':>10}  {'KVM guest':>10} {'vs 20 ms':>8}   {'native':>10} {'vs 20 ms':>8}")
    for ms in LENGTHS_MS:
        g = statistics.median(rows[ms][0])
        n = statistics.median(rows[ms][1])
        print(f"{ms:>8g} ms  {g:10.1f} {g / g_ref:8.2f}   {n:10.1f} {n / n_ref:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
