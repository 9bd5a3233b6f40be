"""The `simobjs` command (gem5.opt's options)."""

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    print("simobjs: command line not built yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
