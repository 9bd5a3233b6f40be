"""The SDK and every example guest build with the system gcc into static ELFs."""

import shutil

import pytest
from elftools.elf.elffile import ELFFile

from simobjs.guest import build

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")

EXAMPLES = [
    "apic_timer",
    "checkpoint",
    "compute",
    "fpu",
    "hello",
    "memwalk",
    "smp",
    "switch",
    "timer",
    "uart_stress",
]


@pytest.fixture(scope="module")
def fresh_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("SIMOBJS_CACHE", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


def test_every_example_is_listed_with_its_expected_output():
    assert build.example_names() == EXAMPLES
    for name in EXAMPLES:
        assert build.expected_output(name).endswith("\n")


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_builds_static_x86_64_elf_at_1mib(fresh_cache, name):
    path = build.example_guest(name)
    assert path.parent == build.cache_dir()
    with open(path, "rb") as f:
        elf = ELFFile(f)
        assert elf["e_machine"] == "EM_X86_64"
        assert elf["e_type"] == "ET_EXEC"
        loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
        assert loads and min(s["p_paddr"] for s in loads) == 0x100000
        assert not [s for s in elf.iter_segments() if s["p_type"] in ("PT_INTERP", "PT_DYNAMIC")]
        names = {sym.name for sym in elf.get_section_by_name(".symtab").iter_symbols()}
    assert {"_start", "main", "sdk_trap", "sdk_kernel_main", "printf"} <= names


def test_ring0_code_has_no_vector_registers(fresh_cache, tmp_path):
    """The SDK (ring 0 included) is built with -mgeneral-regs-only: no xmm/x87 use."""
    objdump = shutil.which("objdump")
    if objdump is None:
        pytest.skip("objdump is not installed")
    import subprocess

    path = build.example_guest("hello")
    out = subprocess.run([objdump, "-d", str(path)], capture_output=True, text=True, check=True)
    funcs, current = {}, None
    for line in out.stdout.splitlines():
        if line.endswith(">:"):
            current = line.split("<")[1].rstrip(">:")
            funcs[current] = []
        elif current:
            funcs[current].append(line)
    for fn in ("sdk_trap", "sdk_kernel_main", "printf", "vprintf", "memcpy", "memset"):
        body = "\n".join(funcs[fn])
        assert "%xmm" not in body and "fld" not in body, fn


def test_cache_hit_and_key_changes_with_flags(fresh_cache):
    a = build.example_guest("hello")
    assert build.example_guest("hello") == a
    src = build.example_sources("hello")
    b = build.build_guest(src, "hello", extra_cflags=["-DVARIANT=1"])
    assert b != a and b.is_file()


def test_compile_errors_are_reported_with_the_file(fresh_cache, tmp_path):
    bad = tmp_path / "bad.c"
    bad.write_text("int main(void) { return undefined_symbol_here; }\n")
    with pytest.raises(build.GuestBuildError, match="bad.c") as e:
        build.build_guest([bad], "bad")
    assert "undefined_symbol_here" in str(e.value)


def test_missing_source_and_unknown_example(fresh_cache, tmp_path):
    with pytest.raises(build.GuestBuildError, match="not found"):
        build.build_guest([tmp_path / "nope.c"], "nope")
    with pytest.raises(build.GuestBuildError, match="known: apic_timer, checkpoint"):
        build.example_guest("nope")


def test_missing_compiler_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setenv("CC", "no-such-gcc-xyz")
    src = tmp_path / "p.c"
    src.write_text("int main(void) { return 0; }\n")
    with pytest.raises(
        build.GuestBuildError, match="no-such-gcc-xyz.*not found.*apt-get install gcc"
    ):
        build.build_guest([src], "p")


def test_compute_kernel_builds_and_runs_natively(tmp_path):
    """crc32.c has no SDK dependency: a host build gives zlib's CRC-32 of the same pattern."""
    import subprocess
    import zlib

    main = tmp_path / "main.c"
    main.write_text(
        '#include <stdio.h>\n#include "crc32.h"\nstatic unsigned char b[65536];\n'
        'int main(void){fill_pattern(b,sizeof b,99);printf("%08x\\n",crc32_update(0,b,sizeof b));}\n'
    )
    exe = tmp_path / "native"
    ex = build.EXAMPLES_DIR
    subprocess.run(
        ["gcc", "-O2", f"-I{ex}", str(main), str(ex / "crc32.c"), "-o", str(exe)], check=True
    )
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout.strip()
    x, data = 99, bytearray(65536)
    for i in range(len(data)):
        x = (x * 1664525 + 1013904223) & 0xFFFFFFFF
        data[i] = x >> 24
    assert out == f"{zlib.crc32(bytes(data)):08x}"
    assert f"crc32 {out} after the first switch" in build.expected_output("switch")
