"""Build static Linux programs for SE mode with the system's gcc (glibc) or musl-gcc.

`build_se_program(["prog.c"], "prog", libc="musl")` compiles a static x86-64 ELF
(`-static`, or `-static-pie` with pie=True), cached under
~/.cache/simobjs/se (or $SIMOBJS_CACHE/se) by a hash of the sources, the flags and
the compiler. `se_example("hello", "glibc")` builds a shipped example
(simobjs/guest/se/hello.c). Programs may include <m5ops.h> (gem5's util/m5 calls).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from simobjs.guest.build import GuestBuildError, _compiler_version

SE_DIR = Path(__file__).resolve().parent / "se"
SE_INCLUDE = SE_DIR / "include"
LIBCS = {"glibc": "gcc", "musl": "musl-gcc"}
CFLAGS = ("-O2", "-Wall", "-fno-strict-aliasing")
LIBS = {"threads": ("-pthread",)}


def cache_dir() -> Path:
    env = os.environ.get("SIMOBJS_CACHE")
    base = Path(env) if env else Path.home() / ".cache" / "simobjs"
    return base / "se"


def compiler(libc: str) -> str:
    if libc not in LIBCS:
        raise GuestBuildError(f"unknown C library '{libc}'; known: {', '.join(LIBCS)}")
    name = LIBCS[libc]
    if libc == "glibc":
        name = os.environ.get("CC") or name
    path = shutil.which(name)
    if path is None:
        hint = "apt-get install musl-tools" if libc == "musl" else "apt-get install gcc"
        raise GuestBuildError(f"cannot build {libc} programs: '{name}' is not on PATH ({hint})")
    return path


def build_se_program(
    sources: Sequence[str | os.PathLike],
    name: str,
    libc: str = "glibc",
    pie: bool = False,
    extra_cflags: Sequence[str] = (),
) -> Path:
    """Compile `sources` into a static program for SE mode; returns the cached path."""
    srcs = [Path(s).resolve() for s in sources]
    missing = [str(s) for s in srcs if not s.is_file()]
    if missing or not srcs:
        raise GuestBuildError(f"program '{name}': source file(s) not found: {', '.join(missing)}")
    cc = compiler(libc)
    link = ("-static-pie",) if pie else ("-static", "-no-pie")
    flags = (*CFLAGS, f"-I{SE_INCLUDE}", *extra_cflags, *link)
    h = hashlib.sha256()
    h.update(_compiler_version(cc).encode() + b"\0" + cc.encode())
    for f in flags:
        h.update(b"\0flag:" + f.encode())
    for path in [*sorted(SE_INCLUDE.glob("*.h")), *srcs]:
        h.update(b"\0file:" + path.name.encode() + b"\0" + path.read_bytes())
    out = cache_dir()
    target = out / f"{name}-{libc}{'-pie' if pie else ''}-{h.hexdigest()[:16]}"
    if target.is_file():
        return target
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{name}-", dir=out) as tmp:
        elf = Path(tmp) / name
        cmd = [cc, *flags, *map(str, srcs), "-o", str(elf), "-lpthread"]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode:
            raise GuestBuildError(
                f"building '{name}' ({libc}) failed (exit {proc.returncode}):\n  {' '.join(cmd)}"
                f"\n{proc.stderr.strip()}"
            )
        os.replace(elf, target)
    return target


def se_example_names() -> list[str]:
    return sorted(p.stem for p in SE_DIR.glob("*.c"))


def se_example(name: str, libc: str = "glibc", pie: bool = False) -> Path:
    """Build (or find in the cache) the shipped SE example `name`."""
    src = SE_DIR / f"{name}.c"
    if not src.is_file():
        raise GuestBuildError(
            f"no SE example named '{name}'; known: {', '.join(se_example_names())}"
        )
    return build_se_program([src], name, libc, pie)
