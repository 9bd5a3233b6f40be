"""se.py's option combinations, run through the simobjs command against a script
(configs/se_classic.py, or gem5's own configs/deprecated/example/se.py), and what
each must give: the program's native output and exit status, gem5's messages, the
config and stats files. Shared by test_se_classic.py and test_gem5_se_py.py."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = Path(__file__).parent / "programs"
FF = 1_000_000  # instructions to fast-forward
STOP = 3_000_000_000  # ticks: inside the program's loop on every CPU


def program() -> str:
    from simobjs.guest.se_build import build_se_program

    return str(build_se_program([PROGRAMS / "se_options.c"], "se-options"))


def native(prog: str, args: list[str], cpus: int) -> tuple[str, int]:
    """The program's output natively, with the CPU count the simulated /proc/cpuinfo has."""
    out = subprocess.run([prog, *args], capture_output=True, text=True, timeout=60)
    text = re.sub(r"cpuinfo: \d+ processors", f"cpuinfo: {cpus} processors", out.stdout)
    return text, out.returncode


def simobjs(script: Path, outdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    outdir.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "simobjs.cli", "-q", "-d", str(outdir), str(script), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=outdir.parent,
        timeout=900,
    )


def program_output(stdout: str) -> str:
    """What the program printed: the lines between gem5's start and exit messages."""
    body = stdout.split("**** REAL SIMULATION ****\n", 1)[1]
    return body.split("Exiting @ tick", 1)[0]


def check_run(proc, outdir: Path, prog: str, args: list[str], cpus: int = 1) -> str:
    want, code = native(prog, args, cpus)
    assert proc.returncode == code, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert program_output(proc.stdout) == want
    assert re.search(
        r"^Exiting @ tick \d+ because exiting with last active thread context$",
        proc.stdout,
        re.M,
    )
    assert f"Simulated exit code not 0! Exit code is {code}" in proc.stdout
    for name in ("config.ini", "config.json", "stats.txt"):
        assert (outdir / name).is_file(), name
    assert (outdir / "fs" / "proc" / "cpuinfo").is_file()  # FileSystemConfig's tree
    return (outdir / "config.ini").read_text()


def stat(outdir: Path, name: str) -> float:
    m = re.search(rf"^{re.escape(name)}\s+(\S+)", (outdir / "stats.txt").read_text(), re.M)
    assert m, name
    return float(m.group(1))


# -- the combinations ------------------------------------------------------------------------
def kvm(script: Path, tmp: Path) -> None:
    prog = program()
    out = tmp / "m5out"
    proc = simobjs(script, out, "--cpu-type", "X86KvmCPU", "-c", prog, "-o", "a b")
    ini = check_run(proc, out, prog, ["a", "b"])
    assert "type=X86KvmCPU" in ini and "type=KvmVM" in ini


def kvm_two_cpus_small_memory(script: Path, tmp: Path) -> None:
    prog = program()
    out = tmp / "m5out"
    proc = simobjs(
        script, out, "--cpu-type", "X86KvmCPU", "--num-cpus", "2", "--mem-size", "256MB",
        "-c", prog, "-o", "one",
    )  # fmt: skip
    ini = check_run(proc, out, prog, ["one"], cpus=2)
    assert "[system.cpu1]" in ini
    assert re.search(r"^range=0:268435456$", ini, re.M)  # the DRAM's interleaved range
    assert stat(out, "system.cpu1.numCycles") == 0  # the Process starts once, on cpu0


def atomic(script: Path, tmp: Path) -> float:
    prog = program()
    out = tmp / "m5out"
    proc = simobjs(script, out, "--cpu-type", "X86AtomicSimpleCPU", "-c", prog, "-o", "a b")
    ini = check_run(proc, out, prog, ["a", "b"])
    assert "type=BaseAtomicSimpleCPU" in ini
    return stat(out, "simInsts")


def timing_caches_l2(script: Path, tmp: Path) -> None:
    prog = program()
    out = tmp / "m5out"
    proc = simobjs(
        script, out, "--cpu-type", "X86TimingSimpleCPU", "--caches", "--l2cache",
        "-c", prog, "-o", "a b",
    )  # fmt: skip
    ini = check_run(proc, out, prog, ["a", "b"])
    for section in ("system.cpu.icache", "system.cpu.dcache", "system.l2", "system.tol2bus"):
        assert f"[{section}]" in ini, section
    assert "[system.cpu.itb_walker_cache]" in ini and "type=BaseTimingSimpleCPU" in ini
    assert stat(out, "system.cpu.icache.overallHits::total") > 0
    assert stat(out, "system.l2.overallMisses::total") > 0


def fast_forward(script: Path, tmp: Path, total_insts: float) -> None:
    """-F N: N instructions on the atomic CPU, then the timing CPU takes over; the two
    counts add up to the atomic run's."""
    prog = program()
    out = tmp / "m5out"
    proc = simobjs(
        script, out, "--cpu-type", "X86TimingSimpleCPU", "--caches", "-F", str(FF),
        "-c", prog, "-o", "a b",
    )  # fmt: skip
    check_run(proc, out, prog, ["a", "b"])
    assert f"Switch at instruction count:{FF}\n" in proc.stdout
    assert re.search(r"^Switched CPUS @ tick \d+$", proc.stdout, re.M)
    timing = stat(out, "system.switch_cpus.commitStats0.numInsts")
    assert timing + FF == total_insts  # both counted, none estimated
    assert stat(out, "system.cpu.commitStats0.numInsts") == 0  # reset at the switch


def checkpoint_at_end_then_restore(script: Path, tmp: Path) -> None:
    """A KVM run stopped inside the program's loop, checkpointed at its end, restored
    on the atomic CPU (se.py's default --restore-with-cpu), and on KVM then switched to
    the timing CPU with caches: both finish the program."""
    prog = program()
    cpts = tmp / "cpts"
    out = tmp / "save"
    proc = simobjs(
        script, out, "--cpu-type", "X86KvmCPU", "--rel-max-tick", str(STOP),
        "--checkpoint-at-end", "--checkpoint-dir", str(cpts), "-c", prog, "-o", "a b",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "because simulate() limit reached" in proc.stdout
    assert program_output(proc.stdout) == ""  # still in the loop
    (cpt,) = cpts.iterdir()
    assert cpt.name.startswith("cpt.") and (cpt / "m5.cpt").is_file()
    out = tmp / "restore-atomic"
    proc = simobjs(script, out, "-r", "1", "--checkpoint-dir", str(cpts), "-c", prog, "-o", "a b")
    check_run(proc, out, prog, ["a", "b"])
    assert "info: Entering event queue @ 0." not in proc.stdout + proc.stderr
    out = tmp / "restore-kvm-timing"
    proc = simobjs(
        script, out, "-r", "1", "--checkpoint-dir", str(cpts), "--restore-with-cpu",
        "X86KvmCPU", "--cpu-type", "X86TimingSimpleCPU", "--caches", "--l2cache",
        "-c", prog, "-o", "a b",
    )  # fmt: skip
    check_run(proc, out, prog, ["a", "b"])
    assert "Switch at curTick count:10000" in proc.stdout
    assert stat(out, "system.switch_cpus.commitStats0.numInsts") > 0
