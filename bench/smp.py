"""SMP scaling of KVM CPUs on event queues of their own, side by side in one run:

- a compute-bound 4-thread SE program (simobjs/guest/se/smp.c: phases of
  arithmetic, a mutex, a condition variable and a barrier per phase) with 1, 2 and 4
  KVM CPUs, each CPU on an event queue (host thread) of its own, the queues in
  lockstep by Root.sim_quantum; host wall clock of simulate() (instantiation not
  counted) and the speed-up over 1 CPU (target: >= 1.6x with 2 CPUs on a 2-core
  host);
- the quantum's cost per barrier: the 2-CPU run with the quantum and with a tenth
  of it, (wall time difference) / (barrier count difference).

    python bench/smp.py [--work N] [--repeats N] [--quantum TICKS]

Samples are interleaved so host noise hits every row alike; medians are printed,
with the host's load average (other work on the machine shows there).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "configs"))


def one_run(program: str, work: int, cpus: int, quantum: int, outdir: str) -> tuple[float, int]:
    """(seconds in simulate(), quantum barriers) of one run of `program work`."""
    import se_hello

    from simobjs.config.build import instantiate

    parser = argparse.ArgumentParser()
    se_hello.add_options(parser)
    args = parser.parse_args(
        [
            "--cmd",
            program,
            "--options",
            str(work),
            "--cpu-type",
            "X86KvmCPU",
            "--num-cpus",
            str(cpus),
            "--mem-size",
            "128MiB",
            "--output",
            "stdout.txt",
        ]
    )
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        root = se_hello.build(args)
        for i, cpu in enumerate(root.system.cpu):
            cpu.eventq_index = i
        root.sim_quantum = quantum
        sim = instantiate(root, outdir=outdir)
        try:
            start = time.perf_counter()
            cause = sim.simulate().getCause()
            took = time.perf_counter() - start
            barriers = sim._parallel.barriers if sim._parallel is not None else 0
        finally:
            sim.close()
    if cause != "exiting with last active thread context":
        raise SystemExit(f"unexpected exit: {cause}")
    out = Path(outdir, "stdout.txt").read_text()
    if "joined 406" not in out:
        raise SystemExit(f"wrong output with {cpus} CPUs:\n{out}")
    return took, barriers


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=int, default=20_000_000, help="iterations per thread and phase")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quantum", type=int, default=1_000_000_000, help="Root.sim_quantum (ticks)")
    opts = ap.parse_args(argv)

    from simobjs.guest.se_build import se_example

    program = str(se_example("smp"))
    rows = [(n, opts.quantum) for n in (1, 2, 4)] + [(2, opts.quantum // 10)]
    samples: dict[tuple[int, int], list[tuple[float, int]]] = {r: [] for r in rows}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="smp-bench-") as tmp:
        for rep in range(opts.repeats):
            for n, q in rows:
                outdir = os.path.join(tmp, f"{n}-{q}-{rep}")
                samples[(n, q)].append(one_run(program, opts.work, n, q, outdir))
    load_after = os.getloadavg()

    def median(row) -> float:
        return statistics.median(t for t, _ in samples[row])

    base = median((1, opts.quantum))
    print(
        f"host: {os.cpu_count()} CPUs, load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after"
    )
    print(
        f"smp.c, 4 threads x 5 phases x {opts.work} iterations; sim_quantum "
        f"{opts.quantum} ticks; median of {opts.repeats}"
    )
    for n in (1, 2, 4):
        t = median((n, opts.quantum))
        print(
            f"  {n} KVM CPU{'s' if n > 1 else ' '} on {n} queue{'s' if n > 1 else ' '}: "
            f"{t:7.3f} s   speed-up {base / t:5.2f}x"
        )
    big, small = (2, opts.quantum), (2, opts.quantum // 10)
    b_big = statistics.median(b for _, b in samples[big])
    b_small = statistics.median(b for _, b in samples[small])
    t_big, t_small = median(big), median(small)
    if b_small > b_big:
        cost = (t_small - t_big) / (b_small - b_big)
        print(
            f"quantum cost: 2 CPUs, {b_big:.0f} barriers ({opts.quantum} ticks) {t_big:.3f} s, "
            f"{b_small:.0f} barriers ({opts.quantum // 10} ticks) {t_small:.3f} s: "
            f"{cost * 1e6:.1f} us per barrier"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
