"""Memory checkpoint speed: simobjs's sparse store against gem5's gzip of the whole range.

A 1 GiB guest RAM with 64 MiB touched (random pages, random bytes). Both sides
write to disk with fsync and read back into a fresh RAM mapping, in one run.
gem5 gzips the whole range (zlib level 6, gzopen's default); simobjs writes
only non-zero pages and reads them straight into the RAM view.
Prints seconds and ratios (target: >= 10x faster for save and for restore).
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import shutil
import tempfile
import time

from simobjs.mem.guest_ram import GuestRam
from simobjs.sim.physmem_store import _numpy, read_store, write_store

PAGE = 4096


def _touch(ram: GuestRam, touched: int, seed: int) -> None:
    rnd = random.Random(seed)
    pages = rnd.sample(range(ram.size // PAGE), touched // PAGE)
    blob = rnd.randbytes(PAGE * 64)
    for i, page in enumerate(pages):
        off = (i % 64) * PAGE
        ram.view[page * PAGE : (page + 1) * PAGE] = blob[off : off + PAGE]


def gzip_save(path: str, ram: GuestRam) -> None:
    with open(path, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) as f:
            step = 1 << 24
            for off in range(0, ram.size, step):
                f.write(ram.view[off : off + step])
        raw.flush()
        os.fsync(raw.fileno())


def gzip_restore(path: str, ram: GuestRam) -> None:
    with gzip.open(path, "rb") as f:
        off = 0
        while off < ram.size:
            n = f.readinto(ram.view[off : off + (1 << 24)])
            if not n:
                raise ValueError("gzip store shorter than the memory")
            off += n


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--touched-mib", type=int, default=64)
    ap.add_argument("--dir", default=None, help="where to write (default: a temporary directory)")
    args = ap.parse_args(argv)
    size, touched = args.size_mib << 20, args.touched_mib << 20
    workdir = tempfile.mkdtemp(prefix="ckpt-bench-", dir=args.dir)
    src = GuestRam(0, size, "bench-src")
    try:
        _touch(src, touched, 7)
        ours_path = os.path.join(workdir, "store0.pmem")
        gz_path = os.path.join(workdir, "store0.pmem.gz")

        t0 = time.perf_counter()
        _numpy()  # imported once per process, on the first checkpoint
        numpy_import = time.perf_counter() - t0
        t0 = time.perf_counter()
        write_store(ours_path, src.view, src.host_address)
        ours_save = time.perf_counter() - t0
        t0 = time.perf_counter()
        gzip_save(gz_path, src)
        gz_save = time.perf_counter() - t0

        results = {}
        for label, fn, path in (
            ("simobjs", read_store, ours_path),
            ("gzip", gzip_restore, gz_path),
        ):
            dst = GuestRam(0, size, f"bench-{label}")
            try:
                t0 = time.perf_counter()
                fn(path, dst.view) if fn is read_store else fn(path, dst)
                results[label] = time.perf_counter() - t0
                if bytes(dst.view[: 1 << 20]) != bytes(src.view[: 1 << 20]) or dst.view != src.view:
                    raise SystemExit(f"{label} restore differs from the source")
            finally:
                dst.close()
        ours_load, gz_load = results["simobjs"], results["gzip"]
        print(f"guest RAM {args.size_mib} MiB, {args.touched_mib} MiB touched")
        print(
            f"  (numpy, used to find non-zero pages, imported once: {numpy_import:.3f} s, not counted)"
        )
        print(
            f"  file size: simobjs {os.path.getsize(ours_path) >> 20} MiB, "
            f"gzip {os.path.getsize(gz_path) >> 20} MiB"
        )
        print(
            f"  save:    simobjs {ours_save:7.3f} s   gzip {gz_save:7.3f} s   "
            f"ratio {gz_save / ours_save:5.1f}x (target >= 10x)"
        )
        print(
            f"  restore: simobjs {ours_load:7.3f} s   gzip {gz_load:7.3f} s   "
            f"ratio {gz_load / ours_load:5.1f}x (target >= 10x)"
        )
    finally:
        src.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
