"""Checkpoints: gem5's layout, round trip with pending events and memory, refusals."""

import os
import shutil

import pytest
from kernel_models import LOG, Recorder, Ticker, make_root

from simobjs.config import build
from simobjs.errors import CheckpointError
from simobjs.params.simobject import reset_for_tests
from simobjs.sim import core


def _take(tmp_path, stop_after=0):
    root = make_root(t=Ticker(every=3, stop_after=stop_after), r=Recorder())
    sim = build.instantiate(root, outdir=str(tmp_path / "out1"))
    ram = root.system.mem.getCCObject().ram
    ram.write(0x1000, b"checkpointed bytes")
    ram.write(0xFFFFF0, b"end of ram")
    sim.simulate(10_000)
    sim.scheduleTickExitAbsolute(50_000, "planned exit")
    path = sim.checkpoint(str(tmp_path / "cpt.%d"))
    return sim, root, path


def test_layout_follows_gem5(tmp_path, capsys):
    sim, root, path = _take(tmp_path)
    assert "Writing checkpoint" in capsys.readouterr().out
    assert os.path.basename(path) == "cpt.10000"
    assert not os.path.exists(tmp_path / "cpt.%d")  # unlike gem5, no empty literal directory
    assert sorted(os.listdir(path)) == [
        "m5.cpt",
        "simobjs.manifest.json",
        "system.physmem.store0.pmem",
    ]
    text = open(os.path.join(path, "m5.cpt")).read()
    assert text.startswith("## checkpoint generated: ")
    names = [line[1:-1] for line in text.splitlines() if line.startswith("[")]
    created = list(sim.models)  # creation order
    objects = [n for n in names if n in sim.models]
    assert objects == list(reversed(created))  # gem5: reverse creation order
    assert names[names.index("root") + 1] == "root.globals"
    assert names[names.index("system") + 1 : names.index("system") + 3] == [
        "system.physmem",
        "system.physmem.store0",
    ]
    assert "[root.globals]\ncurTick=10000\nversion_tags=" in text
    assert "[system.physmem]\nlal_addr=\nlal_cid=\nnbr_of_stores=1\n" in text
    assert (
        "[system.physmem.store0]\nstore_id=0\nfilename=system.physmem.store0.pmem\n"
        "range_size=16777216\n"
    ) in text
    assert "[root]\nFullSystem=false\n" in text
    # sparse: two touched pages, not 16 MiB
    assert os.path.getsize(os.path.join(path, "system.physmem.store0.pmem")) < 3 * 4096


def test_round_trip_with_pending_events(tmp_path):
    sim, root, path = _take(tmp_path)
    ticker = root.system.t.getCCObject()
    next_tick, count = ticker.event.when(), ticker.count
    ev = sim.simulate(20_000)
    reference = (ev.getCause(), ticker.count, sim.curTick())
    sim.close()

    LOG.clear()
    root2 = make_root(t=Ticker(every=3), r=Recorder())
    sim2 = build.instantiate(root2, ckpt_dir=path, outdir=str(tmp_path / "out2"))
    assert [ph for ph, _ in LOG] == ["create", "init", "regStats", "loadState"]
    t2 = root2.system.t.getCCObject()
    assert sim2.curTick() == 10_000 and t2.count == count and t2.restored_next == next_tick
    ram = root2.system.mem.getCCObject().ram
    assert ram.read(0x1000, 18) == b"checkpointed bytes" and ram.read(0xFFFFF0, 10) == b"end of ram"
    LOG.clear()
    ev = sim2.simulate(20_000)
    assert [ph for ph, _ in LOG] == ["startup", "drainResume"]
    assert (ev.getCause(), t2.count, sim2.curTick()) == reference
    # the kernel's own pending tick exit survived too
    ev = sim2.simulate()
    assert (ev.getCause(), sim2.curTick()) == ("planned exit", 50_000)


def test_overwriting_a_checkpoint_replaces_it_whole(tmp_path):
    sim, root, path = _take(tmp_path)
    ram = root.system.mem.getCCObject().ram
    ram.write(0x1000, b"second version    ")
    sim.simulate(1000)
    again = sim.checkpoint(path)
    assert again == path
    assert [n for n in os.listdir(tmp_path) if n.startswith(".")] == []
    sim.close()
    root2 = make_root(t=Ticker(every=3), r=Recorder())
    build.instantiate(root2, ckpt_dir=path, outdir=str(tmp_path / "o"))
    assert root2.system.mem.getCCObject().ram.read(0x1000, 18) == b"second version    "


def _restore(tmp_path, path, mem_size="16MiB"):
    reset_for_tests()  # a failed instantiate keeps its Root (to retry); these tests build anew
    root = make_root(mem_size=mem_size, t=Ticker(every=3), r=Recorder())
    return build.instantiate(root, ckpt_dir=path, outdir=str(tmp_path / "restore"))


@pytest.fixture
def saved(tmp_path):
    sim, root, path = _take(tmp_path)
    sim.close()
    return path


def test_flipped_byte_is_refused(tmp_path, saved):
    store = os.path.join(saved, "system.physmem.store0.pmem")
    data = bytearray(open(store, "rb").read())
    data[len(data) // 2] ^= 1
    open(store, "wb").write(data)
    with pytest.raises(CheckpointError, match="checksum") as info:
        _restore(tmp_path, saved)
    assert info.value.section == "system.physmem.store0"
    assert core.current() is None  # a failed restore leaves nothing half-built


def test_truncated_store_is_refused(tmp_path, saved):
    store = os.path.join(saved, "system.physmem.store0.pmem")
    os.truncate(store, os.path.getsize(store) - 4096)
    with pytest.raises(CheckpointError, match="truncated"):
        _restore(tmp_path, saved)


def test_missing_section_and_key_are_named(tmp_path, saved):
    os.remove(os.path.join(saved, "simobjs.manifest.json"))  # an edit made on purpose
    cpt = os.path.join(saved, "m5.cpt")
    text = open(cpt).read()
    open(cpt, "w").write(text.replace("[system.physmem]\n", "[system.physmem_renamed]\n"))
    with pytest.raises(CheckpointError, match=r"\[system.physmem\]: missing section"):
        _restore(tmp_path, saved)
    open(cpt, "w").write(text.replace("curTick=10000\n", ""))
    with pytest.raises(CheckpointError, match=r"\[root.globals\] curTick: missing key"):
        _restore(tmp_path, saved)


def test_mismatched_memory_size_is_refused(tmp_path, saved):
    with pytest.raises(CheckpointError, match="range_size") as info:
        _restore(tmp_path, saved, mem_size="32MiB")
    assert info.value.key == "range_size"


def test_missing_directory(tmp_path):
    make_root()
    with pytest.raises(CheckpointError, match="does not exist"):
        build.instantiate(ckpt_dir=str(tmp_path / "nope"), outdir=str(tmp_path))


def test_stale_temporary_directories_are_cleaned(tmp_path):
    sim, root, path = _take(tmp_path)
    stale = tmp_path / ".cpt.10000.tmp.99999"
    stale.mkdir()
    (stale / "m5.cpt").write_text("half")
    sim.checkpoint(path)
    assert not stale.exists()
    shutil.rmtree(path)
