"""Memory images for `AbstractMemory.image_file` (gem5's createObjectFile(file, raw=true)).

An ELF file gives its PT_LOAD segments at their physical addresses (the bytes
in the file, then zeros up to the segment's memory size); any other file is a
raw image starting at address 0. As gem5 does, an image whose first address
is outside the memory's range is moved to the range's start (with a warning);
an image that then does not fit is an error.
"""

from __future__ import annotations

import os
import struct
import sys

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from simobjs.sim.files import open_regular


class ImageError(ValueError):
    """The image cannot be read or placed: the text says why."""


def read_image(path: str, limit: int) -> list[tuple[int, bytes]]:
    """(address, bytes) chunks of the image in `path`; a raw image larger than `limit`
    bytes (the memory's size) is refused before it is read."""
    with open_regular(path) as f:
        size = os.fstat(f.fileno()).st_size
        if f.read(4) != b"\x7fELF":
            if size > limit:
                raise ImageError(f"the raw image has {size} bytes, the memory {limit}")
            f.seek(0)
            return [(0, f.read())]
        f.seek(0)
        try:
            return _elf_chunks(f, size)
        except (ELFError, ValueError, struct.error, OverflowError, EOFError, OSError) as e:
            raise ImageError(f"malformed ELF file: {e}") from e


def _elf_chunks(f, size: int) -> list[tuple[int, bytes]]:
    chunks = []
    for i, seg in enumerate(ELFFile(f).iter_segments()):
        if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
            continue
        offset, filesz, memsz = seg["p_offset"], seg["p_filesz"], seg["p_memsz"]
        if filesz > memsz or offset + filesz > size:
            raise ImageError(
                f"PT_LOAD segment {i} needs file bytes [{offset:#x}, {offset + filesz:#x}) "
                f"of {memsz} in memory, the file has {size} bytes: truncated or corrupt"
            )
        data = seg.data()
        chunks.append((seg["p_paddr"], data + bytes(memsz - len(data))))
    return chunks


def place(chunks: list[tuple[int, bytes]], start: int, end: int, who: str) -> list:
    """The chunks moved into [start, end) as gem5 moves an image; ImageError if it
    does not fit."""
    if not chunks:
        return []
    low = min(a for a, _ in chunks)
    high = max(a + len(d) for a, d in chunks)
    if not start <= low < end:
        print(
            f"warn: {who}: moving the image from [{low:#x}, {high:#x}) to the memory's "
            f"range starting at {start:#x}",
            file=sys.stderr,
        )
        chunks = [(a - low + start, d) for a, d in chunks]
        low, high = start, high - low + start
    if high > end:
        raise ImageError(
            f"the image [{low:#x}, {high:#x}) does not fit the memory's range "
            f"[{start:#x}, {end:#x})"
        )
    return chunks
