"""Restore a checkpoint in this (fresh) process and run the guest to its end:

    python restore_main.py GUEST CHECKPOINT_DIR CPU OUTDIR

CPU is "kvm", "reference" or "timing", optionally with ":N" (N CPUs) or "+caches"
(learning_gem5's L1I/L1D/L2 and a DDR3 MemCtrl). Prints one JSON line: the guest's output after the
restore, the last exit cause and code, and the tick the run ended at.
"""

import json
import sys

import pcrun


def main(argv: list[str]) -> int:
    name, ckpt, spec, outdir = argv
    cpu, _, extra = spec.partition("+")
    cpu, _, n = cpu.partition(":")
    memsys = extra == "caches"
    r = pcrun.run(
        name,
        cpu=cpu,
        restore=ckpt,
        outdir=outdir,
        caches=memsys,
        dram=memsys,
        num_cpus=int(n or 1),
    )
    print(json.dumps({"output": r.output, "cause": r.causes[-1], "code": r.code, "tick": r.ticks}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
