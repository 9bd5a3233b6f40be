"""The bare-metal loader on good and bad ELF files made here with gcc."""

import shutil
import struct
import subprocess

import pytest

from simobjs.arch.x86 import loader
from simobjs.guest import build
from simobjs.mem.guest_ram import GuestRam

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")

MIB = 1 << 20
ASM = ".globl _start\n_start:\n  hlt\n  jmp _start\n"


def gcc_elf(tmp_path, name, *flags, source=ASM):
    src = tmp_path / f"{name}.S"
    src.write_text(source)
    out = tmp_path / f"{name}.elf"
    cmd = ["gcc", "-nostdlib", "-static", "-no-pie", *flags, str(src), "-o", str(out)]
    subprocess.run(cmd, check=True, capture_output=True)
    return out


@pytest.fixture
def ram():
    r = GuestRam(0, 32 * MIB)
    yield r
    r.close()


@pytest.fixture(scope="module")
def hello():
    return build.example_guest("hello")


def test_boot_state_follows_the_contract(ram, hello):
    img = loader.load(hello, ram)
    st = img.state
    assert img.region_end == 32 * MIB and img.region_start == 32 * MIB - loader.LOADER_REGION_SIZE
    assert st.rip == img.entry and img.segments[0].paddr == MIB
    assert st.cr0 == 0x80010033 and st.cr4 == 0x620 and st.efer == 0xD01
    assert st.rflags == 0x2
    assert st.reg("rsp") == img.region_start and st.reg("rsp") % 16 == 0
    assert st.reg("rdi") == 32 * MIB
    assert (st.seg["cs"].selector, st.seg["cs"].l, st.seg["cs"].dpl) == (0x08, 1, 0)
    for s in ("ds", "es", "ss"):
        assert st.seg[s].selector == 0x10
    assert st.seg["fs"].selector == st.seg["gs"].selector == 0
    assert st.idt.limit == 0 and st.gdt.limit == 0x37
    assert st.cr3 == img.region_start and st.cpl == 0


def test_gdt_holds_the_contract_selectors(ram, hello):
    img = loader.load(hello, ram)
    gdt = struct.unpack("<7Q", ram.read(img.state.gdt.base, 56))

    def dpl(d):
        return (d >> 45) & 3

    def long_code(d):
        return (d >> 43) & 1 and (d >> 53) & 1

    assert gdt[0] == 0
    assert long_code(gdt[1]) and dpl(gdt[1]) == 0
    assert not (gdt[2] >> 43) & 1 and dpl(gdt[2]) == 0
    assert not (gdt[3] >> 43) & 1 and dpl(gdt[3]) == 3
    assert long_code(gdt[4]) and dpl(gdt[4]) == 3
    assert gdt[5] == gdt[6] == 0  # the free TSS slot at 0x28


@pytest.mark.parametrize("addr", [0, 0x100000, 0x1FFFFF, 0x7FE00000, 0xFFFF0000, 0xFFFFFFFF])
def test_identity_map_with_user_bit_at_every_level(ram, hello, addr):
    img = loader.load(hello, ram)

    def entry(table, index):
        return struct.unpack("<Q", ram.read(table + 8 * index, 8))[0]

    pml4e = entry(img.state.cr3, (addr >> 39) & 511)
    pdpte = entry(pml4e & ~0xFFF, (addr >> 30) & 511)
    pde = entry(pdpte & ~0xFFF, (addr >> 21) & 511)
    for e in (pml4e, pdpte, pde):
        assert e & 0b111 == 0b111  # present, writable, user
    assert pde & 0x80  # 2 MiB page
    assert (pde & ~0x1FFFFF & ((1 << 52) - 1)) + (addr & 0x1FFFFF) == addr


def test_segments_are_loaded_and_bss_zeroed(ram, tmp_path):
    src = ".globl _start\n.text\n_start: hlt\n.data\nval: .quad 0x1122334455667788\n.bss\nzero: .skip 4096\n"
    elf = gcc_elf(tmp_path, "data", "-Wl,-Ttext=0x200000", "-Wl,-z,max-page-size=4096", source=src)
    ram.write(0, b"\xaa" * (8 * MIB))
    img = loader.load(elf, ram)
    assert img.entry == 0x200000 and ram.read(0x200000, 1) == b"\xf4"
    data = [s for s in img.segments if s.memsz > s.filesz]
    assert data, "the data segment carries .bss"
    seg = data[0]
    assert ram.read(seg.paddr + seg.filesz, seg.memsz - seg.filesz) == bytes(seg.memsz - seg.filesz)


def test_not_an_elf(tmp_path):
    p = tmp_path / "x.elf"
    p.write_text("hello")
    with pytest.raises(loader.LoaderError, match="not an ELF"):
        loader.prepare(p, 0, 32 * MIB)


def test_missing_file(tmp_path):
    with pytest.raises(loader.LoaderError, match="cannot open"):
        loader.prepare(tmp_path / "none.elf", 0, 32 * MIB)


def test_not_x86_64(tmp_path, hello):
    data = bytearray(hello.read_bytes())
    data[18:20] = struct.pack("<H", 183)  # EM_AARCH64
    p = tmp_path / "arm.elf"
    p.write_bytes(data)
    with pytest.raises(loader.LoaderError, match="not an x86-64 ELF"):
        loader.prepare(p, 0, 32 * MIB)


def test_32_bit_elf_refused(tmp_path):
    elf = gcc_elf(tmp_path, "m32", "-m32", "-Wl,-Ttext=0x200000")
    with pytest.raises(loader.LoaderError, match="not an x86-64 ELF"):
        loader.prepare(elf, 0, 32 * MIB)


def test_position_independent_refused(tmp_path):
    src = tmp_path / "pie.S"
    src.write_text(ASM)
    out = tmp_path / "pie.elf"
    subprocess.run(
        ["gcc", "-nostdlib", "-static-pie", "-fPIE", str(src), "-o", str(out)],
        check=True,
        capture_output=True,
    )
    with pytest.raises(loader.LoaderError, match="not a static executable"):
        loader.prepare(out, 0, 32 * MIB)


def test_segment_below_1mib(tmp_path):
    elf = gcc_elf(tmp_path, "low", "-Wl,-Ttext=0x8000", "-Wl,-z,max-page-size=4096")
    with pytest.raises(
        loader.LoaderError,
        match=r"PT_LOAD segment \d+ at \[0x[0-9a-f]+, 0x[0-9a-f]+\) is below 1 MiB",
    ):
        loader.prepare(elf, 0, 32 * MIB)


def test_segment_outside_ram(tmp_path):
    elf = gcc_elf(tmp_path, "high", "-Wl,-Ttext=0x4000000", "-Wl,-z,max-page-size=4096")
    with pytest.raises(loader.LoaderError, match=r"\[0x4000000, .*outside RAM \[0x0, 0x2000000\)"):
        loader.prepare(elf, 0, 32 * MIB)


def test_segment_over_the_loader_region(tmp_path):
    elf = gcc_elf(tmp_path, "top", "-Wl,-Ttext=0x1FFC000", "-Wl,-z,max-page-size=4096")
    with pytest.raises(loader.LoaderError, match="overlaps the loader region.*more RAM"):
        loader.prepare(elf, 0, 32 * MIB)


def test_ram_above_4gib_keeps_the_region_mapped(hello):
    img = loader.prepare(hello, 0, 6 << 30)
    assert img.region_end == 4 << 30
    assert img.state.reg("rdi") == 6 << 30
