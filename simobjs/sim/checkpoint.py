"""Writing and reading checkpoint directories (m5.checkpoint, m5.instantiate(ckpt_dir)).

A checkpoint directory appears atomically: everything is written into a
hidden sibling directory, every file and the directory are fsynced, and the
directory is renamed into place (exchanged atomically with an existing one of
the same name where the kernel supports renameat2). A process killed at any
moment leaves either the complete new checkpoint or none, and older
checkpoints untouched. Unlike gem5, no empty literal `cpt.%d` directory is
left behind.
"""

from __future__ import annotations

import ctypes
import errno
import glob
import os
import shutil
from typing import TYPE_CHECKING

from simobjs.errors import CheckpointError
from simobjs.sim import cpt_upgrade, debug
from simobjs.sim.serialize import BASE_FILENAME, VERSION_TAGS, CheckpointIn, CheckpointOut
from simobjs.sim.sim_events import GlobalSimLoopExitEvent

if TYPE_CHECKING:
    from simobjs.sim.core import Simulation

GLOBALS = "root.globals"
KERNEL_EVENTS = "root.eventq"


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: str, b: str) -> bool:
    """Atomically swap two paths (renameat2 RENAME_EXCHANGE); False if unsupported."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EPERM):
        return False
    raise OSError(err, os.strerror(err), b)


def expand_dir(directory: str, tick: int) -> str:
    """gem5 fills a `%` format in the directory name with the current tick (cpt.%d)."""
    if "%" in directory:
        try:
            return directory % tick
        except (TypeError, ValueError) as e:
            raise CheckpointError(f"bad checkpoint directory pattern {directory!r}: {e}") from None
    return directory


def serialize_all(sim: Simulation, final_dir: str) -> str:
    """Write every model's sections and stores into `final_dir`, atomically."""
    final_dir = os.path.abspath(final_dir)
    parent, base = os.path.split(final_dir)
    os.makedirs(parent, exist_ok=True)
    for stale in glob.glob(os.path.join(parent, f".{glob.escape(base)}.tmp.*")):
        shutil.rmtree(stale, ignore_errors=True)  # left by a process killed mid-write
    tmp = os.path.join(parent, f".{base}.tmp.{os.getpid()}")
    os.makedirs(tmp)
    try:
        cp = CheckpointOut(tmp)
        created = list(sim.models.values())
        root_model = sim.order[0] if sim.order else None
        for model in reversed(created):
            sec = cp.section(model.name())
            try:
                model.serialize(sec)
            except Exception as e:
                e.add_note(f"while serializing {model.name()}")
                raise
            if model is root_model:
                g = cp.section(GLOBALS)
                g["curTick"] = sim.curTick()
                g["version_tags"] = VERSION_TAGS
                g[cpt_upgrade.VERSION_KEY] = cpt_upgrade.CPT_VERSION
        _serialize_kernel_events(sim, cp)
        path = os.path.join(tmp, BASE_FILENAME)
        with open(path, "w") as f:
            f.write(cp.text())
            f.flush()
            os.fsync(f.fileno())
        _fsync_dir(tmp)
        if os.path.exists(final_dir):
            if _exchange(tmp, final_dir):
                _fsync_dir(parent)
                shutil.rmtree(tmp, ignore_errors=True)  # now holds the old checkpoint
                return final_dir
            old = os.path.join(parent, f".{base}.old.{os.getpid()}")
            os.rename(final_dir, old)
            os.rename(tmp, final_dir)
            _fsync_dir(parent)
            shutil.rmtree(old, ignore_errors=True)
            return final_dir
        os.rename(tmp, final_dir)
        _fsync_dir(parent)
        return final_dir
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _serialize_kernel_events(sim: Simulation, cp: CheckpointOut) -> None:
    """The kernel's own pending events (tick exits); models re-create their own."""
    live = [ev for ev in sim.tick_exits if ev.scheduled()]
    sec = cp.section(KERNEL_EVENTS)
    sec["numTickExits"] = len(live)
    for i, ev in enumerate(live):
        sec[f"tickExit{i}.when"] = ev.when()
        sec[f"tickExit{i}.code"] = ev.getCode()
        sec[f"tickExit{i}.cause"] = ev.getCause()


def checkpoint(sim: Simulation, directory: str) -> str:
    """gem5's m5.checkpoint(dir): drain, write back, write; the next simulate resumes."""
    sim.drain()
    sim.memWriteback()
    final = expand_dir(directory, sim.curTick())
    print("Writing checkpoint")
    if debug.flags.Checkpoint:
        debug.dprintf("checkpoint", "writing %s", final)
    return serialize_all(sim, final)


def load(directory: str) -> CheckpointIn:
    path = os.path.join(directory, BASE_FILENAME)
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise CheckpointError(f"cannot read {path}: {e.strerror}") from None
    return CheckpointIn.parse(directory, text)


def restore(sim: Simulation, directory: str) -> None:
    """The restore half of instantiate: curTick, kernel events, then loadState on every model."""
    cp = load(directory)
    g = cp.section(GLOBALS)
    tick = g.get_int("curTick")
    if "version_tags" not in g:
        raise CheckpointError("missing key", GLOBALS, "version_tags")
    old = cpt_upgrade.version_of(cp)
    applied = cpt_upgrade.upgrade(cp)
    if applied:
        print(f"info: checkpoint {directory} has simobjs layout {old}, upgraded on load to "
              f"{cpt_upgrade.CPT_VERSION}: {'; '.join(applied)}")  # fmt: skip
    sim.eventq.setCurTick(tick)
    if cp.has_section(KERNEL_EVENTS):
        sec = cp.section(KERNEL_EVENTS)
        for i in range(sec.get_int("numTickExits")):
            ev = GlobalSimLoopExitEvent(
                sec.get_str(f"tickExit{i}.cause"), sec.get_int(f"tickExit{i}.code")
            )
            sim.eventq.schedule(ev, sec.get_int(f"tickExit{i}.when"))
            sim.tick_exits.append(ev)
    if debug.flags.Checkpoint:
        debug.dprintf("checkpoint", "restoring from %s at tick %d", directory, tick)
    for model in sim.order:
        try:
            model.loadState(cp)
        except Exception as e:
            e.add_note(f"while restoring {model.name()} from {directory}")
            raise
