"""The default demo (`simobjs` with no script).

It builds the demo guest with the SDK, boots it on the KVM CPU (X86KvmCPU),
switches to the reference CPU (X86AtomicSimpleCPU) and back at the guest's two
m5_switch_cpu() calls, writes a checkpoint at its m5_checkpoint(), runs it to
m5_exit, then restores the checkpoint into the reference CPU in the same
process (the first simulation is torn down with m5.close() and a fresh one is
instantiated) and checks the restored run prints exactly what the original
printed after the checkpoint. Without a usable /dev/kvm it says why and runs the
same steps on the reference CPU alone.
"""

from __future__ import annotations

import argparse
import os
import sys
import zlib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
GUEST_SOURCE = HERE / "demo_guest.c"
MARK = "demo: checkpoint\n"  # the guest's last line before m5_checkpoint()


def _work(seed: int, rounds: int) -> int:
    """The guest's work(): an LCG-filled 64 KiB buffer digested `rounds` times."""
    x = seed | 1
    buf = bytearray(64 * 1024)
    mask = (1 << 64) - 1
    for i in range(len(buf)):
        x = (x * 6364136223846793005 + 1442695040888963407) & mask
        buf[i] = x >> 56
    crc = 0
    for _ in range(rounds):
        crc = zlib.crc32(buf, crc)
    return crc


def expected_output() -> str:
    """What the demo guest prints, computed here independently of any CPU."""
    a = _work(1, 4)
    b = _work(a, 1)
    c = _work(b, 4)
    return (
        "demo: hello from ring 3\n"
        f"demo: phase 1 crc32 {a:08x}\n"
        f"demo: phase 2 crc32 {b:08x}\n"
        f"{MARK}"
        f"demo: phase 3 crc32 {c:08x}\n"
        "demo: done\n"
    )


def kvm_problem(path: str = "/dev/kvm") -> str | None:
    """Why KVM cannot be used here (None when /dev/kvm opens read-write)."""
    if not os.path.exists(path):
        return f"{path} does not exist (no KVM module loaded, or no hardware virtualisation)"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        return f"{path} cannot be opened read-write: {e.strerror}"
    os.close(fd)
    return None


REMEDY = (
    "  remedy: load the module (modprobe kvm_intel or kvm_amd), enable virtualisation in the\n"
    "  firmware or the VM host (nested virtualisation), and give this user access to /dev/kvm\n"
    "  (e.g. add it to the 'kvm' group). 'simobjs kvm-info' diagnoses the host."
)


def _say(text: str) -> None:
    print(f"simobjs demo: {text}", flush=True)


def _exiting(event: Any) -> None:
    import m5

    print(f"Exiting @ tick {m5.curTick()} because {event.getCause()}", flush=True)


def original_run(guest: str, outdir: str, cpu: str, other: str | None) -> tuple[int, str, str]:
    """Run the guest to m5_exit on `cpu`, switching to `other` at each switchcpu.

    Returns the exit code, the checkpoint directory and the terminal file."""
    import m5
    from simobjs.demo.config import build_system

    root = build_system(guest, cpu=cpu, switch_to=other)
    system = root.system
    m5.instantiate(outdir=outdir)
    running = system.cpu
    spare = system.switch_cpus[0] if other else None
    cpt_dir = ""
    while True:
        event = m5.simulate()
        cause = event.getCause()
        if cause == "switchcpu":
            if spare is None:
                _say("switch point reached: staying on the only CPU")
                continue
            m5.switchCpus(system, [(running, spare)])
            running, spare = spare, running
            _say(f"now running on {type(running).__name__} ({running.path()})")
        elif cause == "checkpoint":
            cpt_dir = m5.checkpoint(os.path.join(outdir, "cpt.%d"))
            _say(f"checkpoint written to {cpt_dir}")
        else:
            _exiting(event)
            code = event.getCode()
            break
    terminal = os.path.join(outdir, system.terminal.path())
    m5.close()  # tear down: KVM descriptors released, guest RAM unmapped
    return code, cpt_dir, terminal


def restored_run(guest: str, outdir: str, cpt_dir: str) -> tuple[int, str]:
    """A fresh simulation restored from `cpt_dir` into the reference CPU, run to m5_exit."""
    import m5
    from simobjs.demo.config import build_system

    build_system(guest, cpu="reference")
    m5.instantiate(cpt_dir, outdir=outdir)
    event = m5.simulate()
    while event.getCause() in ("switchcpu", "checkpoint"):
        event = m5.simulate()
    _exiting(event)
    code = event.getCode()
    m5.close()
    return code, os.path.join(outdir, "system.terminal")


def _read(path: str) -> str:
    return Path(path).read_text(errors="replace") if os.path.exists(path) else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="simobjs (demo)", description=__doc__.splitlines()[0])
    parser.add_argument("--reference-only", action="store_true", help="do not use KVM")
    args = parser.parse_args(argv)

    import m5
    from simobjs.guest.build import build_guest

    outdir = m5.options.outdir
    problem = None if args.reference_only else kvm_problem()
    if args.reference_only:
        _say("--reference-only: running on the reference CPU (X86AtomicSimpleCPU) alone")
        cpu, other = "reference", None
    elif problem is not None:
        _say(f"KVM is not usable here: {problem}\n{REMEDY}")
        _say("running the REFERENCE-CPU-ONLY variant instead (no KVM, no CPU switches)")
        cpu, other = "reference", None
    else:
        _say("KVM CPU (X86KvmCPU) with switches to the reference CPU (X86AtomicSimpleCPU)")
        cpu, other = "kvm", "reference"

    guest = str(build_guest([GUEST_SOURCE], "demo"))
    _say(f"guest built: {guest}")

    code, cpt_dir, terminal = original_run(guest, outdir, cpu, other)
    if code != 0 or not cpt_dir:
        _say(f"the guest did not finish cleanly (exit code {code}); see {terminal}")
        return code or 1
    restore_dir = os.path.join(outdir, "restore")
    _say(f"restoring {cpt_dir} into the reference CPU (fresh simulation, same process)")
    rcode, rterminal = restored_run(guest, restore_dir, cpt_dir)

    want = expected_output()
    before = _read(terminal)
    after_mark = want.split(MARK, 1)[1]
    got = _read(rterminal)
    ok = rcode == 0 and before == want and got == after_mark
    if ok:
        _say("the guest printed what it must, and the restored run printed exactly")
        _say("what the original printed after the checkpoint")
    else:
        _say("MISMATCH (expected output, original run, restored run below)")
        print(f"--- expected\n{want}--- original ({terminal})\n{before}", file=sys.stderr)
        print(f"--- restored ({rterminal})\n{got}", file=sys.stderr)

    print()
    print("outputs:")
    for what, path in (
        ("config", os.path.join(outdir, m5.options.dump_config)),
        ("config (JSON)", os.path.join(outdir, m5.options.json_config)),
        ("statistics", os.path.join(outdir, m5.options.stats_file)),
        ("guest output (terminal)", terminal),
        ("checkpoint", cpt_dir),
        ("restored run", restore_dir),
    ):
        print(f"  {what:<24} {path}")
    return 0 if ok else 1
