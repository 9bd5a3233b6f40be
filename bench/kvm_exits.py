"""KVM exit costs: the kvm package's Python loop against a minimal C loop on the
same vCPU, PIO and MMIO exits at CPL 3 and CPL 0, and coalesced against plain
MMIO writes. Prints microseconds per exit and the ratios.

    python bench/kvm_exits.py [--quick]

Targets: Python/C <= 1.15 at CPL 3; coalesced MMIO writes >= 8x cheaper;
the full simobjs path (guest `outb` to the UART at CPL 3 -> X86KvmCPU -> bus ->
Uart8250 -> Terminal -> resume) <= 1.3x the C loop's CPL 3 PIO exit. The row
"timer-bounded" is the Python loop with each run bounded by the run timer, as
a KVM CPU runs: the floor under the full path.

Adding a row (e.g. the full simobjs KVM-CPU path): call
`add_row(label, measure, baseline=...)` before `main()`, where
`measure(n) -> seconds` performs `n` exits of the kind named by the baseline
row and returns the elapsed time; the table then shows us/exit and the ratio
to the baseline row's value. See the docstring of add_row.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import hashlib
import io
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kvm.exits import IoExit, MmioExit
from kvm.system import Kvm
from kvm.timers import PosixKvmTimer
from simobjs.guest.snippets import Guest, assemble

HERE = Path(__file__).resolve().parent
MMIO = 0x10000000
ZONE = 0x10001000

PIO_LOOP = "1: out %al, $0x10\n jmp 1b"
MMIO_LOOP = f"1: movb %al, {MMIO:#x}\n jmp 1b"
WRITES = f"1: movl %eax, {ZONE:#x}\n dec %rcx\n jnz 1b\n out %al, $0x10"
CPUIDS = "1: xor %eax, %eax\n cpuid\n dec %r8\n jnz 1b\n out %al, $0x10"


@dataclass
class Row:
    label: str
    measure: Callable[[int], float]  # n exits -> seconds
    n: int
    baseline: str | None = None
    us: float | None = None


ROWS: list[Row] = []
EXTRA_ROWS: list[Row] = []
TIMERS: list[PosixKvmTimer] = []
BOUNDED_LABEL = "py  CPL3 PIO, timer-bounded"


def add_row(
    label: str, measure: Callable[[int], float], baseline: str | None = None, n: int = 2000
) -> None:
    """Register an extra row, run after the built-in ones in the same process.

    `measure(n)` must perform n exits and return the elapsed seconds; `baseline`
    names a row (e.g. "C   CPL3 PIO") whose us/exit the ratio is taken against.
    """
    EXTRA_ROWS.append(Row(label, measure, n, baseline))


def _c_library() -> ctypes.CDLL:
    src = HERE / "c" / "exitloop.c"
    key = hashlib.sha256(src.read_bytes()).hexdigest()[:16]
    out = Path(tempfile.gettempdir()) / f"kvm-bench-exitloop-{key}.so"
    if not out.exists():
        tmp = out.with_suffix(".tmp.so")
        subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", str(tmp), str(src)], check=True)
        tmp.replace(out)
    lib = ctypes.CDLL(str(out))
    lib.exit_loop.restype = ctypes.c_longlong
    lib.exit_loop.argtypes = [
        ctypes.c_int,
        ctypes.c_long,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_ulonglong,
    ]
    return lib


def _c_measure(clib: ctypes.CDLL, guest: Guest, kind: int, where: int) -> Callable[[int], float]:
    size = guest.kvm.vcpu_mmap_size()

    def measure(n: int) -> float:
        ns = clib.exit_loop(guest.vcpu.fd, size, n, kind, where)
        if ns < 0:
            raise RuntimeError(f"C loop saw a wrong exit or error ({ns})")
        return ns / 1e9

    return measure


def _py_measure(guest: Guest, kind: int, where: int) -> Callable[[int], float]:
    run = guest.vcpu.run

    def measure(n: int) -> float:
        t0 = time.perf_counter()
        if kind == 0:
            for _ in range(n):
                e = run()
                if type(e) is not IoExit or e.port != where:
                    raise RuntimeError(f"unexpected exit {e}")
        else:
            for _ in range(n):
                e = run()
                if type(e) is not MmioExit or e.phys_addr != where:
                    raise RuntimeError(f"unexpected exit {e}")
        return time.perf_counter() - t0

    return measure


def _bounded_measure(guest: Guest, timer: PosixKvmTimer) -> Callable[[int], float]:
    """The Python loop with each KVM_RUN bounded by the run timer (armed for 5 ms and
    disarmed around it, in one C call): what a KVM CPU pays before any of its own code."""
    run, vcpu = timer.run, guest.vcpu

    def measure(n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            e = run(vcpu, 5_000_000)
            if type(e) is not IoExit:
                raise RuntimeError(f"unexpected exit {e}")
        return time.perf_counter() - t0

    return measure


def _writes_measure(guest: Guest, coalesced: bool) -> Callable[[int], float]:
    """n MMIO writes by the guest, each exiting or going to the coalesced ring."""
    v = guest.vcpu
    if coalesced:
        guest.vm.register_coalesced_mmio(ZONE, 0x1000)

    def measure(n: int) -> float:
        regs = v.get_regs()
        regs.rip, regs.rcx = guest_entry, n
        v.set_regs(regs)
        writes = 0
        t0 = time.perf_counter()
        while True:
            e = v.run()
            writes += len(v.drain_coalesced())
            if type(e) is MmioExit:
                writes += 1
            elif type(e) is IoExit:
                break
            else:
                raise RuntimeError(f"unexpected exit {e}")
        dt = time.perf_counter() - t0
        if writes != n:
            raise RuntimeError(f"saw {writes} writes, expected {n}")
        return dt

    guest_entry = v.get_regs().rip
    return measure


def _cpuid_measure(guest: Guest) -> Callable[[int], float]:
    """n CPUID instructions: each is an exit handled inside the kernel."""
    v = guest.vcpu
    entry = v.get_regs().rip

    def measure(n: int) -> float:
        regs = v.get_regs()
        regs.rip, regs.r8 = entry, n
        v.set_regs(regs)
        t0 = time.perf_counter()
        e = v.run()
        dt = time.perf_counter() - t0
        if type(e) is not IoExit:
            raise RuntimeError(f"unexpected exit {e}")
        return dt

    return measure


def build_rows(kvm: Kvm, quick: bool) -> list[Guest]:
    clib = _c_library()
    guests = []
    scale = 0.25 if quick else 1.0
    for cpl in (3, 0):
        n = int((3000 if cpl == 3 else 10000) * scale)
        for kind, name, src, where in ((0, "PIO", PIO_LOOP, 0x10), (1, "MMIO", MMIO_LOOP, MMIO)):
            g = Guest(assemble(src), cpl=cpl, kvm=kvm)
            guests.append(g)
            c_label = f"C   CPL{cpl} {name}"
            ROWS.append(Row(c_label, _c_measure(clib, g, kind, where), n))
            ROWS.append(
                Row(f"py  CPL{cpl} {name}", _py_measure(g, kind, where), n, baseline=c_label)
            )
    g = Guest(assemble(PIO_LOOP), cpl=3, kvm=kvm)
    guests.append(g)
    timer = PosixKvmTimer()
    timer.attach(g.vcpu)
    TIMERS.append(timer)
    n = int(3000 * scale)
    ROWS.append(Row(BOUNDED_LABEL, _bounded_measure(g, timer), n, baseline="C   CPL3 PIO"))
    code = assemble(WRITES)
    for cpl in (3, 0):
        n = int((3000 if cpl == 3 else 10000) * scale)
        plain, coal = Guest(code, cpl=cpl, kvm=kvm), Guest(code, cpl=cpl, kvm=kvm)
        guests += [plain, coal]
        p_label = f"py  CPL{cpl} MMIO write, plain"
        ROWS.append(Row(p_label, _writes_measure(plain, False), n))
        ROWS.append(
            Row(f"py  CPL{cpl} MMIO write, coalesced", _writes_measure(coal, True), n * 10, p_label)
        )
        g = Guest(assemble(CPUIDS), cpl=cpl, kvm=kvm)
        guests.append(g)
        ROWS.append(Row(f"    CPL{cpl} in-kernel exit (CPUID)", _cpuid_measure(g), n * 10))
    return guests


SIMOBJS_LABEL = "simobjs CPL3 PIO: UART THR"
UART_GUEST = """
#include "simobjs.h"
volatile unsigned long bench_count; /* the host writes it at each work_begin stop */
int main(void)
{
    for (;;) {
        m5_work_begin(0, 0);
        unsigned long n = bench_count;
        for (unsigned long i = 0; i < n; i++)
            outb(SIMOBJS_COM1, 'x'); /* THR: one KVM_EXIT_IO each */
        m5_work_end(0, 0);
    }
}
"""


def add_simobjs_row(n: int) -> Callable[[], None]:
    """The full path: a ring-3 loop of `outb` to COM1 on the demo PC (X86KvmCPU, event
    queue, bus, Uart8250, Terminal), against the C loop's CPL 3 PIO exit. Each sample
    times one simulate() from the guest's work_begin stop to its work_end stop and
    divides by the exits the CPU counted (numIO). Returns the function closing the run."""
    from elftools.elf.elffile import ELFFile

    from simobjs.config.build import instantiate
    from simobjs.demo.config import build_system
    from simobjs.guest import build

    quiet = io.StringIO()  # simulate() prints "Entering event queue" every time
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "uart_exits.c").write_text(UART_GUEST)
        elf = build.build_guest([Path(tmp) / "uart_exits.c"], "bench-uart-exits")
    with open(elf, "rb") as f:
        (sym,) = ELFFile(f).get_section_by_name(".symtab").get_symbol_by_name("bench_count")
        count_at = sym["st_value"]
    with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        root = build_system(str(elf), cpu="kvm")
        root.system.terminal.outfile = "none"
        root.system.exit_on_work_items = True
        sim = instantiate(root, outdir=None)
    cpu, terminal = sim.model("system.cpu"), sim.model("system.terminal")
    ram = sim.model("system").guest_ram_at(count_at, 8)

    def simulate(expect: str) -> None:
        cause = sim.simulate().getCause()
        if cause != expect:
            raise RuntimeError(f"guest stopped with {cause!r}, expected {expect!r}")

    def measure(n: int) -> float:
        with contextlib.redirect_stderr(quiet):
            simulate("workbegin")
            ram.write(count_at, n.to_bytes(8, "little"))
            exits, written = cpu.numIO.value(), len(terminal.output)
            t0 = time.perf_counter()
            simulate("workend")
            dt = time.perf_counter() - t0
        exits = cpu.numIO.value() - exits
        if len(terminal.output) - written != n or exits < n:
            raise RuntimeError(
                f"{n} bytes asked, {exits} IO exits, "
                f"{len(terminal.output) - written} bytes at the terminal"
            )
        quiet.seek(0)
        quiet.truncate()
        return dt / exits * n  # the table divides by n: this is time per counted exit

    add_row(SIMOBJS_LABEL, measure, baseline="C   CPL3 PIO", n=n)
    row = EXTRA_ROWS[-1]

    def close() -> None:
        EXTRA_ROWS.remove(row)
        sim.close()

    return close


def run_rows(rows: list[Row], repeats: int) -> None:
    """Interleave repetitions of all rows (so drift hits all alike); keep medians."""
    for r in rows:
        r.measure(max(r.n // 10, 10))  # warm-up
    samples: dict[str, list[float]] = {r.label: [] for r in rows}
    for _ in range(repeats):
        for r in rows:
            samples[r.label].append(r.measure(r.n) / r.n * 1e6)
    for r in rows:
        r.us = statistics.median(samples[r.label])


def report(rows: list[Row]) -> str:
    by_label = {r.label: r for r in rows}
    lines = [f"{'row':<34} {'us/exit':>9} {'ratio':>7}  vs"]
    for r in rows:
        ratio = ""
        vs = ""
        if r.baseline and by_label.get(r.baseline) and by_label[r.baseline].us:
            ratio = f"{r.us / by_label[r.baseline].us:7.3f}"
            vs = r.baseline
        lines.append(f"{r.label:<34} {r.us:9.2f} {ratio:>7}  {vs}")
    return "\n".join(lines)


def summary(rows: list[Row]) -> list[str]:
    by = {r.label: r.us for r in rows}
    out = []
    for kind in ("PIO", "MMIO"):
        ratio = by[f"py  CPL3 {kind}"] / by[f"C   CPL3 {kind}"]
        ok = "ok" if ratio <= 1.15 else "above target"
        out.append(f"Python/C at CPL3 {kind}: {ratio:.3f} (target <= 1.15: {ok})")
    if SIMOBJS_LABEL in by:
        ratio = by[SIMOBJS_LABEL] / by["C   CPL3 PIO"]
        ok = "ok" if ratio <= 1.3 else "above target"
        out.append(
            f"simobjs full path/C at CPL3 PIO: {ratio:.3f} (target <= 1.3: {ok}); "
            f"a timer-bounded run alone from Python: "
            f"{by[BOUNDED_LABEL] / by['C   CPL3 PIO']:.3f}"
        )
    for cpl in (3, 0):
        plain = by[f"py  CPL{cpl} MMIO write, plain"]
        coal = by[f"py  CPL{cpl} MMIO write, coalesced"]
        floor = by[f"    CPL{cpl} in-kernel exit (CPUID)"]
        text = f"coalesced MMIO writes at CPL{cpl}: {plain / coal:.1f}x cheaper"
        if cpl == 3:
            text += f" (target >= 8x: {'ok' if plain / coal >= 8 else 'below target'})"
        text += (
            f"; a coalesced write costs {coal:.2f} us, an in-kernel exit"
            f" (CPUID) {floor:.2f} us: both are the host trap cost, which only a faster host lowers"
        )
        out.append(text)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fewer exits per sample")
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    with Kvm() as kvm:
        guests = build_rows(kvm, args.quick)
        close_simobjs = None
        try:
            close_simobjs = add_simobjs_row(750 if args.quick else 3000)
            t0 = time.perf_counter()
            rows = ROWS + EXTRA_ROWS
            run_rows(rows, args.repeats)
            print(report(rows))
            print()
            print("\n".join(summary(rows)))
            print(f"(medians of {args.repeats} interleaved runs, {time.perf_counter() - t0:.1f} s)")
        finally:
            if close_simobjs is not None:
                close_simobjs()
            for t in TIMERS:
                t.close()
            for g in guests:
                g.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
