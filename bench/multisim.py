"""Sweeps: 8 short simulations one after another vs on 2 local Dask workers, and what
going through Dask costs per simulation.

1. Speed-up. The same 8 jobs (by default SE simulations: the static `compute`
   example program on the KVM CPU, each with its own iteration count, a few
   seconds each; `--guest NAME` takes a bare-metal example guest instead; the
   sweep script's jobs as `simobjs -m simobjs.multisim` builds them) run serially (each in a fresh process, `worker.run_job` in
   this process: no Dask) and then through the engine on a new local cluster
   of 2 worker processes, end to end (cluster start and stop included, as a
   user sees it). Target on a 2-core machine: >= 1.7x.
2. Overhead. N trivial simulations (a 1 us tick exit, no KVM), one at a time:
   as a plain `python -m simobjs.cli SCRIPT` subprocess, through `run_job`
   (job directory, files shipped and brought back), and through Dask on a
   running 1-worker local cluster, taking turns (so a change in the host's
   load hits all three alike). The differences per simulation are the
   overhead of each layer.

The machine's other load shows in every number: the load average is printed,
and so is the parallelism the host gives right now (two CPU-bound Python
processes at once vs one after the other): the speed-up of a sweep on 2
workers cannot exceed it.

    python bench/multisim.py [--sims 8] [--iterations N] [--guest NAME] [--cpu kvm]
                             [--overhead-runs 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from simobjs.guest import build
from simobjs.multisim import engine, sweep
from simobjs.multisim.job import Job
from simobjs.multisim.worker import run_job

SWEEP = """
import simobjs.multisim as multisim
from simobjs.demo.config import build_system


def build(guest, n):
    root = build_system(guest, cpu={cpu!r})
    root.system.terminal.outfile = "file"
    return root


GUEST = multisim.ship({guest!r})
for n in range({sims}):
    multisim.add_simulation(f"sim{{n}}", build, guest=GUEST, n=n)
"""

SWEEP_SE = """
import simobjs.multisim as multisim
from m5.objects import *


def build(program, n, iterations, cpu):
    process = Process(pid=100, executable=program, cmd=[program, str(iterations + n)])
    CPU = X86KvmCPU if cpu == "kvm" else X86AtomicSimpleCPU
    mode = "atomic_noncaching" if cpu == "kvm" else "atomic"
    system = System(cpu=CPU(cpu_id=0), mem_mode=mode, mem_ranges=[AddrRange("512MiB")])
    system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
    if cpu == "kvm":
        system.kvm_vm = KvmVM()
        system.m5ops_base = 0xFFFF0000
        process.useArchPT = True
        process.kvmInSE = True
    system.cpu.workload = process
    system.cpu.createThreads()
    system.membus = SystemXBar()
    system.system_port = system.membus.cpu_side_ports
    system.cpu.createInterruptController()
    system.cpu.connectBus(system.membus)
    system.mem_ctrl = SimpleMemory(range=system.mem_ranges[0])
    system.mem_ctrl.port = system.membus.mem_side_ports
    system.workload = SEWorkload.init_compatible(program)
    return Root(full_system=False, system=system)


PROGRAM = multisim.ship({program!r})
for n in range({sims}):
    multisim.add_simulation(f"sim{{n}}", build, program=PROGRAM, n=n,
                            iterations={iterations}, cpu={cpu!r})
"""

TRIVIAL = """
import m5
from m5.objects import *

root = Root(full_system=False)
root.system = System()
root.system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
m5.instantiate()
m5.scheduleTickExitFromCurrent(1000000)
print("Exiting @ tick %i because %s" % (m5.curTick(), m5.simulate().getCause()))
"""


def speedup(tmp: Path, sims: int, guest: str | None, cpu: str, iterations: int) -> None:
    script = tmp / "sweep.py"
    if guest:
        what = f"the '{guest}' bare-metal guest"
        script.write_text(SWEEP.format(guest=str(build.example_guest(guest)), sims=sims, cpu=cpu))
    else:
        from simobjs.guest.se_build import se_example

        what = f"SE runs of 'compute {iterations}'"
        program = str(se_example("compute", "musl"))
        script.write_text(
            SWEEP_SE.format(program=program, sims=sims, cpu=cpu, iterations=iterations)
        )
    jobs = sweep.jobs_for(script, sweep.describe(script), [])

    began = time.monotonic()
    serial = [run_job(job) for job in jobs]
    t_serial = time.monotonic() - began
    bad = [r.id for r in serial if r.status != "done"]
    if bad:
        sys.exit(f"serial run failed: {bad}: {serial[0].error}")

    began = time.monotonic()
    with engine.connect(2):
        t_cluster = time.monotonic() - began
    t_cluster_total = time.monotonic() - began

    began = time.monotonic()
    outcome = engine.run_jobs(jobs, tmp / "out", num_processes=2, force=True)
    t_parallel = time.monotonic() - began
    if not outcome.ok:
        sys.exit(f"parallel run failed: {[r for r in outcome.rows if r['status'] != 'done']}")

    each = sum(r.host_seconds for r in serial) / len(serial)
    print(
        f"{sims} simulations: {what} on the {cpu} CPU "
        f"(one takes {each:.2f} s in its own process, start to end)"
    )
    print(f"  serial, one after another (no Dask)      {t_serial:7.2f} s")
    print(f"  2 local Dask workers, end to end         {t_parallel:7.2f} s")
    print(
        f"    of which a local cluster's start+stop  {t_cluster_total:7.2f} s "
        f"(start {t_cluster:.2f} s)"
    )
    print(
        f"  speed-up (serial / 2 workers)            {t_serial / t_parallel:7.2f}x  (target >= 1.7x)"
    )
    without = t_parallel - t_cluster_total
    print(f"  speed-up without the cluster start+stop  {t_serial / without:7.2f}x")


def overhead(tmp: Path, runs: int) -> None:
    script = tmp / "trivial.py"
    script.write_text(TRIVIAL)
    env = dict(os.environ)

    def plain() -> None:
        subprocess.run(
            [sys.executable, "-m", "simobjs.cli", "-q", "-d", str(tmp / "plain"), str(script)],
            check=True,
            capture_output=True,
            env=env,
        )

    jobs = [
        Job(id=f"t{i}", script="trivial.py", files={"trivial.py": TRIVIAL.encode()})
        for i in range(runs)
    ]
    plain()  # warm the caches (page cache, .pyc) once for every variant
    times: dict[str, list[float]] = {"plain": [], "job": [], "dask": []}
    with engine.connect(1) as client:
        client.submit(run_job, jobs[0], pure=False).result()  # the worker imports once
        for job in jobs:  # taking turns
            began = time.monotonic()
            plain()
            times["plain"].append(time.monotonic() - began)
            began = time.monotonic()
            assert run_job(job).status == "done"
            times["job"].append(time.monotonic() - began)
            began = time.monotonic()
            assert client.submit(run_job, job, pure=False).result().status == "done"
            times["dask"].append(time.monotonic() - began)
    t_plain, t_job, t_dask = (statistics.median(times[k]) for k in ("plain", "job", "dask"))

    print(f"per-simulation cost of a trivial simulation (median of {runs}, one at a time)")
    print(f"  plain `python -m simobjs.cli SCRIPT` subprocess {t_plain * 1e3:8.1f} ms")
    print(
        f"  run_job (job directory, ship, bring back)     {t_job * 1e3:8.1f} ms "
        f"(+{(t_job - t_plain) * 1e3:.1f} ms)"
    )
    print(
        f"  through Dask (running 1-worker local cluster) {t_dask * 1e3:8.1f} ms "
        f"(+{(t_dask - t_plain) * 1e3:.1f} ms over plain, "
        f"+{(t_dask - t_job) * 1e3:.1f} ms over run_job)"
    )


SPIN = [sys.executable, "-c", "sum(range(3 * 10**7))"]


def host_parallelism() -> float:
    """Serial / parallel time of two CPU-bound processes (2.0 on an idle 2-CPU host)."""
    began = time.monotonic()
    for _ in range(2):
        subprocess.run(SPIN, check=True)
    serial = time.monotonic() - began
    began = time.monotonic()
    procs = [subprocess.Popen(SPIN) for _ in range(2)]
    for p in procs:
        p.wait()
    return serial / (time.monotonic() - began)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", type=int, default=8)
    ap.add_argument("--guest", default=None, help="a bare-metal example guest instead of SE runs")
    ap.add_argument(
        "--iterations", type=int, default=2_000_000_000, help="compute loop length of a run"
    )
    ap.add_argument("--cpu", choices=("kvm", "reference"), default="kvm")
    ap.add_argument("--overhead-runs", type=int, default=10)
    args = ap.parse_args(argv)
    print(
        f"host: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start, "
        f"parallelism of 2 CPU-bound processes now {host_parallelism():.2f}x"
    )
    with tempfile.TemporaryDirectory(prefix="simobjs-bench-multisim-") as tmp:
        speedup(Path(tmp), args.sims, args.guest, args.cpu, args.iterations)
        print()
        overhead(Path(tmp), args.overhead_runs)
    print(
        f"load average {os.getloadavg()[0]:.2f} at the end, "
        f"parallelism of 2 CPU-bound processes now {host_parallelism():.2f}x"
    )


if __name__ == "__main__":
    main()
