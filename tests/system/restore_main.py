"""Restore a checkpoint in this (fresh) process and run the guest to its end:

    python restore_main.py GUEST CHECKPOINT_DIR CPU OUTDIR

CPU is "kvm" or "reference". Prints one JSON line: the guest's output after the
restore, the last exit cause and code, and the tick the run ended at.
"""

import json
import sys

import pcrun


def main(argv: list[str]) -> int:
    name, ckpt, cpu, outdir = argv
    r = pcrun.run(name, cpu=cpu, restore=ckpt, outdir=outdir)
    print(json.dumps({"output": r.output, "cause": r.causes[-1], "code": r.code, "tick": r.ticks}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
