"""Build bare-metal guests with the system gcc and the SDK in this package.

`build_guest(["prog.c"], "prog")` compiles the SDK (ring-0 part with
-mgeneral-regs-only) and the given sources into a static ELF at 1 MiB, cached
under ~/.cache/simobjs/guests (or $SIMOBJS_CACHE) by a hash of the sources,
the flags and the compiler version. `example_guest("hello")` builds a shipped
example (simobjs/guest/examples/hello.c).
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from simobjs.errors import SimobjsError

GUEST_DIR = Path(__file__).resolve().parent
INCLUDE_DIR = GUEST_DIR / "include"
SDK_DIR = GUEST_DIR / "sdk"
EXAMPLES_DIR = GUEST_DIR / "examples"
LINKER_SCRIPT = SDK_DIR / "link.ld"
SDK_SOURCES = (SDK_DIR / "crt0.S", SDK_DIR / "kernel.c", SDK_DIR / "libc.c")

COMMON_CFLAGS = (
    "-static",
    "-nostdlib",
    "-ffreestanding",
    "-fno-pic",
    "-no-pie",
    "-mno-red-zone",
    "-O2",
    "-fno-stack-protector",
    "-fno-asynchronous-unwind-tables",
    "-fcf-protection=none",
    "-fno-tree-loop-distribute-patterns",
    "-Wall",
)
SDK_CFLAGS = ("-mgeneral-regs-only",)  # the SDK runs in ring 0 too: no x87/SSE there
LDFLAGS = ("-Wl,-z,max-page-size=4096", "-Wl,--build-id=none", "-Wl,-z,noexecstack")

# Examples made of several files: the compute kernel lives apart so it can be built natively.
EXAMPLE_EXTRA_SOURCES = {
    "compute": ("crc32.c",),
    "switch": ("crc32.c",),
    "timer": ("crc32.c",),
    "apic_timer": ("crc32.c",),
}


class GuestBuildError(SimobjsError):
    """A guest could not be built: the compiler is missing or reported errors."""


def cache_dir() -> Path:
    env = os.environ.get("SIMOBJS_CACHE")
    base = Path(env) if env else Path.home() / ".cache" / "simobjs"
    return base / "guests"


def find_compiler() -> str:
    cc = os.environ.get("CC") or "gcc"
    path = shutil.which(cc)
    if path is None:
        raise GuestBuildError(
            f"cannot build guests: the C compiler '{cc}' was not found on PATH. "
            "Install gcc (Debian/Ubuntu: apt-get install gcc) or set CC to an x86-64 gcc."
        )
    return path


@functools.lru_cache(maxsize=8)
def _compiler_version(cc: str) -> str:
    try:
        out = subprocess.run([cc, "--version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        raise GuestBuildError(f"cannot run the C compiler {cc}: {e}") from e
    return out.stdout.splitlines()[0] if out.stdout else cc


def _key(sources: Sequence[Path], flags: Iterable[str], version: str) -> str:
    h = hashlib.sha256()
    h.update(version.encode())
    for flag in flags:
        h.update(b"\0flag:" + flag.encode())
    sdk_files = sorted(p for p in (INCLUDE_DIR.glob("*.h")))
    for path in [*sdk_files, *SDK_SOURCES, LINKER_SCRIPT, *sources]:
        h.update(b"\0file:" + path.name.encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()[:20]


def _run(cmd: list[str], what: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise GuestBuildError(
            f"{what} failed (exit {proc.returncode}):\n  {' '.join(cmd)}\n{proc.stderr.strip()}"
        )


def build_guest(
    sources: Sequence[str | os.PathLike], name: str, extra_cflags: Sequence[str] = ()
) -> Path:
    """Compile `sources` with the SDK into a static ELF; returns the cached path."""
    srcs = [Path(s).resolve() for s in sources]
    missing = [str(s) for s in srcs if not s.is_file()]
    if missing:
        raise GuestBuildError(f"guest '{name}': source file(s) not found: {', '.join(missing)}")
    if not srcs:
        raise GuestBuildError(f"guest '{name}': no source files given")
    cc = find_compiler()
    extra = tuple(extra_cflags)
    key = _key(srcs, (*COMMON_CFLAGS, *SDK_CFLAGS, *LDFLAGS, "|", *extra), _compiler_version(cc))
    out_dir = cache_dir()
    target = out_dir / f"{name}-{key}.elf"
    if target.is_file():
        return target
    out_dir.mkdir(parents=True, exist_ok=True)
    inc = f"-I{INCLUDE_DIR}"
    with tempfile.TemporaryDirectory(prefix=f"{name}-", dir=out_dir) as tmp:
        objs = []
        for i, src in enumerate([*SDK_SOURCES, *srcs]):
            obj = Path(tmp) / f"{i}-{src.stem}.o"
            flags = [*COMMON_CFLAGS, inc]
            if i < len(SDK_SOURCES):
                flags += SDK_CFLAGS
            else:
                flags += extra
            _run([cc, *flags, "-c", str(src), "-o", str(obj)], f"compiling {src.name}")
            objs.append(str(obj))
        elf = Path(tmp) / "guest.elf"
        _run(
            [
                cc,
                *COMMON_CFLAGS,
                *LDFLAGS,
                "-T",
                str(LINKER_SCRIPT),
                *objs,
                "-lgcc",
                "-o",
                str(elf),
            ],
            f"linking guest '{name}'",
        )
        os.replace(elf, target)  # atomic: a concurrent build of the same key is harmless
    return target


def example_names() -> list[str]:
    """The shipped example guests (each has <name>.c and <name>.expected)."""
    return sorted(p.stem for p in EXAMPLES_DIR.glob("*.expected"))


def example_sources(name: str) -> list[Path]:
    main = EXAMPLES_DIR / f"{name}.c"
    if not main.is_file():
        known = ", ".join(example_names())
        raise GuestBuildError(f"no example guest named '{name}'; known: {known}")
    return [main, *(EXAMPLES_DIR / extra for extra in EXAMPLE_EXTRA_SOURCES.get(name, ()))]


def example_guest(name: str) -> Path:
    """Build (or find in the cache) the shipped example guest `name`."""
    return build_guest(example_sources(name), name)


def expected_output(name: str) -> str:
    """What example `name` prints on the UART (for tests and demos)."""
    return (EXAMPLES_DIR / f"{name}.expected").read_text()
