"""SE mode speed, each measurement side by side with its baseline in one run:

- a system call (getppid) in SE mode on the KVM CPU against the bare C loop of
  bench/c/exitloop.c re-entering a ring-3 vCPU that exits by OUT (target <= 1.3x):
  served by the host thread while the vCPU runs (X86KvmCPU.inRunSyscalls, the
  default where a core is spare), and with every call an exit (inRunSyscalls=off),
  the part of such a call spent inside KVM_RUN (the guest's SYSCALL, the stub, its
  exit) measured apart from the simulator's own part;
- a compute loop in SE mode on the KVM CPU against the same program natively
  (target >= 0.95 of native speed);
- both workloads under qemu-x86_64 (Debian's qemu-user), the peer;
- the reference CPU's MIPS in SE mode against bare Unicorn running the same compiled
  loop in count mode.

    python bench/se.py [--quick] [--repeats N]

The SE runs time only the work between the program's m5_work_begin and m5_work_end
(the simulator stops there: system.exit_on_work_items). Native and qemu runs time
the whole process at two sizes and take the difference (start-up cancels). Samples
are interleaved so host noise hits every row alike; medians are printed.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "configs"))

from simobjs.guest.snippets import Guest, assemble  # noqa: E402

LOOP = str(HERE / "c" / "se_loops.c")
KERNEL = str(HERE / "c" / "xorshift.c")


def build() -> str:
    from simobjs.guest.se_build import build_se_program

    return str(build_se_program([LOOP, KERNEL], "bench-se-loops", "glibc"))


def flat_kernel() -> bytes:
    """xorshift.c compiled freestanding, as flat code for bare Unicorn."""
    src = Path(KERNEL).read_bytes()
    key = hashlib.sha256(src).hexdigest()[:16]
    out = Path(tempfile.gettempdir()) / f"se-bench-xorshift-{key}.bin"
    if not out.exists():
        with tempfile.TemporaryDirectory() as tmp:
            obj = Path(tmp) / "k.o"
            subprocess.run(
                ["gcc", "-O2", "-ffreestanding", "-fno-pic", "-c", KERNEL, "-o", str(obj)],
                check=True,
            )
            subprocess.run(
                ["objcopy", "-O", "binary", "-j", ".text", str(obj), str(out)], check=True
            )
    return out.read_bytes()


class SeRun:
    """One SE simulation of se_loops; sample() times one round (work_begin to work_end)."""

    def __init__(
        self, program: str, mode: str, n: int, cpu: str, outdir: str, in_run: str = "auto"
    ) -> None:
        import se_hello

        from simobjs.config.build import instantiate

        self.quiet = io.StringIO()
        parser = argparse.ArgumentParser()
        se_hello.add_options(parser)
        cpu_type = {"kvm": "X86KvmCPU", "ref": "X86AtomicSimpleCPU"}[cpu]
        args = parser.parse_args(
            [
                "--cmd",
                program,
                "--cpu-type",
                cpu_type,
                "--mem-size",
                "128MiB",
                "--output",
                "stdout.txt",
            ]
        )
        with contextlib.redirect_stdout(self.quiet), contextlib.redirect_stderr(self.quiet):
            root = se_hello.build(args)
            root.system.cpu[0].workload[0].cmd = [program, mode, str(n), "1000000", "m5"]
            root.system.exit_on_work_items = True
            if cpu == "kvm":
                root.system.cpu[0].inRunSyscalls = in_run
            self.sim = instantiate(root, outdir=outdir)
        self.cpu = self.sim.model("system.cpu")
        self.n = n

    def _simulate(self, expect: str) -> None:
        with contextlib.redirect_stdout(self.quiet), contextlib.redirect_stderr(self.quiet):
            cause = self.sim.simulate().getCause()
        self.quiet.seek(0)
        self.quiet.truncate()
        if cause != expect:
            raise RuntimeError(f"the program stopped with {cause!r}, expected {expect!r}")

    def sample(self) -> tuple[float, int]:
        """(host seconds, instructions) of one round."""
        self._simulate("workbegin")
        insts = self.cpu.totalInsts()
        t0 = time.perf_counter()
        self._simulate("workend")
        return time.perf_counter() - t0, self.cpu.totalInsts() - insts

    def sample_in_run(self) -> tuple[float, float]:
        """(host seconds, of which inside the KVM_RUN calls) of one round: each run of
        the vCPU is timed around the C call that enters it."""
        from kvm.timers import PosixKvmTimer

        spent = [0.0]
        plain = PosixKvmTimer.run_armed

        def timed(timer, vcpu, ns):
            t0 = time.perf_counter()
            try:
                return plain(timer, vcpu, ns)
            finally:
                spent[0] += time.perf_counter() - t0

        PosixKvmTimer.run_armed = timed
        try:
            took, _ = self.sample()
        finally:
            PosixKvmTimer.run_armed = plain
        return took, spent[0]

    def served_in_run(self) -> int:
        """System calls served while the vCPU ran (no exit), so far."""
        inrun = getattr(self.cpu, "inrun", None)
        return sum(inrun.served) if inrun is not None else 0

    def close(self) -> None:
        self.sim.close()


def process_time(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env={})
    return time.perf_counter() - t0


def difference(cmd: list[str], mode: str, n1: int, n2: int) -> float:
    """Seconds per unit of work: the time of n2 units minus that of n1, over n2 - n1."""
    t1 = process_time([*cmd, mode, str(n1), "1"])
    t2 = process_time([*cmd, mode, str(n2), "1"])
    return (t2 - t1) / (n2 - n1)


def c_exit_loop():
    """bench/kvm_exits.py's C loop on a ring-3 vCPU that exits by OUT, and the guest."""
    import kvm_exits

    lib = kvm_exits._c_library()
    guest = Guest(assemble("1: out %al, $0x10\n jmp 1b"), cpl=3)
    return kvm_exits._c_measure(lib, guest, 0, 0x10), guest


def bare_unicorn_mips(code: bytes, n: int) -> float:
    """Plain Unicorn in count mode running the freestanding loop for n instructions."""
    import reference_cpu
    from unicorn import UC_ARCH_X86, UC_MODE_64, UC_PROT_ALL, Uc
    from unicorn import x86_const as X

    from simobjs.guest.snippets import CODE_AT, write_tables
    from simobjs.mem.guest_ram import GuestRam

    ram = GuestRam(0, reference_cpu.RAM, name="bench-ram")
    write_tables(ram, reference_cpu.STACK)
    ram.write(CODE_AT, code)
    uc = Uc(UC_ARCH_X86, UC_MODE_64)
    uc.mem_map_ptr(0, reference_cpu.RAM, UC_PROT_ALL, ram.host_address)
    reference_cpu._long_mode(uc)
    uc.reg_write(X.UC_X86_REG_RDI, 1 << 62)  # never ends within the count
    uc.reg_write(X.UC_X86_REG_RSI, 88172645463325252)
    uc.emu_start(CODE_AT, 0, 0, 100_000)
    rip = uc.reg_read(X.UC_X86_REG_RIP)
    t0 = time.perf_counter()
    uc.emu_start(rip, 0, 0, n)
    mips = n / (time.perf_counter() - t0) / 1e6
    del uc
    ram.close()
    return mips


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    program = build()
    qemu = shutil.which("qemu-x86_64")
    calls = 2000 if args.quick else 5000
    iters = 50_000_000 if args.quick else 200_000_000
    ref_iters = 2_000_000 if args.quick else 5_000_000
    rows: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        rows.setdefault(name, []).append(value)

    c_measure, guest = c_exit_loop()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        # one simulation at a time (one Root a process): each row against its baseline
        # the exit path first (inRunSyscalls=off), then calls served in the run
        run = SeRun(program, "syscalls", calls, "kvm", os.path.join(tmp, "exit"), "off")
        run.sample()  # warm-up round
        for _ in range(args.repeats):
            add("c_exit", c_measure(calls) / calls)
            took, in_run = run.sample_in_run()
            add("se_exit", took / calls)
            add("se_exit_run", in_run / calls)
            add("native_sys", difference([program], "syscalls", 20_000, 200_000))
            if qemu:
                add("qemu_sys", difference([qemu, program], "syscalls", 20_000, 200_000))
        run.close()
        run = SeRun(program, "syscalls", calls, "kvm", os.path.join(tmp, "sys"))
        run.sample()
        served = run.served_in_run()
        for _ in range(args.repeats):
            add("c_exit", c_measure(calls) / calls)
            add("se_sys", run.sample()[0] / calls)
        in_run_share = (run.served_in_run() - served) / (calls * args.repeats)
        run.close()
        run = SeRun(program, "compute", iters, "kvm", os.path.join(tmp, "cpu"))
        run.sample()
        for _ in range(args.repeats):
            add("se_cpu", run.sample()[0] / iters)
            add("native_cpu", difference([program], "compute", iters // 4, iters))
            if qemu:
                add("qemu_cpu", difference([qemu, program], "compute", iters // 20, iters // 4))
        run.close()
        run = SeRun(program, "compute", ref_iters, "ref", os.path.join(tmp, "ref"))
        run.sample()
        for _ in range(args.repeats):
            dt, insts = run.sample()
            add("ref_mips", insts / dt / 1e6)
            add("bare_mips", bare_unicorn_mips(flat_kernel(), insts))
        run.close()
        os.chdir(HERE)
    guest.close()
    m = {k: statistics.median(v) for k, v in rows.items()}
    us = 1e6
    print(f"SE mode speed, medians of {args.repeats} interleaved samples")
    print(f"  system call (getppid), {calls} a sample:")
    print(f"    native                              {m['native_sys'] * us:8.2f} us/call")
    if qemu:
        print(f"    qemu-x86_64                         {m['qemu_sys'] * us:8.2f} us/call")
    print(f"    C KVM exit loop (CPL 3 OUT)         {m['c_exit'] * us:8.2f} us/exit")
    print(
        f"    SE on X86KvmCPU, every call an exit {m['se_exit'] * us:8.2f} us/call"
        "  (inRunSyscalls=off)"
    )
    print(
        f"      of which inside KVM_RUN           {m['se_exit_run'] * us:8.2f} us/call"
        f"  ({m['se_exit_run'] / m['c_exit']:.2f}x the C loop's exit: the guest's SYSCALL"
        " through the entry stub and its OUT)"
    )
    print(
        f"    SE on X86KvmCPU, served in the run  {m['se_sys'] * us:8.2f} us/call"
        f"  ({in_run_share:.0%} of the calls without an exit)"
    )
    print(
        f"    ratio SE/C exit loop                {m['se_sys'] / m['c_exit']:8.2f}  (target <= 1.3)"
    )
    print(f"  compute loop, {iters:,} iterations:")
    print(f"    native                              {m['native_cpu'] * iters:8.3f} s")
    if qemu:
        print(
            f"    qemu-x86_64                         {m['qemu_cpu'] * iters:8.3f} s"
            f"  ({m['native_cpu'] / m['qemu_cpu']:.2f} of native)"
        )
    print(f"    SE on X86KvmCPU                     {m['se_cpu'] * iters:8.3f} s")
    print(
        f"    speed SE/native                     {m['native_cpu'] / m['se_cpu']:8.2f}  (target >= 0.95)"
    )
    print(f"  reference CPU, the same loop ({ref_iters:,} iterations a sample):")
    print(f"    bare Unicorn, count mode            {m['bare_mips']:8.1f} MIPS")
    print(f"    SE on X86AtomicSimpleCPU            {m['ref_mips']:8.1f} MIPS")
    print(f"    ratio SE/bare                       {m['ref_mips'] / m['bare_mips']:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
