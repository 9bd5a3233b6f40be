"""Damaged, edited and mismatched checkpoints: every one is refused with a clean
error naming what is wrong, or restores exactly what was written. Never silently
different, never an internal error.

The checkpoint is a real one of a reference CPU (X86AtomicSimpleCPU) running a
guest loop, so the CPU state sections are gem5's x86 layout."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import tempfile
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ref_models import RefTestDevice, load_guest, make_root

from simobjs import failure
from simobjs.base import ticks
from simobjs.config import build
from simobjs.errors import CheckpointError
from simobjs.objects.x86 import X86AtomicSimpleCPU
from simobjs.params.simobject import reset_for_tests
from simobjs.sim import core
from simobjs.sim.cpt_manifest import MANIFEST_NAME

# FAULT_EXAMPLES=2000 for a longer search (the suite's budget allows 60 per property)
EXAMPLES = settings(
    max_examples=int(os.environ.get("FAULT_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
GUEST = "mov $1, %rax\n 1: add $1, %rax\n mov %rax, 0x200000\n jmp 1b\n"
STORE = "system.physmem.store0.pmem"


def _fresh() -> None:
    sim = core.current()
    if sim is not None:
        sim.close()
    reset_for_tests()
    ticks.unfixGlobalFrequency()


def _take(directory: str, insts: int) -> dict:
    _fresh()
    sim = build.instantiate(make_root(), outdir=None)
    cpu = load_guest(sim, GUEST)
    sim.simulate(insts * 1000)
    path = sim.checkpoint(directory)
    ram = sim.model("system.mem").ram
    taken = {
        "path": path,
        "tick": sim.curTick(),
        "state": cpu.get_state(),
        "ram": hashlib.sha256(ram.view).hexdigest(),
    }
    _fresh()
    return taken


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    base = tmp_path_factory.mktemp("cpt")
    first = _take(str(base / "cpt"), 500)
    second = _take(str(base / "later"), 900)
    return first, second


@contextmanager
def _copy(pristine_path: str):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "cpt")
        shutil.copytree(pristine_path, path)
        yield path


def _restore(path: str, root=None):
    _fresh()
    return build.instantiate(root or make_root(), ckpt_dir=path, outdir=None)


def _same_as_taken(sim, taken: dict) -> bool:
    ram = sim.model("system.mem").ram
    return (
        sim.curTick() == taken["tick"]
        and sim.model("system.cpu").get_state() == taken["state"]
        and hashlib.sha256(ram.view).hexdigest() == taken["ram"]
    )


def _edit(path: str, old: str, new: str) -> None:
    cpt = os.path.join(path, "m5.cpt")
    text = open(cpt).read()
    assert old in text
    open(cpt, "w").write(text.replace(old, new, 1))


def _value(path: str, section: str, key: str) -> str:
    from simobjs.sim.checkpoint import load

    return load(path, verify=False).section(section)[key]


def test_an_untouched_checkpoint_restores_exactly(pristine):
    taken, _ = pristine
    sim = _restore(taken["path"])
    assert _same_as_taken(sim, taken)


def test_a_config_with_other_objects_names_them_and_the_unread_sections(pristine):
    taken, _ = pristine
    root = make_root()
    root.system.cpu2 = X86AtomicSimpleCPU(cpu_id=1)
    root.system.cpu2.createThreads()
    root.system.dev2 = RefTestDevice()  # (stateless: not missing from the checkpoint)
    root.system.cpu2.dcache_port = root.system.dev2.port
    with pytest.raises(CheckpointError) as info:
        _restore(taken["path"], root)
    text = str(info.value)
    assert "has no section for: system.cpu2" in text
    assert core.current() is None

    with pytest.raises(CheckpointError) as info:  # the CPU under another name
        _restore(taken["path"], _renamed_cpu_root())
    text = str(info.value)
    assert "system.core" in text and "[system.cpu.xc.0]" in text and "[system.cpu.isa]" in text


def _renamed_cpu_root():
    """ref_models.make_root with the CPU named system.core."""
    from ref_models import FakeApic, RefTestMemory

    from simobjs.objects.sim import Root, SrcClockDomain, VoltageDomain
    from simobjs.objects.system import System

    root = Root(full_system=True)
    root.system = System(mem_mode="atomic")
    root.system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
    root.system.mem = RefTestMemory(range="4MiB")
    root.system.dev = RefTestDevice()
    root.system.core = X86AtomicSimpleCPU(cpu_id=0)
    root.system.core.createThreads()
    root.system.core.interrupts = [FakeApic()]
    root.system.core.dcache_port = root.system.dev.port
    return root


def test_an_edited_m5cpt_lists_each_changed_key(pristine):
    taken, _ = pristine
    with _copy(taken["path"]) as path:
        pc = _value(path, "system.cpu.xc.0", "_pc")
        _edit(path, f"_pc={pc}\n", f"_pc={int(pc) + 2}\n")
        _edit(path, "FullSystem=true", "FullSystem=false")
        with pytest.raises(CheckpointError) as info:
            _restore(path)
    text = str(info.value)
    assert "m5.cpt was changed after the checkpoint was written (2 differences)" in text
    assert f"[system.cpu.xc.0] _pc: {pc} -> {int(pc) + 2}" in text
    assert "[root] FullSystem: true -> false" in text
    assert MANIFEST_NAME in text  # how to restore an intended edit


def test_a_rewrite_with_equal_values_is_accepted(pristine):
    """gem5's cpt_upgrader rewrites m5.cpt (its own comment, spacing, order)."""
    taken, _ = pristine
    with _copy(taken["path"]) as path:
        cpt = os.path.join(path, "m5.cpt")
        blocks = open(cpt).read().split("\n[")
        head, sections = blocks[0], ["[" + b for b in blocks[1:]]
        sections.reverse()
        text = head + "\n## upgraded\n" + "\n".join(s.replace("=", " = ", 1) for s in sections)
        open(cpt, "w").write(text)
        assert _same_as_taken(_restore(path), taken)


def test_impossible_values_are_refused_by_name(pristine):
    taken, _ = pristine
    cases = [
        ("curTick=", "-5000", "[root.globals] curTick: impossible value -5000"),
        ("_pc=", "-1", "[system.cpu.xc.0] _pc: impossible value -1"),
        ("numTickExits=", "-1", "[root.eventq] numTickExits: impossible value -1"),
        ("nbr_of_stores=", "7", "checkpoint has 7 memory stores"),
    ]
    for key, bad, expected in cases:
        with _copy(taken["path"]) as path:
            os.remove(os.path.join(path, MANIFEST_NAME))  # an edit made on purpose
            text = open(os.path.join(path, "m5.cpt")).read()
            line = next(ln for ln in text.splitlines() if ln.startswith(key))
            _edit(path, line + "\n", f"{key}{bad}\n")
            with pytest.raises(CheckpointError) as info:
                _restore(path)
            assert expected in str(info.value), (key, str(info.value))


def test_a_store_from_another_checkpoint_is_refused(pristine):
    taken, later = pristine
    with _copy(taken["path"]) as path:
        shutil.copy(os.path.join(later["path"], STORE), os.path.join(path, STORE))
        with pytest.raises(CheckpointError, match="is not the file this checkpoint wrote"):
            _restore(path)


@contextmanager
def _no_hang(seconds: int = 10):
    def fail(signo, frame):
        raise AssertionError("blocked on a FIFO")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("name", ["m5.cpt", STORE])
def test_a_fifo_in_a_checkpoint_is_refused_without_blocking(pristine, name):
    taken, _ = pristine
    with _copy(taken["path"]) as path:
        os.remove(os.path.join(path, name))
        os.mkfifo(os.path.join(path, name))
        with _no_hang(), pytest.raises(CheckpointError, match="not a regular file .it is a FIFO"):
            _restore(path)


FILES = st.sampled_from(["m5.cpt", STORE, MANIFEST_NAME])


@st.composite
def damage(draw):
    """One way a file gets damaged: truncated, a byte flipped, a line dropped or
    duplicated, or the file deleted."""
    kind = draw(st.sampled_from(["truncate", "flip", "drop-line", "dup-line", "delete"]))
    return kind, draw(FILES), draw(st.integers(0, 2**32)), draw(st.integers(1, 255))


def _apply(path: str, kind: str, name: str, where: int, bits: int) -> None:
    file = os.path.join(path, name)
    if kind == "delete":
        os.remove(file)
        return
    data = bytearray(open(file, "rb").read())
    if kind == "truncate":
        data = data[: where % len(data)]
    elif kind == "flip":
        data[where % len(data)] ^= bits
    else:
        lines = data.split(b"\n")
        i = where % len(lines)
        lines[i : i + 1] = [] if kind == "drop-line" else [lines[i], lines[i]]
        data = bytearray(b"\n".join(lines))
    open(file, "wb").write(bytes(data))


@settings(EXAMPLES)
@given(hurt=damage())
def test_any_damage_is_refused_cleanly_or_harmless(pristine, hurt):
    taken, _ = pristine
    with _copy(taken["path"]) as path:
        _apply(path, *hurt)
        try:
            sim = _restore(path)
        except CheckpointError as e:
            assert len(str(e)) < 4000
            assert core.current() is None
            return
        # accepted: then it is what was written (a harmless change: a comment, the
        # manifest's layout, a deleted manifest)
        assert _same_as_taken(sim, taken), hurt


VALUES = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from(["", "x", "-0", "0x", "1e9", "true", "nan", " ".join(["9"] * 300)]),
    st.text(alphabet="0123456789 -abc", max_size=12),
)


@settings(EXAMPLES)
@given(seed=st.integers(0, 2**32), value=VALUES)
def test_any_edited_value_ends_in_a_clean_error_or_a_run(pristine, seed, value):
    """With the manifest removed (an edit on purpose), a value made impossible is a
    clean error at restore, or at worst a guest fault while running: never a crash."""
    taken, _ = pristine
    with _copy(taken["path"]) as path:
        os.remove(os.path.join(path, MANIFEST_NAME))
        cpt = os.path.join(path, "m5.cpt")
        lines = open(cpt).read().split("\n")
        keyed = [i for i, ln in enumerate(lines) if "=" in ln and not ln.startswith("#")]
        i = random.Random(seed).choice(keyed)
        lines[i] = lines[i].split("=", 1)[0] + "=" + value
        open(cpt, "w").write("\n".join(lines))
        try:
            sim = _restore(path)
            sim.simulate(20_000)
        except Exception as e:  # noqa: BLE001 - what matters is how it is classified
            verdict = failure.classify(e)
            assert verdict.kind in ("fatal", "panic"), (lines[i], repr(e))
            assert len(verdict.text) < 4000
