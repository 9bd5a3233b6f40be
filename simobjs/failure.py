"""How the `simobjs` command ends on an exception: one policy for every failure.

- A known error (configuration, checkpoint, phase order, file system, ELF file,
  host limits, a guest fault): one gem5-style line, `fatal: ...` (`panic: ...`
  for a guest fault, after the register dump the CPU printed), exit status 1.
- An error raised by the user's own code: Python's traceback from the script's
  first frame, as `python script.py` would show it; a misspelt name gets one
  `fatal:` line naming it, with close matches from the catalog.
- Anything else is a bug in simobjs: the whole traceback and a line asking to
  report it.

`--debug` or the environment variable SIMOBJS_TRACEBACK=1 adds the traceback to
every case.
"""

from __future__ import annotations

import difflib
import errno
import os
import sys
import sysconfig
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from simobjs.errors import GuestFault, SimobjsError, SimulationError

FATAL_STATUS = 1  # gem5's fatal() exits with 1
TRACEBACK_ENV = "SIMOBJS_TRACEBACK"

_ROOT = Path(__file__).resolve().parent.parent
OUR_DIRS = tuple(str(_ROOT / name) + os.sep for name in ("simobjs", "kvm", "m5"))
_LIBRARY_DIRS = tuple(
    {
        str(Path(p).resolve()) + os.sep
        for key in ("stdlib", "platstdlib", "purelib", "platlib")
        if (p := sysconfig.get_paths().get(key))
    }
)

BUG_NOTE = (
    "simobjs: internal error: this is a bug in simobjs (or in a model it loaded), not in "
    "your configuration.\nPlease report it with the command line, the script and the "
    "traceback above. Set SIMOBJS_TRACEBACK=1 or pass --debug to see tracebacks for "
    "every error."
)


def traceback_wanted(debug: bool = False) -> bool:
    return debug or os.environ.get(TRACEBACK_ENV, "") not in ("", "0")


@dataclass(frozen=True)
class Verdict:
    kind: str  # "fatal", "panic", "user" (the user's own code raised) or "bug"
    text: str  # the line(s) to print ("" for "user": the traceback says it)


def _is_ours(filename: str) -> bool:
    return filename.startswith(OUR_DIRS)


def _is_library(filename: str) -> bool:
    return filename.startswith(_LIBRARY_DIRS) or filename.startswith("<frozen ")


def _raising_code(exc: BaseException) -> str:
    """'ours', 'user' or 'library': who raised `exc` (its innermost frame that is
    not a library's: a user's call into the standard library is the user's)."""
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        name = (
            os.path.abspath(frame.filename)
            if not frame.filename.startswith("<")
            else frame.filename
        )
        if _is_ours(name):
            return "ours"
        if not _is_library(name):
            return "user"
    return "library"


def known(exc: BaseException) -> bool:
    """A user or environment problem, reported in one line (not a bug)."""
    if isinstance(exc, SimulationError) and exc.__cause__ is not None:
        # a model's exception wrapped with its path: known only if what it wraps is
        return isinstance(exc.__cause__, SimobjsError | OSError | MemoryError) and known(
            exc.__cause__
        )
    return isinstance(exc, SimobjsError | OSError | MemoryError)


def describe(exc: BaseException) -> str:
    """The text of a known error, as gem5 would word it."""
    if isinstance(exc, MemoryError):
        return "out of host memory (MemoryError): " + (str(exc) or "an allocation failed")
    if isinstance(exc, OSError) and not isinstance(exc, SimobjsError):
        # where it happened ("while building system.terminal") says which object failed
        notes = [n for n in getattr(exc, "__notes__", ()) if n.startswith(("while ", "in "))]
        return _os_error_text(exc) + "".join(f" ({n})" for n in notes)
    return str(exc)


_OS_HINTS = {
    errno.ENOSPC: "free some space or choose another output directory with -d",
    errno.EDQUOT: "over the disk quota: free some space or choose another directory with -d",
    errno.EROFS: "the file system is read-only: choose another output directory with -d",
    errno.EACCES: "no permission: choose another output directory with -d",
    errno.ENOTDIR: "a path component is a file, not a directory",
}


def _os_error_text(exc: OSError) -> str:
    what = exc.strerror or str(exc)
    name = exc.filename
    if name is None:
        return what
    text = f"{name}: {what}" if exc.filename2 is None else f"{name} -> {exc.filename2}: {what}"
    hint = _OS_HINTS.get(exc.errno or 0)
    return f"{text} ({hint})" if hint else text


def _name_suggestions(name: str) -> list[str]:
    from simobjs.objects import supported_names

    catalog = sorted(supported_names())
    close = difflib.get_close_matches(name, catalog, n=3, cutoff=0.6)
    if not close:
        lower = {n.lower(): n for n in catalog}
        close = [lower[n] for n in difflib.get_close_matches(name.lower(), lower, n=3)]
    return close


def _user_name_error(exc: BaseException) -> str | None:
    """`fatal:` text for a misspelt name in the user's code (NameError, or an
    unknown attribute of m5.objects), with the catalog's close matches."""
    name = getattr(exc, "name", None)
    if isinstance(exc, AttributeError):
        target = getattr(exc, "obj", None)
        if getattr(target, "__name__", "") != "m5.objects":
            return None
    elif not isinstance(exc, NameError) or not name:
        return None
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    code = ""
    if frames:
        last = frames[-1]
        where = f"{last.filename}:{last.lineno}: "
        code = (last.line or "").strip()
    what = (
        f"name '{name}' is not defined"
        if isinstance(exc, NameError)
        else f"m5.objects has no SimObject named '{name}'"
    )
    close = _name_suggestions(name)
    hint = (
        f" (did you mean {' or '.join(close)}?)"
        if close
        else " (`simobjs --list-objects` lists every SimObject)"
    )
    text = f"{where}{what}{hint}"
    return f"{text}\n    {code}" if code else text


def classify(exc: BaseException) -> Verdict:
    if known(exc):
        if isinstance(exc, GuestFault):
            return Verdict("panic", str(exc))
        return Verdict("fatal", describe(exc))
    if isinstance(exc, SyntaxError) and not _is_ours(os.path.abspath(exc.filename or "<")):
        return Verdict("user", "")  # the script itself does not compile
    # a model's exception wrapped with its path: who raised the original decides
    wrapped = isinstance(exc, SimulationError) and exc.__cause__ is not None
    origin = exc.__cause__ if wrapped else exc
    who = _raising_code(origin)
    if who == "user" or (who == "library" and not wrapped):
        name_error = _user_name_error(exc)
        if name_error is not None:
            return Verdict("fatal", name_error)
        return Verdict("user", "")
    return Verdict("bug", BUG_NOTE)


def report(
    exc: BaseException, script: str | None = None, debug: bool = False, out: TextIO | None = None
) -> int:
    """Print what `exc` means for the user (once) and return the exit status."""
    out = out if out is not None else sys.stderr
    verdict = classify(exc)
    show = traceback_wanted(debug)
    if verdict.kind == "bug" or (show and verdict.kind != "user"):
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=out)
    if verdict.kind == "user":
        _print_from_script(exc, script, out, full=show)
    elif verdict.kind == "bug":
        print(verdict.text, file=out)
    elif not getattr(exc, "reported", False):  # (a CPU printed its guest fault already)
        print(f"{verdict.kind}: {verdict.text}", file=out)
    out.flush()
    return FATAL_STATUS


def _print_from_script(exc: BaseException, script: str | None, out: TextIO, full: bool) -> None:
    """The traceback from the script's first frame on (the command's own frames left out)."""
    tb = exc.__traceback__
    if script is not None and not full:
        target = str(script)
        while tb is not None and tb.tb_frame.f_code.co_filename != target:
            tb = tb.tb_next
    traceback.print_exception(type(exc), exc, tb or exc.__traceback__, file=out)
