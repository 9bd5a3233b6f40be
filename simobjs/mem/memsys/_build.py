"""cffi out-of-line API-mode build of the compiled memory system (run at install time).

`memsys.h` is both the cdef and the C header; `memsys.c` is the model. The
module does not link libunicorn: `uc_emu_stop` and `uc_vmem_translate` are
reached through function pointers set from Python.
"""

import os
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
# setuptools wants source paths relative to the directory it runs in (the project root)
SOURCE_DIR = os.path.relpath(HERE)

ffibuilder = FFI()
ffibuilder.cdef((HERE / "memsys.h").read_text())
ffibuilder.set_source(
    "simobjs.mem.memsys._memsys",
    '#include <stdint.h>\n#include "memsys.h"\n',
    sources=[os.path.join(SOURCE_DIR, "memsys.c")],
    include_dirs=[SOURCE_DIR],
    extra_compile_args=["-O2", "-std=c99", "-Wall"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
