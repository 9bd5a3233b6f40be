"""Checkpoint sections and the m5.cpt INI file (gem5's src/sim/serialize.cc layout).

Values are written gem5's way: integers in decimal, bools `true`/`false`,
lists space-separated, bytes as space-separated decimal integers. Floats are
written with `repr` so they survive a round trip exactly.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from simobjs.errors import CheckpointError

BASE_FILENAME = "m5.cpt"
U64_MAX = 2**64 - 1

# The names of gem5's checkpoint upgraders this layout already contains
# (gem5 v24's util/cpt_upgraders); a reader that misses one only warns.
VERSION_TAGS = sorted(
    """arm-ccregs arm-contextidr-el2 arm-gem5-gic-ext arm-gicv2-banked-regs arm-hdlcd-upgrade
    arm-miscreg-teehbr arm-sve arm-sysreg-mapping-ns armv8 cpu-pid dvfs-perflevel etherswitch
    globals-to-root ide-dma-abort isa-is-simobject memory-per-range mempool-sections
    mempool-to-seworkload multiple-event-queues pci-config-refactor process-fdmap-rename
    register-files remove-arm-cpsr-mode-miscreg riscv-dyn-vlen riscv-hext riscv-pcstate
    riscv-vext ruby-block-size-bytes smt-interrupts x86-add-tlb x86-add-xcr0""".split()
)


def show_value(value: Any) -> str:
    """One value as gem5 writes it in a checkpoint."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return " ".join(str(b) for b in bytes(value))
    if isinstance(value, list | tuple):
        return " ".join(show_value(v) for v in value)
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), int):
        return str(value.value)  # enums are written as their integer
    text = str(value)
    if "\n" in text:
        raise CheckpointError("a checkpoint value cannot contain a newline")
    return text


class Section:
    """One `[name]` of a checkpoint: dict-like writes, typed reads naming the key at fault."""

    def __init__(self, name: str, values: dict[str, str] | None = None, cp: Any = None):
        self.name = name
        self._values: dict[str, str] = values if values is not None else {}
        self.cp = cp  # the CheckpointOut/CheckpointIn holding it (for subsections and .dir)
        self.used = False  # a key was read (a restore reports the sections nobody read)

    def subsection(self, name: str) -> Section:
        """`[<this>.<name>]` in the same checkpoint (gem5's serializeSection)."""
        if self.cp is None:
            raise CheckpointError("section is not part of a checkpoint", self.name)
        return self.cp.section(f"{self.name}.{name}")

    @property
    def dir(self) -> str:
        """The checkpoint directory (where memory stores live)."""
        if self.cp is None:
            raise CheckpointError("section is not part of a checkpoint", self.name)
        return self.cp.dir

    # -- writing -------------------------------------------------------------------
    def __setitem__(self, key: str, value: Any) -> None:
        if "=" in key or "\n" in key:
            raise CheckpointError(f"bad key {key!r}", self.name, key)
        self._values[key] = show_value(value)

    # -- reading -------------------------------------------------------------------
    def __getitem__(self, key: str) -> str:
        self.used = True
        try:
            return self._values[key]
        except KeyError:
            raise CheckpointError("missing key", self.name, key) from None

    def __contains__(self, key: str) -> bool:
        self.used = True
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        self.used = True
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def keys(self):
        self.used = True
        return self._values.keys()

    def items(self):
        self.used = True
        return self._values.items()

    def get(self, key: str, default: str | None = None) -> str | None:
        self.used = True
        return self._values.get(key, default)

    # -- rewriting (checkpoint upgraders) ----------------------------------------------
    def set_raw(self, key: str, text: str) -> None:
        """Store `text` as the key's value exactly as written in m5.cpt."""
        self._values[key] = text

    def replace_all(self, values: dict[str, str]) -> None:
        """Replace every key with `values` (raw texts), in that order."""
        self._values.clear()
        self._values.update(values)

    def _bad(self, key: str, expected: str) -> CheckpointError:
        return CheckpointError(
            f"expected {expected}, got {self._values.get(key)!r}", self.name, key
        )

    def get_int(self, key: str, lo: int | None = None, hi: int | None = None) -> int:
        """The integer at `key`; with `lo`/`hi`, a value outside [lo, hi] (a negative
        tick, a 9-bit byte register) is refused, naming the section and the key."""
        text = self[key]
        try:
            value = int(text, 0) if text.lower().startswith(("0x", "-0x")) else int(text)
        except ValueError:
            raise self._bad(key, "an integer") from None
        self._check_range(key, [value], lo, hi)
        return value

    def _check_range(self, key: str, values: list[int], lo: int | None, hi: int | None) -> None:
        for v in values:
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                low = "" if lo is None else f"{lo:#x}" if lo > 9 else str(lo)
                high = "" if hi is None else f"{hi:#x}" if hi > 9 else str(hi)
                raise CheckpointError(
                    f"impossible value {v}: expected a value in [{low}, {high}]", self.name, key
                )

    def get_float(self, key: str) -> float:
        text = self[key]
        try:
            return float(text)
        except ValueError:
            raise self._bad(key, "a number") from None

    def get_bool(self, key: str) -> bool:
        text = self[key].strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise self._bad(key, "true or false")

    def get_str(self, key: str) -> str:
        return self[key]

    def get_ints(
        self, key: str, length: int | None = None, lo: int | None = None, hi: int | None = None
    ) -> list[int]:
        text = self[key]
        try:
            values = [int(x) for x in text.split()]
        except ValueError:
            raise self._bad(key, "integers") from None
        if length is not None and len(values) != length:
            raise CheckpointError(f"expected {length} values, got {len(values)}", self.name, key)
        self._check_range(key, values, lo, hi)
        return values

    def get_floats(self, key: str) -> list[float]:
        try:
            return [float(x) for x in self[key].split()]
        except ValueError:
            raise self._bad(key, "numbers") from None

    def get_strs(self, key: str) -> list[str]:
        return self[key].split()

    def get_bytes(self, key: str, length: int | None = None) -> bytes:
        return bytes(self.get_ints(key, length, 0, 255))

    def __repr__(self) -> str:
        return f"<Section [{self.name}] {len(self._values)} keys>"


class CheckpointOut:
    """Sections collected in the order written; `text()` renders m5.cpt."""

    def __init__(self, directory: str):
        self.dir = directory
        self._sections: dict[str, Section] = {}

    def section(self, name: str) -> Section:
        sec = self._sections.get(name)
        if sec is None:
            sec = Section(name, cp=self)
            self._sections[name] = sec
        return sec

    def sections(self) -> list[Section]:
        return list(self._sections.values())

    def section_names(self) -> list[str]:
        return list(self._sections)

    def text(self, now: float | None = None) -> str:
        stamp = time.ctime(time.time() if now is None else now)
        parts = [f"## checkpoint generated: {stamp}\n"]
        for sec in self._sections.values():
            parts.append(f"\n[{sec.name}]\n")
            parts.extend(f"{k}={v}\n" for k, v in sec.items())
        return "".join(parts)


class CheckpointIn:
    """A parsed m5.cpt: sections by name, and the directory holding the memory stores."""

    def __init__(self, directory: str, sections: dict[str, Section]):
        self.dir = directory
        self._sections = sections
        self.manifest: dict | None = None  # what the checkpoint's manifest says, if any
        for sec in sections.values():
            sec.cp = self

    @classmethod
    def parse(cls, directory: str, text: str, filename: str = BASE_FILENAME) -> CheckpointIn:
        sections: dict[str, Section] = {}
        current: Section | None = None
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                if not line.endswith("]"):
                    raise CheckpointError(f"{filename}:{lineno}: bad section line {raw!r}")
                name = line[1:-1].strip()
                current = sections.get(name)
                if current is None:
                    current = sections[name] = Section(name)
                continue
            if current is None:
                continue  # anything before the first section is ignored (gem5's IniFile)
            key, sep, value = raw.partition("=")
            if not sep:
                raise CheckpointError(
                    f"{filename}:{lineno}: expected key=value, got {raw!r}", current.name
                )
            current._values[key.strip()] = value.strip()
        return cls(directory, sections)

    def has_section(self, name: str) -> bool:
        return name in self._sections

    sectionExists = has_section

    def section(self, name: str) -> Section:
        try:
            return self._sections[name]
        except KeyError:
            raise CheckpointError("missing section", name) from None

    def sections(self) -> list[str]:
        return list(self._sections)

    def values(self) -> dict[str, dict[str, str]]:
        """Every section's keys and values as written (what the manifest records)."""
        return {name: dict(sec._values) for name, sec in self._sections.items()}

    def forget_reads(self, keep: tuple[str, ...] = ()) -> None:
        """Mark every section unread (but those in `keep`), before the models read them."""
        for name, sec in self._sections.items():
            sec.used = name in keep

    def unused(self) -> list[str]:
        """The sections holding keys that nobody read (state a restore would drop)."""
        return [n for n, s in self._sections.items() if s._values and not s.used]

    def remove_section(self, name: str) -> None:
        self._sections.pop(name, None)
