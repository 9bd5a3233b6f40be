"""A process killed (SIGKILL) at random moments while writing checkpoints never
leaves a half checkpoint: the last complete one stays restorable."""

import os
import random
import signal
import time

from kernel_models import Ticker, make_root

from simobjs.config import build
from simobjs.mem.guest_ram import GuestRam
from simobjs.params.simobject import reset_for_tests
from simobjs.sim.checkpoint import load
from simobjs.sim.physmem_store import read_store

KILLS = 30
MEM = 16 << 20


def _mark(ram, tick):
    stamp = tick.to_bytes(8, "little")
    ram.write(0x1000, stamp)
    ram.write(MEM - 8, stamp)


def _writer(sim, ram, path):
    """The child: simulate a little, stamp RAM with the tick, checkpoint; forever."""
    try:
        while True:
            sim.simulate(1000)
            _mark(ram, sim.curTick())
            sim.checkpoint(path)
    finally:
        os._exit(0)


def _check(path, scratch):
    """The checkpoint at `path` is whole: store checksum good, RAM stamp equals its curTick."""
    cp = load(path)
    tick = cp.section("root.globals").get_int("curTick")
    store = cp.section("system.physmem.store0")
    scratch.view[:] = bytes(MEM)
    read_store(os.path.join(path, store.get_str("filename")), scratch.view, store.name)
    assert scratch.read(0x1000, 8) == tick.to_bytes(8, "little")
    assert scratch.read(MEM - 8, 8) == tick.to_bytes(8, "little")
    return tick


def test_sigkill_during_checkpoint_leaves_previous_intact(tmp_path):
    root = make_root(t=Ticker())
    sim = build.instantiate(root, outdir=str(tmp_path / "out"))
    ram = root.system.mem.getCCObject().ram
    rnd = random.Random(1234)
    ram.write(0x100000, rnd.randbytes(4 << 20))  # pages enough that a write takes a while
    path = str(tmp_path / "cpt")
    sim.simulate(1000)
    _mark(ram, sim.curTick())
    sim.checkpoint(path)
    scratch = GuestRam(0, MEM, "scratch", prefault=False)
    last = 0
    advanced = 0
    mid_write = 0
    try:
        for _ in range(KILLS):
            sim.simulate(100_000)  # each child starts later than anything written before
            pid = os.fork()
            if pid == 0:
                _writer(sim, ram, path)
            time.sleep(rnd.uniform(0.0, 0.03))
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            mid_write += any(n.startswith(".cpt.") for n in os.listdir(tmp_path))
            tick = _check(path, scratch)
            assert tick >= last
            advanced += tick > last
            last = tick
            visible = [n for n in os.listdir(tmp_path) if not n.startswith(".")]
            assert sorted(visible) == ["cpt", "out"]
    finally:
        scratch.close()
    assert advanced > 0  # the children did complete checkpoints between kills
    assert mid_write > 0  # and some kills hit a write in progress
    print(f"{KILLS} kills, {mid_write} during a write, {advanced} after progress")
    # and the survivor restores for real
    sim.close()
    reset_for_tests()
    root2 = make_root(t=Ticker())
    sim2 = build.instantiate(root2, ckpt_dir=path, outdir=str(tmp_path / "out2"))
    assert sim2.curTick() == last
    assert root2.system.mem.getCCObject().ram.read(0x1000, 8) == last.to_bytes(8, "little")
