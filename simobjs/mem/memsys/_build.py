"""cffi out-of-line API-mode build of the compiled memory system (run at install time).

`memsys.h` is both the cdef and the C header; `memsys.c` is the model. The
module does not link libunicorn: `uc_emu_stop` and `uc_vmem_translate` are
reached through function pointers set from Python.
"""

from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent

ffibuilder = FFI()
ffibuilder.cdef((HERE / "memsys.h").read_text())
ffibuilder.set_source(
    "simobjs.mem.memsys._memsys",
    '#include <stdint.h>\n#include "memsys.h"\n',
    sources=[str(HERE / "memsys.c")],
    include_dirs=[str(HERE)],
    extra_compile_args=["-O2", "-std=c99", "-Wall"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
