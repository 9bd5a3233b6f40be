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
import sys
from typing import TYPE_CHECKING

from simobjs.errors import CheckpointError
from simobjs.sim import cpt_manifest, cpt_upgrade, debug
from simobjs.sim.eventq import MaxTick
from simobjs.sim.files import open_regular
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
        if not _writer_alive(stale):  # left by a process killed mid-write (not a live one's)
            shutil.rmtree(stale, ignore_errors=True)
    tmp = os.path.join(parent, f".{base}.tmp.{os.getpid()}")
    try:  # (makedirs inside: a signal right after it must not leave `tmp` behind)
        os.makedirs(tmp)
        return _write(sim, tmp, final_dir, parent, base)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        what = f" ({e.filename})" if e.filename and e.filename != final_dir else ""
        raise CheckpointError(
            f"cannot write the checkpoint {final_dir}: {e.strerror or e}{what}; nothing was "
            "replaced (an earlier checkpoint of that name is unchanged)"
        ) from e
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _writer_alive(tmp: str) -> bool:
    """Whether the process that is writing `tmp` (`.<name>.tmp.<pid>`) still runs."""
    try:
        pid = int(tmp.rsplit(".", 1)[1])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _write(sim: Simulation, tmp: str, final_dir: str, parent: str, base: str) -> str:
    """serialize_all's body: everything into `tmp`, then `tmp` renamed into place."""
    cp = CheckpointOut(tmp)
    created = list(sim.models.values())
    root_model = sim.order[0] if sim.order else None
    stateless: list[str] = []  # sections a restore may leave unread
    for model in reversed(created):
        before = set(cp.section_names())
        sec = cp.section(model.name())
        try:
            model.serialize(sec)
        except Exception as e:
            e.add_note(f"while serializing {model.name()}")
            raise
        if not needs_section(model):
            stateless += [s for s in cp.section_names() if s not in before]
        if model is root_model:
            g = cp.section(GLOBALS)
            g["curTick"] = sim.curTick()
            g["version_tags"] = VERSION_TAGS
            g[cpt_upgrade.VERSION_KEY] = cpt_upgrade.CPT_VERSION
    _serialize_kernel_events(sim, cp)
    path = os.path.join(tmp, BASE_FILENAME)
    text = cp.text()
    with open(path, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    # the values as a reader parses them back: what the manifest compares with
    cpt_manifest.write(tmp, CheckpointIn.parse(tmp, text).values(), stateless)
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


MAX_CPT_BYTES = 256 << 20  # an m5.cpt is text of a few KiB per object


def load(directory: str, verify: bool = True) -> CheckpointIn:
    """Parse `directory`/m5.cpt (a regular file: a FIFO or device is refused) and check
    it and the store files against the checkpoint's manifest."""
    path = os.path.join(directory, BASE_FILENAME)
    try:
        with open_regular(path, "rb") as f:
            if os.fstat(f.fileno()).st_size > MAX_CPT_BYTES:
                raise CheckpointError(f"{path} is larger than {MAX_CPT_BYTES >> 20} MiB")
            raw = f.read()
    except OSError as e:
        raise CheckpointError(f"cannot read {path}: {e.strerror or e}") from None
    try:
        text = raw.decode()
    except UnicodeDecodeError as e:
        raise CheckpointError(f"{path} is not text (byte {e.start}: {e.reason})") from None
    cp = CheckpointIn.parse(directory, text)
    if verify:
        cp.manifest = cpt_manifest.verify(directory, cp.values())
    return cp


def restore(sim: Simulation, directory: str) -> None:
    """The restore half of instantiate: curTick, kernel events, then loadState on every
    model; a checkpoint that does not fit the configuration (objects without a section,
    sections nobody read) is an error naming them."""
    cp = load(directory)
    g = cp.section(GLOBALS)
    tick = g.get_int("curTick", 0, MaxTick)
    if "version_tags" not in g:
        raise CheckpointError("missing key", GLOBALS, "version_tags")
    old = cpt_upgrade.version_of(cp)
    applied = cpt_upgrade.upgrade(cp)
    if applied:
        print(
            f"info: checkpoint {directory} has simobjs layout {old}, upgraded on load to "
            f"{cpt_upgrade.CPT_VERSION}: {'; '.join(applied)}"
        )
    cp.forget_reads(keep=(GLOBALS,))  # what the upgraders read is not what the models read
    for queue in getattr(sim, "eventqs", [sim.eventq]):
        queue.setCurTick(tick)
    if cp.has_section(KERNEL_EVENTS):
        _restore_kernel_events(sim, cp.section(KERNEL_EVENTS), tick)
    if debug.flags.Checkpoint:
        debug.dprintf("checkpoint", "restoring from %s at tick %d", directory, tick)
    missing = [m.name() for m in sim.order if needs_section(m) and not cp.has_section(m.name())]
    problems: list[str] = []
    skip = set(missing)
    for model in sim.order:
        if model.name() in skip:
            continue
        try:
            model.loadState(cp)
        except CheckpointError as e:
            if not missing:
                e.add_note(f"while restoring {model.name()} from {directory}")
                raise
            problems.append(str(e))  # most likely a consequence of the mismatch
        except Exception as e:
            e.add_note(f"while restoring {model.name()} from {directory}")
            raise
    # a model's own section was handed to it (what it reads of it is its business);
    # the others must have been read by someone, or their state would be dropped
    names = {m.name() for m in sim.order}
    unused = [s for s in cp.unused() if s not in names]
    manifest = cp.manifest
    if manifest is not None:  # sections of objects written without state may go unread
        stateless = set(manifest.get("stateless_sections") or ())
        unused = [s for s in unused if s not in stateless]
    if missing or (unused and manifest is not None):
        raise CheckpointError(_mismatch(directory, missing, unused, problems))
    if unused:  # a checkpoint simobjs did not write (gem5's) has sections it does not model
        print(
            f"warn: {directory}: sections no object of the configuration read (their "
            f"values are ignored): {', '.join(f'[{s}]' for s in unused[:12])}"
            f"{' ...' if len(unused) > 12 else ''}",
            file=sys.stderr,
        )


def needs_section(model) -> bool:
    """Whether a checkpoint must hold `model`'s section: it restores state (its class
    reads a section) and, for a CPU, it is not switched out (then it has none to take)."""
    from simobjs.sim.model import Model

    cls = type(model)
    if cls.unserialize is Model.unserialize and cls.loadState is Model.loadState:
        return False
    if getattr(cls, "checkpoint_section_optional", False):
        return False  # e.g. a cache: read when present, but gem5 keeps no contents either way
    switched_out = getattr(model, "switchedOut", None)
    return not (switched_out is not None and switched_out())


def _mismatch(directory: str, missing: list[str], unused: list[str], problems: list[str]) -> str:
    def names(items: list[str], limit: int = 12) -> str:
        more = len(items) - limit
        return ", ".join(items[:limit]) + (f" and {more} more" if more > 0 else "")

    lines = [f"checkpoint {directory} does not match this configuration:"]
    if missing:
        lines.append(
            f"  objects of the configuration the checkpoint has no section for: {names(missing)}"
        )
    if unused:
        lines.append(
            f"  sections of the checkpoint no object of the configuration read: "
            f"{names([f'[{s}]' for s in unused])}"
        )
    lines += [f"  {p}" for p in problems[:5]]
    lines.append(
        "  (restore into the configuration the checkpoint was taken with: the same "
        "objects under the same names, e.g. the same number of CPUs)"
    )
    return "\n".join(lines)


def _restore_kernel_events(sim: Simulation, sec, now: int) -> None:
    count = sec.get_int("numTickExits", 0, len(sec))
    for i in range(count):
        when = sec.get_int(f"tickExit{i}.when", now, MaxTick)
        ev = GlobalSimLoopExitEvent(
            sec.get_str(f"tickExit{i}.cause"), sec.get_int(f"tickExit{i}.code")
        )
        sim.eventq.schedule(ev, when)
        sim.tick_exits.append(ev)
