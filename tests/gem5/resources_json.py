"""A local resources JSON as gem5-resources lists binaries: one entry a program, each with
its md5sum and a file:// URL (or a plain path), for GEM5_RESOURCE_JSON."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path


def write_binaries(path: Path, programs: dict, versions=("23.1", "24.0"), url=True) -> Path:
    """Write the resources JSON `path` listing `programs` (id: built binary)."""
    entries = [
        {
            "category": "binary",
            "id": rid,
            "resource_version": "1.0.0",
            "gem5_versions": list(versions),
            "architecture": "X86",
            "url": f"file://{binary}" if url else str(binary),
            "md5sum": hashlib.md5(Path(binary).read_bytes()).hexdigest(),
        }
        for rid, binary in programs.items()
    ]
    path.write_text(json.dumps(entries, indent=1))
    return path
