"""Run programs in SE mode through configs/se_hello.py's build() (gem5's se.py calls)
and natively, and collect what the SE tests compare: stdout, exit code, the exit
causes, how many CPU switches happened, checkpoints, stats."""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import m5
from simobjs.config.build import instantiate

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "configs"))
import se_hello  # noqa: E402

CPUS = {"kvm": "X86KvmCPU", "ref": "X86AtomicSimpleCPU", "timing": "X86TimingSimpleCPU"}
OTHER = {"kvm": "ref", "ref": "kvm"}
RANDOM_SWITCH = "random switch"
BUSYBOX = "/bin/busybox"


@dataclass
class Result:
    stdout: bytes
    code: int
    causes: list[str] = field(default_factory=list)
    switches: int = 0
    checkpoints: list[str] = field(default_factory=list)
    outdir: str = ""
    ticks: int = 0


def options(
    program: str,
    args: list[str],
    cpu: str,
    switch_to: str | None = None,
    input: str = "",
    work_items: bool = False,
    env: str = "",
    num_cpus: int = 1,
) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    se_hello.add_options(parser)
    argv = [
        "--cmd",
        str(program),
        "--cpu-type",
        CPUS[cpu],
        "--mem-size",
        "128MiB",
        "--output",
        "stdout.txt",
        "--errout",
        "stderr.txt",
    ]
    if switch_to:
        argv += ["--switch-cpu-type", CPUS[switch_to]]
    if input:
        argv += ["--input", input]
    if work_items:
        argv += ["--work-item-switch"]
    if env:
        argv += ["--env", env]
    if num_cpus != 1:
        argv += ["--num-cpus", str(num_cpus)]
    return parser.parse_args(argv)


def run(
    program: str,
    args: list[str],
    cpu: str,
    outdir: Path,
    switch_to: str | None = None,
    input: str = "",
    every: int = 0,
    seed: int = 0,
    checkpoint_dir: str | None = None,
    restore: str | None = None,
    work_items: bool = False,
    between=None,
    env: str = "",
    num_cpus: int = 1,
    configure=None,
) -> Result:
    """Run `program args` on `cpu` (kvm or ref) in the current directory. switch_to: a
    switched-out CPU of that kind takes over at m5_switch_cpu() (and at work items with
    work_items); every: also switch at random simulated times at most that many ticks
    apart. checkpoint_dir: where m5_checkpoint() writes; restore: a checkpoint to start
    from. num_cpus: --num-cpus; configure(root): changes made before instantiation."""
    opts = options(program, args, cpu, switch_to, input, work_items, env, num_cpus)
    root = se_hello.build(opts)
    root.system.cpu[0].workload[0].cmd = [str(program), *args]  # arguments with any quoting
    if configure is not None:
        configure(root)  # e.g. event queues: cpu.eventq_index, root.sim_quantum
    sim = instantiate(root, ckpt_dir=restore, outdir=str(outdir))
    system = root.system
    running = list(system.cpu)
    spare = list(getattr(system, "switch_cpus", []))
    rnd = random.Random(seed)
    result = Result(b"", 0, outdir=str(outdir))

    def arm() -> None:
        if every:
            sim.scheduleTickExitAbsolute(sim.curTick() + rnd.randrange(1, every + 1), RANDOM_SWITCH)

    arm()
    try:
        while True:
            event = sim.simulate()
            cause = event.getCause()
            result.causes.append(cause)
            if cause in ("switchcpu", "workbegin", "workend", RANDOM_SWITCH):
                if spare:
                    m5.switchCpus(system, list(zip(running, spare, strict=True)), verbose=False)
                    running, spare = spare, running
                    result.switches += 1
                if cause == RANDOM_SWITCH:
                    arm()
            elif cause == "checkpoint":
                if checkpoint_dir is not None:
                    result.checkpoints.append(
                        sim.checkpoint(os.path.join(checkpoint_dir, "cpt.%d"))
                    )
            else:
                result.code = event.getCode()
                break
            if between is not None:
                between(sim, event)
        for ev in list(sim.tick_exits):
            if ev.scheduled():
                sim.eventq.deschedule(ev)
        result.ticks = sim.curTick()
        sim.finalize()
    finally:
        sim.close()
    out = outdir / "stdout.txt"
    result.stdout = out.read_bytes() if out.exists() else b""
    return result


def native(program: str, args: list[str], input: str = "", env: dict | None = None) -> Result:
    """The same program run on the host, in the current directory (empty environment,
    as an SE Process without env gets)."""
    stdin = open(input, "rb") if input else subprocess.DEVNULL  # noqa: SIM115
    try:
        p = subprocess.run(
            [str(program), *args], stdin=stdin, capture_output=True, env=env or {}, timeout=120
        )
    finally:
        if input:
            stdin.close()
    code = p.returncode if p.returncode >= 0 else 128 - p.returncode
    return Result(p.stdout, code)
