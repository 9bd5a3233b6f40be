"""Reading and checking the programs SE mode runs: static x86-64 Linux ELF files.

`inspect_program(path)` reads the ELF and program headers and refuses, naming the
file and why, anything SE mode cannot run: not ELF, 32-bit, another machine,
another OS ABI, dynamically linked (it has a program interpreter), truncated, no
loadable segment. Static executables (ET_EXEC) and static-pie ones (ET_DYN with no
interpreter) are accepted.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field

from simobjs.errors import SimobjsError

PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_PHDR, PT_TLS = 1, 2, 3, 6, 7
PT_GNU_STACK = 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4
ET_EXEC, ET_DYN = 2, 3
EM_X86_64 = 62
_MACHINES = {
    3: "i386 (EM_386)",
    40: "ARM (EM_ARM)",
    183: "AArch64 (EM_AARCH64)",
    243: "RISC-V (EM_RISCV)",
    8: "MIPS (EM_MIPS)",
    20: "PowerPC (EM_PPC)",
    21: "PowerPC64 (EM_PPC64)",
    22: "S390 (EM_S390)",
}
_OSABI = {0: "unknown", 3: "linux"}  # SYSV (0) is what Linux toolchains write
_EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
_PHDR = struct.Struct("<IIQQQQQQ")


class ProgramError(SimobjsError, ValueError):
    """A file SE mode cannot run: `file` and `problem` say which and why."""

    def __init__(self, path: str, problem: str) -> None:
        self.file = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


@dataclass(frozen=True)
class Segment:
    """One program header."""

    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int
    align: int


@dataclass
class ProgramInfo:
    """What the loader needs from an accepted program."""

    path: str
    arch: str
    os: str
    pie: bool
    entry: int
    phoff: int
    phentsize: int
    phnum: int
    segments: list[Segment] = field(default_factory=list)
    size: int = 0

    @property
    def loads(self) -> list[Segment]:
        return [s for s in self.segments if s.type == PT_LOAD and s.memsz]

    @property
    def kind(self) -> str:
        return "static-pie" if self.pie else "static"


def inspect_program(path: str | os.PathLike) -> ProgramInfo:
    """Check the program at `path`; returns its ELF facts or raises ProgramError."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except IsADirectoryError:
        raise ProgramError(path, "is a directory, not a program") from None
    except OSError as e:
        raise ProgramError(path, f"cannot open the program: {e.strerror}") from None
    return parse_program(path, data)


def parse_program(path: str, data: bytes) -> ProgramInfo:
    """`inspect_program` on bytes already read."""
    if data[:4] != b"\x7fELF":
        what = "an empty file" if not data else "no \\x7fELF magic"
        if data[:2] == b"#!":
            what = "a script (#!), not a binary"
        raise ProgramError(path, f"not an ELF file ({what})")
    if len(data) < 5:
        raise ProgramError(path, f"truncated: {len(data)} bytes, shorter than an ELF header")
    if data[4] == 1:
        raise ProgramError(path, "a 32-bit ELF (ELFCLASS32): SE mode runs x86-64 programs only")
    if data[4] != 2:
        raise ProgramError(path, f"unknown ELF class {data[4]}")
    if len(data) < _EHDR.size:
        raise ProgramError(path, f"truncated: {len(data)} bytes, shorter than the ELF header")
    ident, etype, machine, _v, entry, phoff, _sh, _fl, _eh, phentsize, phnum, *_ = (
        _EHDR.unpack_from(data)
    )
    if ident[5] != 1:
        raise ProgramError(path, "a big-endian ELF: SE mode runs x86-64 programs only")
    if machine != EM_X86_64:
        name = _MACHINES.get(machine, f"machine {machine}")
        raise ProgramError(path, f"built for {name}, not x86-64: SE mode runs x86-64 programs")
    osabi = _OSABI.get(ident[7])
    if osabi is None:
        raise ProgramError(path, f"OS ABI {ident[7]} is not Linux")
    if etype not in (ET_EXEC, ET_DYN):
        kind = {0: "ET_NONE", 1: "a relocatable object (ET_REL)", 4: "a core dump (ET_CORE)"}
        raise ProgramError(path, f"not an executable: {kind.get(etype, f'type {etype}')}")
    if phentsize != _PHDR.size or phnum == 0:
        raise ProgramError(path, f"no usable program headers (phnum {phnum})")
    if phoff + phnum * phentsize > len(data):
        raise ProgramError(
            path,
            f"truncated: program headers end at byte {phoff + phnum * phentsize}, "
            f"the file has {len(data)}",
        )
    segments = []
    for i in range(phnum):
        ptype, flags, offset, vaddr, _paddr, filesz, memsz, align = _PHDR.unpack_from(
            data, phoff + i * phentsize
        )
        seg = Segment(ptype, flags, offset, vaddr, filesz, memsz, align)
        if ptype == PT_INTERP:
            interp = data[offset : offset + filesz].split(b"\0")[0].decode(errors="replace")
            raise ProgramError(
                path,
                f"dynamically linked (program interpreter {interp}): SE mode runs static "
                "programs; link it with -static (or -static-pie)",
            )
        if ptype == PT_LOAD:
            if filesz > memsz:
                raise ProgramError(path, f"segment {i}: file size {filesz} > memory size {memsz}")
            if offset + filesz > len(data):
                raise ProgramError(
                    path,
                    f"truncated: segment {i} needs bytes up to {offset + filesz}, "
                    f"the file has {len(data)}",
                )
            if (vaddr - offset) % 4096:
                raise ProgramError(path, f"segment {i} is not page-aligned with its file offset")
        segments.append(seg)
    loads = [s for s in segments if s.type == PT_LOAD and s.memsz]
    if not loads:
        raise ProgramError(path, "no loadable (PT_LOAD) segment")
    pie = etype == ET_DYN
    if entry == 0 and not pie:
        raise ProgramError(path, "no entry point")
    low = min(s.vaddr for s in loads)
    high = max(s.vaddr + s.memsz for s in loads)
    if not pie and (low < 0x10000 or high > 0x7FFF_0000_0000):
        raise ProgramError(path, f"segments [{low:#x}, {high:#x}) lie outside user space")
    if not any(s.vaddr <= entry < s.vaddr + s.memsz for s in loads):
        raise ProgramError(path, f"entry point {entry:#x} is not inside a loadable segment")
    return ProgramInfo(
        path, "x86_64", osabi, pie, entry, phoff, phentsize, phnum, segments, len(data)
    )
