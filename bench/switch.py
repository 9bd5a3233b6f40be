"""CPU switch cost: KVM -> reference -> KVM round trips on a guest in the middle of
its CRC-32 loop, timed with the parts of each switch, in one run.

Each round trip: m5.switchCpus(KVM -> reference), a short slice on the reference
CPU (the first after the switch), a second slice of the same length (steady),
m5.switchCpus(reference -> KVM), a short KVM slice (first), a second one
(steady). The steady slices are the baseline: the switch costs both
switchCpus calls plus what each first slice takes beyond the steady one (TB
and TLB flush in the engine, KVM reloading the state). Parts are timed by
wrapping the real methods of the models with time.perf_counter.

    python bench/switch.py [--quick]

Target: round trip (median) < 2 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from tempfile import TemporaryDirectory

import m5
from simobjs.guest import build

TARGET_MS = 2.0
KVM_SLICE = 20 * 10**6  # ticks: 20 us of simulated time
REF_SLICE_INSTS = 2000
GUEST_C = """
#include "simobjs.h"
#include "crc32.h"
#define SIZE (1UL << 20)
static unsigned char buffer[SIZE];
volatile unsigned int sink;
int main(void)
{
    fill_pattern(buffer, SIZE, 7);
    unsigned int crc = 0;
    for (;;) { /* the host switches CPUs while this runs, and never lets it end */
        crc = crc32_update(crc, buffer, SIZE);
        sink = crc;
    }
    return 0;
}
"""
# (label, indent): parts of the KVM -> reference switch ("out") and the way back ("back")
PARTS = [
    ("out", 0, "KVM -> reference: switchCpus"),
    ("out", 1, "drain (KVM CPU)"),
    ("out", 2, "pending-event check (KVM_GET_VCPU_EVENTS)"),
    ("out", 2, "KVM state read + conversion to X86State"),
    ("out", 3, "KVM state read: regs/sregs/xsave/msrs/xcrs/events"),
    ("out", 1, "switchOut (KVM CPU)"),
    ("out", 1, "takeOverFrom (reference CPU)"),
    ("out", 2, "reference engine load_state"),
    ("out", 0, "first reference slice"),
    ("out", 0, "steady reference slice (baseline)"),
    ("back", 0, "reference -> KVM: switchCpus"),
    ("back", 1, "drain (reference CPU)"),
    ("back", 1, "switchOut (reference CPU)"),
    ("back", 1, "memWriteback + memInvalidate"),
    ("back", 1, "takeOverFrom (KVM CPU)"),
    ("back", 2, "reference engine save_state"),
    ("back", 2, "KVM state write: sregs/regs/xsave/msrs/xcrs/events"),
    ("back", 0, "first KVM slice"),
    ("back", 0, "steady KVM slice (baseline)"),
]


class Parts:
    """Seconds spent in wrapped methods during the current round trip, by (phase, label)."""

    def __init__(self) -> None:
        self.phase = "out"
        self.now: dict[tuple[str, str], float] = defaultdict(float)
        self.samples: dict[tuple[str, str], list[float]] = defaultdict(list)

    def wrap(self, obj, attr: str, label: str) -> None:
        fn = getattr(obj, attr)

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.now[self.phase, label] += time.perf_counter() - t0

        setattr(obj, attr, timed)

    def call(self, label: str, fn, *args):
        t0 = time.perf_counter()
        result = fn(*args)
        self.now[self.phase, label] += time.perf_counter() - t0
        return result

    def commit(self) -> None:
        for phase, _, label in PARTS:
            self.samples[phase, label].append(self.now.get((phase, label), 0.0))
        self.now.clear()


def round_trip(sim, system, kvm, ref, parts: Parts) -> int:
    """One round trip; returns the guest's RIP at the switch (read from the reference CPU)."""

    def slice_(label: str, cpu, ticks: int) -> None:
        # From the CPU's next tick (after a switch: now); 1 tick short, so the CPU's
        # following tick falls after the exit, not on it.
        start = cpu.tickEvent.when() if cpu.tickEvent.scheduled() else sim.curTick()
        sim.scheduleTickExitAbsolute(start + ticks - 1, "bench slice")
        cause = parts.call(label, sim.simulate).getCause()
        if cause != "bench slice":
            raise RuntimeError(f"the guest stopped: {cause}")

    ref_slice = REF_SLICE_INSTS * ref.clockPeriod()
    parts.phase = "out"
    parts.call(
        "KVM -> reference: switchCpus",
        m5.switchCpus,
        system,
        [(system.cpu, system.switch_cpus[0])],
        False,
    )
    rip = ref.read_reg("rip")  # untimed; reading it from KVM would sync KVM's state early
    slice_("first reference slice", ref, ref_slice)
    slice_("steady reference slice (baseline)", ref, ref_slice)
    parts.phase = "back"
    parts.call(
        "reference -> KVM: switchCpus",
        m5.switchCpus,
        system,
        [(system.switch_cpus[0], system.cpu)],
        False,
    )
    slice_("first KVM slice", kvm, KVM_SLICE)
    slice_("steady KVM slice (baseline)", kvm, KVM_SLICE)
    return rip


def instrument(sim, kvm, ref, parts: Parts) -> None:
    """Wrap the methods a switch calls (the engine exists after the first round trip)."""
    parts.wrap(sim, "drain", "drain")
    parts.wrap(sim, "memWriteback", "memWriteback + memInvalidate")
    parts.wrap(sim, "memInvalidate", "memWriteback + memInvalidate")
    parts.wrap(kvm, "archIsDrained", "pending-event check (KVM_GET_VCPU_EVENTS)")
    parts.wrap(kvm, "updateThreadContext", "KVM state read + conversion to X86State")
    parts.wrap(kvm, "_read_kvm", "KVM state read: regs/sregs/xsave/msrs/xcrs/events")
    parts.wrap(kvm, "updateKvmState", "KVM state write: sregs/regs/xsave/msrs/xcrs/events")
    parts.wrap(ref.engine, "load_state", "reference engine load_state")
    parts.wrap(ref.engine, "save_state", "reference engine save_state")
    for cpu, kind in ((kvm, "KVM"), (ref, "reference")):
        parts.wrap(cpu, "switchOut", f"switchOut ({kind} CPU)")
        parts.wrap(cpu, "takeOverFrom", f"takeOverFrom ({kind} CPU)")


def drain_label(parts: Parts) -> None:
    """sim.drain is one method: file its time under the CPU being drained."""
    for phase, cpu in (("out", "KVM"), ("back", "reference")):
        parts.now[phase, f"drain ({cpu} CPU)"] += parts.now.pop((phase, "drain"), 0.0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="50 round trips, not 200")
    p.add_argument("--trips", type=int, default=None)
    args = p.parse_args(argv)
    trips = args.trips or (50 if args.quick else 200)
    from simobjs.demo.config import build_system

    t_start = time.perf_counter()
    with TemporaryDirectory(prefix="switch-bench-") as tmp:
        src = Path(tmp) / "switch_bench.c"
        src.write_text(GUEST_C)
        kernel = build.EXAMPLES_DIR / "crc32.c"
        elf = build.build_guest([src, kernel], "bench-switch", [f"-I{build.EXAMPLES_DIR}"])
    quiet = io.StringIO()  # "Entering event queue" and other info lines, every simulate()
    parts = Parts()
    with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
        root = build_system(str(elf), cpu="kvm", switch_to="reference")
        root.system.terminal.outfile = "none"
        sim = build.instantiate(root, outdir=None)
        try:
            system = root.system
            kvm, ref = system.cpu.getCCObject(), system.switch_cpus[0].getCCObject()
            sim.scheduleTickExitFromCurrent(10**10, "bench slice")  # 10 ms: into the CRC loop
            if sim.simulate().getCause() != "bench slice":
                raise RuntimeError("the guest ended before the CRC loop")
            for _ in range(3):  # warm-up: the engine is built, code is translated
                round_trip(sim, system, kvm, ref, parts)
            instrument(sim, kvm, ref, parts)
            parts.now.clear()
            in_loop = 0
            lo, hi = _function_range(elf, "crc32_update")
            for _ in range(trips):
                rip = round_trip(sim, system, kvm, ref, parts)
                drain_label(parts)
                parts.commit()
                in_loop += lo <= rip < hi
        finally:
            sim.close()
    report(parts, trips, in_loop)
    print(f"({time.perf_counter() - t_start:.1f} s)")
    return 0


def _function_range(elf: Path, name: str) -> tuple[int, int]:
    from elftools.elf.elffile import ELFFile

    with open(elf, "rb") as f:
        (sym,) = ELFFile(f).get_section_by_name(".symtab").get_symbol_by_name(name)
        return sym["st_value"], sym["st_value"] + sym["st_size"]


def report(parts: Parts, trips: int, in_loop: int) -> None:
    s = parts.samples

    def ms(key: tuple[str, str]) -> tuple[float, float]:
        values = sorted(s[key])
        return statistics.median(values) * 1e3, values[int(0.9 * (len(values) - 1))] * 1e3

    extra_ref = [
        f - b
        for f, b in zip(
            s["out", "first reference slice"],
            s["out", "steady reference slice (baseline)"],
            strict=True,
        )
    ]
    extra_kvm = [
        f - b
        for f, b in zip(
            s["back", "first KVM slice"], s["back", "steady KVM slice (baseline)"], strict=True
        )
    ]
    s["all", "first reference slice beyond steady"] = extra_ref
    s["all", "first KVM slice beyond steady"] = extra_kvm
    s["all", "round trip: both switchCpus + first slices beyond steady"] = [
        a + b + c + d
        for a, b, c, d in zip(
            s["out", "KVM -> reference: switchCpus"],
            s["back", "reference -> KVM: switchCpus"],
            extra_ref,
            extra_kvm,
            strict=True,
        )
    ]
    print(
        f"{trips} KVM -> reference -> KVM round trips, guest in its CRC-32 loop "
        f"({in_loop}/{trips} ended with RIP in crc32_update); slices: reference "
        f"{REF_SLICE_INSTS} instructions, KVM {KVM_SLICE / 1e6:.0f} us simulated"
    )
    print(f"{'part':<58} {'median ms':>9} {'p90 ms':>7}")
    rows = [(ph, ind, lab) for ph, ind, lab in PARTS] + [
        ("all", 0, "first reference slice beyond steady"),
        ("all", 0, "first KVM slice beyond steady"),
        ("all", 0, "round trip: both switchCpus + first slices beyond steady"),
    ]
    for phase, indent, label in rows:
        med, p90 = ms((phase, label))
        print(f"{'  ' * indent + label:<58} {med:9.3f} {p90:7.3f}")
    med, _ = ms(("all", "round trip: both switchCpus + first slices beyond steady"))
    ok = "ok" if med < TARGET_MS else "above target"
    print(f"round trip median {med:.3f} ms (target < {TARGET_MS} ms: {ok})")


if __name__ == "__main__":
    sys.exit(main())
