"""What this host's KVM offers simobjs: capabilities, PMU, timer resolution, and
measured facts (is CPL-0 guest code native or emulated? what does an exit cost?).

`simobjs kvm-info [--json]` prints it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from typing import Any

from kvm.errors import KvmError
from kvm.exits import INTR, IoExit
from kvm.perf import hardware_pmu_status
from kvm.system import Kvm
from kvm.timers import PosixKvmTimer
from kvm.vcpu import _RING_MAX
from simobjs.guest.snippets import Guest

#: The capabilities simobjs relies on or reports.
USED_CAPABILITIES = (
    "coalesced_mmio",
    "coalesced_pio",
    "immediate_exit",
    "readonly_mem",
    "sync_regs",
    "xsave",
    "xcrs",
    "set_guest_debug",
    "guest_debug_hw_bps",
    "nr_memslots",
    "nr_vcpus",
    "max_vcpus",
    "vcpu_events",
    "debugregs",
    "one_reg",
    "set_tss_addr",
    "set_identity_map_addr",
    "ext_cpuid",
    "user_nmi",
    "irqchip",
    "tsc_control",
    "get_tsc_khz",
    "pmu_capability",
    "dirty_log_ring",
    "manual_dirty_log_protect2",
)

# Machine code of the measuring guests, fixed so kvm-info needs no assembler
# (tests check them against the assembly in the comments).
#   1: dec %rcx ; jnz 1b ; out %al, $0x10
COUNT_LOOP = bytes.fromhex("48ffc975fbe610")
#   1: out %al, $0x10 ; jmp 1b
EXIT_LOOP = bytes.fromhex("e610ebfc")
#   1: jmp 1b
SPIN = bytes.fromhex("ebfe")


def kvm_module() -> str:
    """Which kernel module provides /dev/kvm (kvm_intel, kvm_amd, kvm_pvm, ...)."""
    for name in ("kvm_pvm", "kvm_intel", "kvm_amd"):
        if os.path.isdir(f"/sys/module/{name}"):
            return name
    return "unknown"


def _guest_rate(kvm: Kvm, cpl: int) -> float:
    """Loop iterations per second of the counting loop at `cpl` (2 instructions each)."""
    with Guest(COUNT_LOOP, cpl=cpl, kvm=kvm) as g:
        v = g.vcpu
        start = v.get_regs()
        n = 2_000
        while True:
            regs = v.get_regs()
            regs.rip, regs.rcx = start.rip, n
            v.set_regs(regs)
            t0 = time.perf_counter()
            e = v.run()
            dt = time.perf_counter() - t0
            if not isinstance(e, IoExit) or e.port != 0x10:
                raise KvmError("KVM_RUN", 0, f"measuring guest stopped with {e}")
            if dt > 0.004 or n >= 1 << 34:
                return n / dt
            n *= 8 if dt < 0.0005 else 2


def _exit_cost_us(kvm: Kvm, cpl: int, n: int = 1000) -> float:
    with Guest(EXIT_LOOP, cpl=cpl, kvm=kvm) as g:
        run = g.vcpu.run
        for _ in range(50):
            run()
        samples = []
        for _ in range(3):
            t0 = time.perf_counter()
            for _ in range(n):
                run()
            samples.append((time.perf_counter() - t0) / n * 1e6)
        return statistics.median(samples)


def _immediate_exit_us(kvm: Kvm, n: int = 500) -> float:
    with Guest(SPIN, kvm=kvm) as g:
        v = g.vcpu
        t0 = time.perf_counter()
        for _ in range(n):
            v.run_immediate_exit()
        return (time.perf_counter() - t0) / n * 1e6


def _slice_overshoot_us(kvm: Kvm, timer: PosixKvmTimer, ns: int = 1_000_000) -> float:
    with Guest(SPIN, kvm=kvm) as g:
        timer.attach(g.vcpu)
        over = []
        for _ in range(5):
            t0 = time.perf_counter_ns()
            timer.arm(ns)
            e = g.vcpu.run()
            over.append((time.perf_counter_ns() - t0 - ns) / 1e3)
            timer.disarm()
            timer.discard_pending()
            if e is not INTR:
                raise KvmError("KVM_RUN", 0, f"timer-bounded run ended with {e}")
        return statistics.median(over)


def measure_host(kvm: Kvm) -> dict[str, Any]:
    """Run the measuring guests (about a quarter of a second)."""
    rate3 = _guest_rate(kvm, 3)
    rate0 = _guest_rate(kvm, 0)
    ratio = rate3 / rate0
    emulated = ratio > 20
    mips0 = 2 * rate0 / 1e6
    if emulated:
        verdict = (
            f"CPL 0 guest code is emulated (~{mips0:.1f} MIPS, {ratio:.0f}x slower than "
            "CPL 3): run guest work in ring 3"
        )
    else:
        verdict = "CPL 0 and CPL 3 guest code both run natively"
    out: dict[str, Any] = {
        "guest_speed": {
            "cpl3_mips": round(2 * rate3 / 1e6, 1),
            "cpl0_mips": round(mips0, 2),
            "cpl3_over_cpl0": round(ratio, 1),
            "cpl0_emulated": emulated,
            "verdict": verdict,
        },
        "exit_cost_us": {
            "cpl3_pio": round(_exit_cost_us(kvm, 3), 2),
            "cpl0_pio": round(_exit_cost_us(kvm, 0), 2),
            "immediate_exit": round(_immediate_exit_us(kvm), 2),
        },
    }
    return out


def collect_info(measure: bool = True, path: str = "/dev/kvm") -> dict[str, Any]:
    """Everything kvm-info reports, as plain data (JSON-serializable)."""
    info: dict[str, Any] = {"device": path}
    try:
        kvm = Kvm(path)
    except KvmError as e:
        info.update(available=False, error=str(e), remedy=getattr(e, "remedy", ""))
        return info
    try:
        caps = kvm.capabilities()
        pmu_ok, pmu_reason = hardware_pmu_status()
        info.update(
            available=True,
            api_version=kvm.api_version(),
            module=kvm_module(),
            capabilities={name: caps.get(name, 0) for name in USED_CAPABILITIES},
            vcpu_mmap_size=kvm.vcpu_mmap_size(),
            coalesced_ring_entries=_RING_MAX - 1 if caps.get("coalesced_mmio") else 0,
            pmu={
                "available": pmu_ok,
                "reason": pmu_reason,
                "fallback": None
                if pmu_ok
                else "time from the vCPU thread's CPU time; no instruction count",
            },
        )
        if caps.get("get_tsc_khz"):
            with Guest(SPIN, kvm=kvm) as g:
                info["tsc_khz"] = g.vcpu.get_tsc_khz()
        with PosixKvmTimer() as timer:
            info["timer"] = {
                "kind": "posix",
                "clock_resolution_ns": timer.clock_resolution_ns,
                "resolution_ns": timer.resolution_ns,
            }
            if measure:
                info["timer"]["slice_1ms_overshoot_us"] = round(_slice_overshoot_us(kvm, timer), 1)
        if measure:
            info.update(measure_host(kvm))
    finally:
        kvm.close()
    return info


def format_info(info: dict[str, Any]) -> str:
    """A human-readable report of collect_info()'s dict."""
    lines = [f"KVM device: {info['device']}"]
    if not info.get("available"):
        lines.append(f"  unavailable: {info.get('error', '')}")
        if info.get("remedy"):
            lines.append(f"  remedy: {info['remedy']}")
        return "\n".join(lines)
    lines.append(f"  API version {info['api_version']}, module {info['module']}")
    lines.append("Capabilities:")
    for name, value in info["capabilities"].items():
        lines.append(f"  {name:<28} {value}")
    lines.append(
        f"  vCPU mmap size {info['vcpu_mmap_size']} bytes, coalesced ring "
        f"{info['coalesced_ring_entries']} entries"
    )
    pmu = info["pmu"]
    lines.append("PMU: " + ("available" if pmu["available"] else "not available"))
    lines.append(f"  {pmu['reason']}")
    if pmu["fallback"]:
        lines.append(f"  fallback: {pmu['fallback']}")
    if info.get("tsc_khz"):
        lines.append(f"Guest TSC: {info['tsc_khz'] / 1000:.0f} MHz (KVM_GET_TSC_KHZ)")
    t = info["timer"]
    lines.append(
        f"Run timer: {t['kind']}, clock resolution {t['clock_resolution_ns']} ns, "
        f"minimum slice {t['resolution_ns']} ns"
    )
    if "slice_1ms_overshoot_us" in t:
        lines.append(f"  a 1 ms slice returns {t['slice_1ms_overshoot_us']} us late (median)")
    if "guest_speed" in info:
        g = info["guest_speed"]
        lines.append(
            f"Guest speed: CPL 3 {g['cpl3_mips']} MIPS, CPL 0 {g['cpl0_mips']} MIPS "
            f"(ratio {g['cpl3_over_cpl0']})"
        )
        lines.append(f"  {g['verdict']}")
        x = info["exit_cost_us"]
        lines.append(
            f"Exit round trip (PIO): CPL 3 {x['cpl3_pio']} us, CPL 0 {x['cpl0_pio']} us; "
            f"immediate-exit KVM_RUN {x['immediate_exit']} us"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None, prog: str = "simobjs kvm-info") -> int:
    p = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--no-measure", action="store_true", help="skip the measuring guests")
    args = p.parse_args(argv)
    info = collect_info(measure=not args.no_measure)
    print(json.dumps(info, indent=2) if args.json else format_info(info))
    return 0 if info.get("available") else 1


if __name__ == "__main__":
    raise SystemExit(main())
