"""Bad inputs other than checkpoints: ELF files (truncated, flipped), YAML documents
(mutated, alias bombs), impossible config values, memory images, guest RAM the host
cannot hold. Each ends in a clean error (a ConfigError/LoaderError with a bounded
message) or in exactly what the input says."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ref_models import make_root

from simobjs.arch.x86 import loader
from simobjs.config import build
from simobjs.config.yaml_loader import MAX_CONFIG_NODES, load_file
from simobjs.errors import ConfigError, UsageError
from simobjs.mem import host_memory
from simobjs.mem.guest_ram import PREFAULT_LIMIT, GuestRam
from simobjs.objects import SrcClockDomain, System
from simobjs.params.types import AddrRange

EXAMPLES = settings(
    max_examples=int(os.environ.get("FAULT_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
ROOT = Path(__file__).resolve().parents[2]
YAML_CONFIG = ROOT / "configs" / "config_kvm_system.yaml"
RAM = (0, 128 << 20)


class Elf:
    """The hello example's bytes (a class, so a failing example does not print them)."""

    def __init__(self, data: bytes):
        self.data = data

    def __repr__(self) -> str:
        return f"<hello.elf, {len(self.data)} bytes>"


@pytest.fixture(scope="module")
def elf() -> Elf:
    from simobjs.guest import example_guest

    return Elf(Path(example_guest("hello")).read_bytes())


# -- ELF -------------------------------------------------------------------------------
def _prepare(tmp: Path, data: bytes):
    path = tmp / "guest.elf"
    path.write_bytes(data)
    return loader.prepare(path, *RAM)


def test_an_elf_truncated_inside_a_segment_is_refused(tmp_path, elf):
    image = _prepare(tmp_path, elf.data)
    seg = max(image.segments, key=lambda s: s.offset + s.filesz)
    cut = seg.offset + seg.filesz // 2
    with pytest.raises(loader.LoaderError, match=r"needs file bytes .* it is truncated"):
        _prepare(tmp_path, elf.data[:cut])


@EXAMPLES
@given(data=st.data())
def test_any_damaged_elf_is_refused_or_loaded_as_written(tmp_path, elf, data):
    """Truncated anywhere, or bytes flipped in the headers: a LoaderError, or an image
    whose every segment holds the file's own bytes (never padding for missing ones)."""
    blob = bytearray(elf.data)
    if data.draw(st.booleans(), "truncate"):
        blob = blob[: data.draw(st.integers(0, len(blob)), "length")]
    else:
        for _ in range(data.draw(st.integers(1, 4), "flips")):
            at = data.draw(st.integers(0, 0x200), "at")  # ELF header and program headers
            blob[at % max(len(blob), 1)] ^= data.draw(st.integers(1, 255), "bits")
    try:
        image = _prepare(tmp_path, bytes(blob))
    except loader.LoaderError as e:
        assert len(str(e)) < 1000
        return
    chunks = dict(image.blobs)
    for s in image.segments:
        assert chunks[s.paddr][: s.filesz] == bytes(blob[s.offset : s.offset + s.filesz])


def test_a_fifo_as_the_object_file_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "guest.elf"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(loader.LoaderError, match="not a regular file .it is a FIFO"):
        loader.prepare(fifo, *RAM)
    assert time.monotonic() - started < 10


# -- YAML --------------------------------------------------------------------------------
def _bomb(levels: int, width: int) -> str:
    lines = [f"l0: &l0 [{', '.join(['x'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    lines.append(f"root: *l{levels - 1}")
    return "\n".join(lines) + "\n"


@settings(EXAMPLES, max_examples=min(EXAMPLES.max_examples, 25))
@given(levels=st.integers(2, 12), width=st.integers(2, 12))
def test_alias_bombs_are_measured_not_expanded(tmp_path, levels, width):
    path = tmp_path / "bomb.yaml"
    path.write_text(_bomb(levels, width))
    expanded = sum(width**i for i in range(1, levels + 1))
    try:
        load_file(path)
    except ConfigError as e:
        assert len(str(e)) < 2000  # never the values themselves
        if expanded > MAX_CONFIG_NODES:
            assert "alias" in str(e)
        return
    raise AssertionError("a document without a Root was accepted")


def test_a_recursive_alias_is_refused(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text("a: &a [1, *a]\nroot: *a\n")
    with pytest.raises(ConfigError, match="refers to a node that contains it"):
        load_file(path)


@EXAMPLES
@given(seed=st.integers(0, 2**32), edits=st.integers(1, 4))
def test_a_mutated_yaml_config_is_a_clean_error_or_a_root(tmp_path, seed, edits):
    rnd = random.Random(seed)
    text = list(YAML_CONFIG.read_text())
    for _ in range(edits):
        at = rnd.randrange(len(text))
        op = rnd.choice(["drop", "dup", "char"])
        if op == "drop":
            del text[at]
        elif op == "dup":
            text.insert(at, text[at])
        else:
            text[at] = rnd.choice("-:&*[]{}'\"0123456789 \nxQ")
    path = tmp_path / "mutated.yaml"
    path.write_text("".join(text))
    try:
        root = load_file(path)
    except ConfigError as e:
        assert len(str(e)) < 20_000
        return
    assert type(root).__name__ == "Root"


# -- config values -------------------------------------------------------------------------
@pytest.mark.parametrize("clock", ["-1GHz", "-5ns", "-3t"])
def test_a_negative_clock_is_refused_where_it_is_set(clock):
    with pytest.raises(ConfigError, match="cannot be negative"):
        SrcClockDomain(clock=clock)


def test_repeated_memory_ranges_are_one_problem():
    s = System(mem_ranges=[AddrRange("128MiB")] * 200_000)
    from simobjs.config.validate import _mem_ranges

    started = time.monotonic()
    (problem,) = _mem_ranges(s)
    assert time.monotonic() - started < 5
    text = str(problem)
    assert "199999 of its 200000 memory ranges repeat or overlap" in text and len(text) < 1000


@pytest.mark.parametrize(
    "call",
    [
        lambda sim: sim.simulate(-100),
        lambda sim: sim.setMaxTick(-5),
        lambda sim: sim.scheduleTickExitFromCurrent(-1),
        lambda sim: sim.scheduleTickExitAbsolute(-1),
    ],
)
def test_negative_ticks_are_usage_errors(call):
    sim = build.instantiate(make_root(), outdir=None)
    with pytest.raises(UsageError, match="-"):
        call(sim)


def test_a_missing_memory_image_is_a_config_error():
    root = make_root()
    root.system.mem.image_file = "/nonexistent/image.bin"
    with pytest.raises(ConfigError, match=r"system.mem.image_file: Could not load"):
        build.instantiate(root, outdir=None)


def test_a_memory_image_is_loaded_or_refused(tmp_path):
    image = tmp_path / "ram.bin"
    image.write_bytes(b"\x11\x22" * 100)
    root = make_root()
    root.system.mem.image_file = str(image)
    sim = build.instantiate(root, outdir=None)
    assert sim.model("system.mem").ram.read(0, 4) == b"\x11\x22\x11\x22"
    sim.close()
    from simobjs.params.simobject import reset_for_tests

    reset_for_tests()
    image.write_bytes(bytes(5 << 20))  # larger than the 4 MiB memory
    root = make_root()
    root.system.mem.image_file = str(image)
    with pytest.raises(ConfigError, match="raw image has 5242880 bytes"):
        build.instantiate(root, outdir=None)


# -- guest RAM and the host ------------------------------------------------------------------
def test_guest_ram_larger_than_the_host_is_refused_before_mapping():
    with pytest.raises(ConfigError) as info:
        GuestRam(0, 64 << 40, "system.mem_ctrl")
    text = str(info.value)
    assert text.startswith("system.mem_ctrl.range: guest RAM of 64 TiB")
    assert "the host has" in text and "overcommit_memory=" in text


@pytest.mark.parametrize(
    ("host", "size", "why"),
    [
        (
            host_memory.HostMemory(8 << 30, 4 << 30, 0, None, None, 0, None),
            16 << 30,
            "the host has 8 GiB of RAM",
        ),
        (
            host_memory.HostMemory(8 << 30, 4 << 30, 0, None, None, 0, 2 << 30),
            3 << 30,
            "cgroup allows 2 GiB",
        ),
        (
            host_memory.HostMemory(8 << 30, 4 << 30, 0, 6 << 30, 5 << 30, 2, None),
            2 << 30,
            "vm.overcommit_memory=2 (strict) leaves 1 GiB",
        ),
    ],
)
def test_the_host_limit_names_what_the_host_has(host, size, why):
    with pytest.raises(ConfigError, match=why.replace("(", r"\(").replace(")", r"\)")):
        host_memory.check_guest_ram(size, 0, "system.mem", host=host, warn=False)


def test_more_than_available_is_allowed_with_a_warning(capsys):
    host = host_memory.HostMemory(8 << 30, 1 << 30, 0, None, None, 0, None)
    host_memory.check_guest_ram(2 << 30, 0, "system.mem", host=host)
    assert "OOM killer" in capsys.readouterr().err


def _shmem_kib() -> int:
    for line in open("/proc/self/status"):
        if line.startswith("RssShmem:"):
            return int(line.split()[1])
    return 0


def test_guest_ram_beyond_the_prefault_bound_is_not_populated_at_once():
    before = _shmem_kib()
    ram = GuestRam(0, 4 * PREFAULT_LIMIT, "system.mem")
    try:
        grown = (_shmem_kib() - before) << 10
        assert PREFAULT_LIMIT * 0.9 <= grown <= PREFAULT_LIMIT * 1.1  # the bound, not 1 GiB
        ram.write(3 * PREFAULT_LIMIT, b"\x01")  # the rest faults in when touched
        assert ram.read(3 * PREFAULT_LIMIT, 1) == b"\x01"
    finally:
        ram.close()
