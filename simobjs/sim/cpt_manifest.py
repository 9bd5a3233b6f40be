"""The checkpoint manifest: what a checkpoint held when it was written.

`simobjs.manifest.json`, written last into every checkpoint directory, holds
the size and a checksum of each file (SHA-256 of m5.cpt, the CRC-32 trailer
of each memory store), and the values of m5.cpt. Restoring checks it before
anything is read:

- a store file that differs from the one written (replaced, truncated, taken
  from another checkpoint) is an error naming it;
- an m5.cpt that was rewritten with the same values (gem5's cpt_upgrader
  rewrites the file; a tool may reorder it) is accepted; one whose values
  changed is an error listing each changed, added and removed key.

A checkpoint without a manifest (gem5's, or one whose manifest was deleted
on purpose after an intended edit) is restored unverified, with a warning.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import sys

from simobjs.errors import CheckpointError
from simobjs.sim.files import open_regular

MANIFEST_NAME = "simobjs.manifest.json"
FORMAT = "simobjs-checkpoint-manifest"
VERSION = 1
STORE_MAGIC = b"SOPMEM01"
_TRAILER = struct.Struct("<4sI")
SHOWN_CHANGES = 20  # changed keys listed in an error; the rest are counted


def _file_entry(path: str) -> dict:
    with open_regular(path) as f:
        head = f.read(len(STORE_MAGIC))
        size = os.fstat(f.fileno()).st_size
        if head == STORE_MAGIC and size >= len(STORE_MAGIC) + _TRAILER.size:
            # a memory store carries the CRC-32 of everything before its trailer
            f.seek(size - _TRAILER.size)
            tag, crc = _TRAILER.unpack(f.read(_TRAILER.size))
            if tag == b"CRC\0":
                return {"size": size, "crc32": crc}
        f.seek(0)
        digest = hashlib.sha256()
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return {"size": size, "sha256": digest.hexdigest()}


def build(
    directory: str, values: dict[str, dict[str, str]], stateless: list[str] | None = None
) -> dict:
    """The manifest of the files in `directory`, the m5.cpt `values` and the sections
    written by objects without state a restore must take (a switched-out CPU's)."""
    files = {}
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if name == MANIFEST_NAME or name.startswith(".") or not os.path.isfile(path):
            continue
        files[name] = _file_entry(path)
    return {
        "format": FORMAT,
        "version": VERSION,
        "files": files,
        "m5.cpt": values,
        "stateless_sections": sorted(stateless or []),
    }


def write(
    directory: str, values: dict[str, dict[str, str]], stateless: list[str] | None = None
) -> None:
    """Write the manifest (fsynced) into a checkpoint directory being built."""
    path = os.path.join(directory, MANIFEST_NAME)
    text = json.dumps(build(directory, values, stateless), indent=1, sort_keys=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")
        f.flush()
        os.fsync(f.fileno())


def read(directory: str) -> dict | None:
    """The manifest of a checkpoint directory; None when it has none."""
    path = os.path.join(directory, MANIFEST_NAME)
    try:
        f = open_regular(path, "r")
    except FileNotFoundError:
        return None
    except OSError as e:
        raise CheckpointError(f"cannot read the manifest {path}: {e.strerror}") from None
    with f:
        try:
            doc = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise CheckpointError(f"the manifest {path} is corrupt: {e}") from None
    ok = (
        isinstance(doc, dict)
        and doc.get("format") == FORMAT
        and isinstance(doc.get("files"), dict)
        and isinstance(doc.get("m5.cpt"), dict)
    )
    if not ok:
        raise CheckpointError(f"the manifest {path} is not a simobjs checkpoint manifest")
    if doc.get("version") != VERSION:
        raise CheckpointError(
            f"the manifest {path} has version {doc.get('version')}, this simobjs reads {VERSION}"
        )
    return doc


def _changes(old: dict[str, dict[str, str]], new: dict[str, dict[str, str]]) -> list[str]:
    out = []
    for sec in sorted(old.keys() | new.keys()):
        a, b = old.get(sec), new.get(sec)
        if a is None:
            out.append(f"[{sec}] added")
            continue
        if b is None:
            out.append(f"[{sec}] removed")
            continue
        for key in sorted(a.keys() | b.keys()):
            if key not in b:
                out.append(f"[{sec}] {key} removed (was {_short(a[key])})")
            elif key not in a:
                out.append(f"[{sec}] {key} added ({_short(b[key])})")
            elif a[key] != b[key]:
                out.append(f"[{sec}] {key}: {_short(a[key])} -> {_short(b[key])}")
    return out


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def verify(directory: str, cpt_values: dict[str, dict[str, str]]) -> dict | None:
    """Check the checkpoint in `directory` (m5.cpt already parsed into `cpt_values`)
    against its manifest; a CheckpointError says what differs. Returns the manifest
    (None when there is none)."""
    doc = read(directory)
    manifest = os.path.join(directory, MANIFEST_NAME)
    if doc is None:
        print(
            f"warn: {directory} has no {MANIFEST_NAME} (not written by simobjs, or the "
            "manifest was removed): its files are restored without verification",
            file=sys.stderr,
        )
        return None
    changes = _changes(doc["m5.cpt"], cpt_values)
    if changes:
        shown = changes[:SHOWN_CHANGES]
        more = len(changes) - len(shown)
        lines = "\n".join(f"  {c}" for c in shown) + (f"\n  ... and {more} more" if more else "")
        raise CheckpointError(
            f"{os.path.join(directory, 'm5.cpt')} was changed after the checkpoint was "
            f"written ({len(changes)} difference{'s' if len(changes) > 1 else ''}):\n{lines}\n"
            f"  (if the change is intended, delete {manifest} to restore it unverified)"
        )
    for name, want in sorted(doc["files"].items()):
        if name == "m5.cpt":
            continue  # its values were compared (a rewrite with equal values is fine)
        path = os.path.join(directory, name)
        if os.sep in name or name.startswith("."):
            raise CheckpointError(f"the manifest {manifest} names a bad file {name!r}")
        try:
            got = _file_entry(path)
        except FileNotFoundError:
            raise CheckpointError(
                f"{path} is missing (the manifest lists it: the checkpoint is incomplete)"
            ) from None
        except OSError as e:
            raise CheckpointError(f"cannot read {path}: {e.strerror or e}") from None
        if got != want:
            raise CheckpointError(
                f"{path} is not the file this checkpoint wrote (manifest: {_entry(want)}; "
                f"found: {_entry(got)}): it was modified, truncated or replaced"
            )
    return doc


def _entry(e: dict) -> str:
    check = (
        f"crc32 {e['crc32']:#010x}" if "crc32" in e else f"sha256 {str(e.get('sha256'))[:16]}..."
    )
    return f"{e.get('size')} bytes, {check}"
