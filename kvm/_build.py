"""cffi out-of-line API-mode build of the /dev/kvm binding (run at install time)."""

from pathlib import Path

from cffi import FFI

HERE = Path(__file__).parent

ffibuilder = FFI()
ffibuilder.cdef((HERE / "_kvm_cdef.h").read_text())
ffibuilder.set_source(
    "kvm._kvm_ffi",
    """
    #include <sys/ioctl.h>
    #include <linux/kvm.h>
    """,
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
