"""simobjs's default demo as a gem5-style script: `simobjs [options] run_demo.py`.

Options: --reference-only (run without KVM).
"""

import sys

from simobjs.demo.demo import main

if __name__ in ("__m5_main__", "__main__"):
    sys.exit(main(sys.argv[1:]))
