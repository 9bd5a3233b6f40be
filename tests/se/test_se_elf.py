"""Programs SE mode cannot run are refused with a message naming the file and why:
not ELF, 32-bit, dynamically linked, truncated, another machine."""

from __future__ import annotations

import shutil
import struct
import subprocess

import pytest

from simobjs.base.elf import ProgramError, inspect_program
from simobjs.errors import ConfigError
from simobjs.guest.se_build import se_example


@pytest.fixture(scope="module")
def good():
    return se_example("hello", "glibc")


def _elf32(path):
    # a minimal 32-bit ELF header (ELFCLASS32, EM_386, ET_EXEC)
    ident = b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8)
    path.write_bytes(
        ident + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, 0x8048000, 52, 0, 0, 52, 32, 0, 0, 0, 0)
    )
    return path


def _dynamic(tmp_path):
    src = tmp_path / "d.c"
    src.write_text("int main(void) { return 0; }\n")
    out = tmp_path / "dyn"
    subprocess.run([shutil.which("gcc"), str(src), "-o", str(out)], check=True)
    return out


def test_bad_programs_are_refused_with_the_reason(tmp_path, good):
    (tmp_path / "text").write_text("echo hello\n")
    (tmp_path / "script").write_text("#!/bin/sh\necho hi\n")
    data = good.read_bytes()
    (tmp_path / "truncated").write_bytes(data[: len(data) // 2])
    arm = bytearray(data)
    arm[18:20] = struct.pack("<H", 183)
    (tmp_path / "arm").write_bytes(bytes(arm))
    cases = {
        tmp_path / "text": "not an ELF file",
        tmp_path / "script": "a script",
        _elf32(tmp_path / "x32"): "32-bit",
        _dynamic(tmp_path): "dynamically linked",
        tmp_path / "truncated": "truncated",
        tmp_path / "arm": "AArch64",
        tmp_path / "missing": "cannot open",
    }
    for path, why in cases.items():
        with pytest.raises(ProgramError) as info:
            inspect_program(path)
        assert str(path) in str(info.value) and why in str(info.value), str(info.value)
        assert isinstance(info.value, ValueError)  # what gem5's init_compatible raises


def test_static_and_static_pie_are_accepted(good):
    assert inspect_program(good).kind == "static"
    assert inspect_program(se_example("hello", "glibc", pie=True)).kind == "static-pie"
    assert inspect_program(se_example("hello", "musl")).kind == "static"


def test_init_compatible_refuses_and_accepts(tmp_path, good):
    from m5.objects import SEWorkload, X86EmuLinux

    assert isinstance(SEWorkload.init_compatible(str(good)), X86EmuLinux)
    with pytest.raises(ValueError, match="32-bit"):
        SEWorkload.init_compatible(str(_elf32(tmp_path / "x32")))


def test_a_process_with_a_bad_program_is_a_config_error(tmp_path, good, monkeypatch):
    import serun

    monkeypatch.chdir(tmp_path)
    bad = _elf32(tmp_path / "x32")
    opts = serun.options(str(good), [], "ref")
    root = serun.se_hello.build(opts)
    root.system.cpu[0].workload[0].executable = str(bad)
    from simobjs.config.build import instantiate

    with pytest.raises(ConfigError) as info:
        instantiate(root, outdir=str(tmp_path / "out"))
    assert "x32" in str(info.value) and "32-bit" in str(info.value)
