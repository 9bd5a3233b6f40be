"""Sparse memory store files: only the non-zero pages of a guest RAM range.

gem5 writes each store as the whole range gzip-compressed; here a store is

    offset  size        field
    0       8           magic b"SOPMEM01"
    8       8           range_size (bytes, little-endian u64)
    16      4           page_size (u32)
    20      4           nruns (u32): runs of consecutive non-zero pages
    24      16*nruns    runs: (first_page u64, npages u64), ascending, disjoint
    ...     sum(npages)*page_size   the pages of every run, in run order
    end-8   8           trailer: b"CRC" + 1 zero byte + crc32 (u32) of everything before

Untouched (all-zero) pages cost nothing. Saving reads the RAM view in place;
restoring reads each run straight into the RAM view with `readinto`.
"""

from __future__ import annotations

import ctypes
import os
import struct
import zlib

from simobjs.errors import CheckpointError
from simobjs.sim.files import open_regular

MAGIC = b"SOPMEM01"
_HEAD = struct.Struct("<8sQII")
_RUN = struct.Struct("<QQ")
_TRAILER = struct.Struct("<4sI")
PAGE_SIZE = 4096
CHUNK = 1 << 20  # pages are looked at only inside non-zero 1 MiB chunks

try:
    _libc = ctypes.CDLL(None)
    _memcmp = _libc.memcmp
    _memcmp.restype = ctypes.c_int
    _memcmp.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
except (OSError, AttributeError):  # pragma: no cover - every libc has memcmp
    _memcmp = None

_np = None  # numpy, when installed: one vectorised pass finds every non-zero page


def _numpy():
    """numpy if it is installed (optional; imported on first use, it takes a while)."""
    global _np
    if _np is None:
        try:
            import numpy
        except ImportError:  # pragma: no cover - exercised where numpy is absent
            _np = False
        else:
            _np = numpy
    return _np or None


_ZERO = bytes(CHUNK)
_ZERO_BUF = ctypes.create_string_buffer(CHUNK)
_ZERO_ADDR = ctypes.addressof(_ZERO_BUF)


def _zero_test(view: memoryview, host_address: int | None):
    """A function is_zero(offset, length) over the view (memcmp when the address is known)."""
    if host_address is not None and _memcmp is not None:

        def is_zero(off: int, length: int) -> bool:
            # in bounds: callers pass off + length <= len(view), the mapping's size
            return _memcmp(host_address + off, _ZERO_ADDR, length) == 0

    else:

        def is_zero(off: int, length: int) -> bool:
            return view[off : off + length].tobytes() == _ZERO[:length]

    return is_zero


def _runs_from_flags(pages: list[int]) -> list[tuple[int, int]]:
    """Runs of consecutive page numbers from an ascending list."""
    runs: list[tuple[int, int]] = []
    start = end = -1
    for page in pages:
        if start >= 0 and page == end:
            end += 1
            continue
        if start >= 0:
            runs.append((start, end - start))
        start, end = page, page + 1
    if start >= 0:
        runs.append((start, end - start))
    return runs


def nonzero_runs(
    view: memoryview, host_address: int | None = None, vectorised: bool = True
) -> list[tuple[int, int]]:
    """(first_page, npages) runs of the pages holding any non-zero byte."""
    size = len(view)
    np = _numpy() if vectorised else None
    if np is not None and size % PAGE_SIZE == 0 and size:
        # in bounds: the array is the view itself, page by page
        pages = np.frombuffer(view, dtype=np.uint64).reshape(-1, PAGE_SIZE // 8)
        flags = pages.any(axis=1)
        del pages
        return _runs_from_flags(np.flatnonzero(flags).tolist())
    is_zero = _zero_test(view, host_address)
    runs: list[tuple[int, int]] = []
    start = -1
    for chunk in range(0, size, CHUNK):
        clen = min(CHUNK, size - chunk)
        if is_zero(chunk, clen):
            if start >= 0:
                runs.append((start, chunk // PAGE_SIZE - start))
                start = -1
            continue
        for off in range(chunk, chunk + clen, PAGE_SIZE):
            if is_zero(off, PAGE_SIZE):
                if start >= 0:
                    runs.append((start, off // PAGE_SIZE - start))
                    start = -1
            elif start < 0:
                start = off // PAGE_SIZE
    if start >= 0:
        runs.append((start, size // PAGE_SIZE - start))
    return runs


def write_store(path: str, view: memoryview, host_address: int | None = None) -> int:
    """Write the store file (fsynced); returns the bytes of page data written."""
    size = len(view)
    if size % PAGE_SIZE:
        raise CheckpointError(f"memory size {size} is not a multiple of {PAGE_SIZE}")
    runs = nonzero_runs(view, host_address)
    head = _HEAD.pack(MAGIC, size, PAGE_SIZE, len(runs))
    index = b"".join(_RUN.pack(first, n) for first, n in runs)
    crc = zlib.crc32(index, zlib.crc32(head))
    data = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    batch: list[memoryview] = []
    try:
        _write_all(fd, [head, index])
        for first, n in runs:
            # in bounds: runs lie in view
            chunk = view[first * PAGE_SIZE : (first + n) * PAGE_SIZE]
            crc = zlib.crc32(chunk, crc)
            data += len(chunk)
            batch.append(chunk)
            if len(batch) == _IOV_MAX:
                _write_all(fd, batch)
                _release(batch)
        _write_all(fd, batch)
        _release(batch)
        _write_all(fd, [_TRAILER.pack(b"CRC\0", crc & 0xFFFFFFFF)])
        os.fsync(fd)
    finally:
        _release(batch)
        os.close(fd)
    return data


_IOV_MAX = 1024


def _release(batch: list[memoryview]) -> None:
    """Release the RAM slices at once, so the RAM can be unmapped after an error too."""
    for mv in batch:
        mv.release()
    batch.clear()


def _write_all(fd: int, buffers: list) -> None:
    """writev until every byte of `buffers` is written (one syscall per ~1024 runs)."""
    pending = [memoryview(b).cast("B") for b in buffers]
    try:
        while pending:
            done = os.writev(fd, pending)
            while pending and done >= len(pending[0]):
                done -= len(pending[0])
                pending.pop(0).release()
            if pending and done:
                rest = pending[0][done:]
                pending[0].release()
                pending[0] = rest
    finally:
        _release(pending)


def read_store(path: str, view: memoryview, section: str = "", key: str = "filename") -> None:
    """Read a store into a zeroed RAM view, refusing bad, truncated or mismatched files."""
    try:
        f = open_regular(path, "rb")  # a FIFO or a device is refused, without blocking
    except OSError as e:
        raise CheckpointError(
            f"cannot open memory store {path}: {e.strerror or e}", section, key
        ) from None
    with f:
        file_size = os.fstat(f.fileno()).st_size
        head = f.read(_HEAD.size)
        if len(head) != _HEAD.size:
            raise CheckpointError(f"memory store {path} is truncated (no header)", section, key)
        magic, size, page, nruns = _HEAD.unpack(head)
        if magic != MAGIC:
            raise CheckpointError(f"{path} is not a memory store (magic {magic!r})", section, key)
        if size != len(view):
            raise CheckpointError(
                f"memory store {path} holds {size} bytes, the memory has {len(view)}",
                section,
                "range_size",
            )
        if page != PAGE_SIZE:
            raise CheckpointError(
                f"memory store {path}: page size {page} unsupported", section, key
            )
        if _HEAD.size + _RUN.size * nruns + _TRAILER.size > file_size:
            raise CheckpointError(
                f"memory store {path} is truncated or corrupt (its header counts {nruns} "
                f"page runs, the file has room for fewer)",
                section,
                key,
            )
        index = f.read(_RUN.size * nruns)
        if len(index) != _RUN.size * nruns:
            raise CheckpointError(f"memory store {path} is truncated (page map)", section, key)
        runs = [_RUN.unpack_from(index, i * _RUN.size) for i in range(nruns)]
        total = sum(n for _, n in runs) * PAGE_SIZE
        expected = _HEAD.size + len(index) + total + _TRAILER.size
        if file_size != expected:
            raise CheckpointError(
                f"memory store {path} is {file_size} bytes, its page map says {expected} "
                f"(truncated or corrupt)",
                section,
                key,
            )
        crc = zlib.crc32(index, zlib.crc32(head))
        last = 0
        for first, n in runs:
            if first < last or (first + n) * PAGE_SIZE > size:
                raise CheckpointError(f"memory store {path}: bad page map", section, key)
            last = first + n
            # in bounds: checked just above; released at once so the RAM can be unmapped
            with view[first * PAGE_SIZE : last * PAGE_SIZE] as chunk:
                got = f.readinto(chunk)
                crc = zlib.crc32(chunk, crc)
            if got != (last - first) * PAGE_SIZE:
                raise CheckpointError(f"memory store {path} is truncated (pages)", section, key)
        tag, stored = _TRAILER.unpack(f.read(_TRAILER.size))
        if tag != b"CRC\0" or stored != crc & 0xFFFFFFFF:
            raise CheckpointError(f"memory store {path} fails its checksum (corrupt)", section, key)
