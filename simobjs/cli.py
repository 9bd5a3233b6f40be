"""The `simobjs` command: gem5.opt's options, a few sub-commands, and the default demo.

simobjs [options] SCRIPT [script args]   run a gem5-style config script
simobjs [options] [demo [--reference-only]]   run the default demo
simobjs kvm-info [--json]                diagnose this host's KVM
simobjs schema                           print the JSON Schema of YAML configs
simobjs graph SCRIPT [args]              write the object graph as DOT (and SVG)
simobjs stats compare OUTDIR [stat ...]  compare stats across a sweep's simulations
simobjs [options] -m MODULE [args]       run a library module as a script (gem5's -m)
"""

from __future__ import annotations

import argparse
import os
import runpy
import sys
from pathlib import Path
from typing import Any

import simobjs
from simobjs import failure
from simobjs.errors import ConfigError, SimobjsError, Terminated
from simobjs.sim import outdir as outdir_lock

SUBCOMMANDS = ("kvm-info", "schema", "graph", "stats")

BANNER = """simobjs: gem5's config layer and KVM CPU in Python.

simobjs version {version}
simobjs started {started}
simobjs executing on {host}, pid {pid}
command line: {cmdline}
"""


def _option_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="simobjs",
        usage="simobjs [options] SCRIPT [script options]\n"
        "       simobjs [options] -m MODULE [args]\n"
        "       simobjs {kvm-info,schema,graph,stats} ...\n"
        "       simobjs [options] [demo [--reference-only]]   (the default demo)",
        description="Run a gem5-style config script on simobjs (KVM + reference CPU).",
        add_help=True,
    )
    p.add_argument("--version", action="version", version=f"simobjs {simobjs.__version__}")
    p.add_argument(
        "-d",
        "--outdir",
        default="m5out",
        metavar="DIR",
        help="Set the output directory to DIR [default: m5out]",
    )
    p.add_argument(
        "-r",
        "--redirect-stdout",
        action="store_true",
        help="Redirect stdout (& stderr, without -e) to DIR/simout.txt",
    )
    p.add_argument(
        "-e", "--redirect-stderr", action="store_true", help="Redirect stderr to DIR/simerr.txt"
    )
    p.add_argument(
        "--stdout-file",
        default="simout.txt",
        metavar="FILE",
        help="Filename for -r redirection [default: simout.txt]",
    )
    p.add_argument(
        "--stderr-file",
        default="simerr.txt",
        metavar="FILE",
        help="Filename for -e redirection [default: simerr.txt]",
    )
    p.add_argument(
        "--stats-file",
        default="stats.txt",
        metavar="FILE",
        help="Sets the output file for statistics [default: stats.txt]",
    )
    p.add_argument(
        "--dump-config",
        default="config.ini",
        metavar="FILE",
        help="Dump configuration output file [default: config.ini]",
    )
    p.add_argument(
        "--json-config",
        default="config.json",
        metavar="FILE",
        help="Create JSON output of the configuration [default: config.json]",
    )
    p.add_argument(
        "--dot-config",
        default="config.dot",
        metavar="FILE",
        help="Create DOT & SVG output of the configuration [default: config.dot]",
    )
    p.add_argument(
        "--debug-flags",
        default="",
        metavar="FLAG[,FLAG]",
        help="Sets the flags for debug output (-FLAG disables a flag)",
    )
    p.add_argument(
        "--debug-file",
        default="",
        metavar="FILE",
        help="Sets the output file for debug (default: stdout)",
    )
    p.add_argument(
        "--debug-start", type=int, default=0, metavar="TICK", help="Start debug output at TICK"
    )
    p.add_argument(
        "--debug-end", type=int, default=None, metavar="TICK", help="End debug output at TICK"
    )
    p.add_argument(
        "--debug-ignore",
        default="",
        metavar="EXPR",
        help="Ignore debug output of the objects EXPR names (comma list of paths, * = any name)",
    )
    p.add_argument("--debug-help", action="store_true", help="Print the debug flags and exit")
    p.add_argument(
        "--config-only",
        action="store_true",
        help="Stop m5.instantiate() after writing the config files: no models, no KVM",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="Reduce verbosity")
    p.add_argument(
        "--debug",
        action="store_true",
        help="Show the Python traceback of every error, not only of internal ones "
        f"(also: {failure.TRACEBACK_ENV}=1)",
    )
    p.add_argument(
        "-s",
        "--silent-redirect",
        action="store_true",
        help="Don't print the 'Redirecting ...' line of -r/-e",
    )
    p.add_argument(
        "-i",
        "--interactive",
        action="store_true",
        help="Run an interactive Python in the script's namespace after it ends",
    )
    p.add_argument(
        "--listener-mode",
        choices=("on", "off", "auto"),
        default="auto",
        help="Accepted for gem5 command lines: simobjs opens no listening sockets",
    )
    p.add_argument(
        "--progress",
        choices=("auto", "on", "off"),
        default="auto",
        help="Progress line on stderr during long simulate() calls "
        "[default: auto = only when stderr is a terminal]",
    )
    p.add_argument(
        "--list-objects",
        "--list-sim-objects",
        action="store_true",
        dest="list_objects",
        help="List the SimObjects simobjs models and exit",
    )
    p.add_argument(
        "-m",
        dest="module",
        nargs=argparse.REMAINDER,
        metavar="mod",
        help="run library module as a script (terminates option list), e.g. "
        "-m simobjs.multisim SCRIPT",
    )
    p.add_argument("script", nargs="?", help="the config script to run")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    return p


def _redirect(options: argparse.Namespace) -> None:
    from simobjs.sim import files

    stdout_file = Path(options.outdir) / options.stdout_file
    stderr_file = Path(options.outdir) / options.stderr_file
    if options.silent_redirect:
        pass
    elif options.redirect_stdout and not options.redirect_stderr:
        print("Redirecting stdout and stderr to", stdout_file)
    else:
        if options.redirect_stdout:
            print("Redirecting stdout to", stdout_file)
        if options.redirect_stderr:
            print("Redirecting stderr to", stderr_file)
    sys.stdout.flush()
    if options.redirect_stdout:
        out = files.open_output(stdout_file, "w", buffering=1)
        os.dup2(out.fileno(), 1)
        sys.stdout = out
        if not options.redirect_stderr:
            os.dup2(out.fileno(), 2)
            sys.stderr = out
    if options.redirect_stderr:
        err = files.open_output(stderr_file, "w", buffering=1)
        os.dup2(err.fileno(), 2)
        sys.stderr = err


def _list_objects() -> int:
    from simobjs.objects import supported_names

    for name in sorted(supported_names()):
        print(name)
    return 0


def _check_debug_flags(spec: str) -> str | None:
    """The first unknown name in a --debug-flags list (gem5 refuses it), or None."""
    from simobjs.sim import debug

    known = set(debug.all_flags())
    for name in spec.split(","):
        name = name.strip().removeprefix("-")
        if name and name not in known:
            return name
    return None


def _apply_options(options: argparse.Namespace) -> int:
    """Hand the run options to the kernel and the debug machinery; non-zero on bad input."""
    from simobjs import options as run_options

    run_options.set_from_namespace(options)
    from simobjs.sim import debug

    if options.debug_flags:
        bad = _check_debug_flags(options.debug_flags)
        if bad is not None:
            print(f"invalid debug flag '{bad}'", file=sys.stderr)
            return 1
        debug.set_flags(options.debug_flags)
        if options.debug_file:
            if options.debug_file in ("cout", "cerr"):
                debug.set_file(options.debug_file)
            else:
                os.makedirs(options.outdir, exist_ok=True)
                debug.set_file(os.path.join(options.outdir, options.debug_file))
    if options.debug_start:
        debug.set_start(options.debug_start)
    if options.debug_end is not None:
        debug.set_end(options.debug_end)
    if options.debug_ignore:
        debug.set_ignore(options.debug_ignore)
    return 0


class RunWatch:
    """Listens to every simulate() call of the run (`simobjs.sim.core.listeners`):
    keeps the last exit event and brackets the progress line. It only reads."""

    def __init__(self, progress: Any = None) -> None:
        self.last_exit: Any = None
        self.progress = progress

    def simulate_begin(self, sim: Any) -> None:
        if self.progress is not None:
            self.progress.begin(sim)

    def simulate_end(self, sim: Any, event: Any) -> None:
        if self.progress is not None:
            self.progress.end()
        if event is not None:
            self.last_exit = event

    def __enter__(self) -> RunWatch:
        from simobjs.sim import core

        core.listeners.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        from simobjs.sim import core

        core.listeners.remove(self)
        if self.progress is not None:
            self.progress.close()

    def exit_code(self) -> int:
        """The last exit event's code (m5_fail's code); 0 when nothing ran."""
        return int(self.last_exit.getCode()) if self.last_exit is not None else 0


def _write_config_anyway(options: argparse.Namespace, reported: bool = False) -> None:
    """After a failure before m5.instantiate(): write the config files if the graph allows.
    `reported`: the failure was a configuration error already printed (not again)."""
    from simobjs import config
    from simobjs.params.simobject import get_root
    from simobjs.sim import core

    root = get_root()
    outdir = Path(options.outdir)
    if root is None or core.current() is not None or (outdir / options.dump_config).exists():
        return
    try:
        config.prepare(root)
        written = config.write_all(root, outdir)
    except Exception as e:  # noqa: BLE001 - the graph itself is what failed
        if not reported:
            print(f"warn: config files not written: {e}", file=sys.stderr)
        return
    wanted = {
        "config.ini": options.dump_config,
        "config.json": options.json_config,
        "config.dot": options.dot_config,
    }
    for path in written:
        target = wanted.get(path.name)
        if target and target != path.name:
            path.replace(outdir / target)
        elif target == "":
            path.unlink()


def _exit_status(e: SystemExit) -> int:
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code
    print(e.code, file=sys.stderr)
    return 1


CONFIG_SUFFIXES = (".yaml", ".yml", ".json")


def _children(obj: Any, name: str) -> list[Any]:
    """`obj.name` as a list of declarations ([] when unset)."""
    try:
        value = getattr(obj, name)
    except AttributeError:
        return []
    if value is None:
        return []
    from simobjs.params.desc import SimObjectVector

    return list(value) if isinstance(value, list | tuple | SimObjectVector) else [value]


def _run_config_file(path: Path) -> None:
    """Run a declarative config (YAML/JSON) with run_root."""
    from simobjs.config.yaml_loader import load_file

    run_root(load_file(path))


def run_root(root: Any) -> None:
    """Run a Root as a minimal gem5 script would: instantiate, simulate to the end,
    checkpoint at "checkpoint" exits, switch at "switchcpu" when the system has
    switch_cpus, and print gem5's "Exiting @ tick" line."""
    import m5

    system = getattr(root, "system", None)
    running = list(_children(system, "cpu"))
    spare = list(_children(system, "switch_cpus"))
    m5.instantiate()
    while True:
        event = m5.simulate()
        cause = event.getCause()
        if cause == "checkpoint":
            m5.checkpoint(os.path.join(m5.options.outdir, "cpt.%d"))
        elif cause == "switchcpu" and spare and len(spare) == len(running):
            m5.switchCpus(system, list(zip(running, spare, strict=True)))
            running, spare = spare, running
        elif cause not in ("workbegin", "workend", "switchcpu"):
            break
    print(f"Exiting @ tick {m5.curTick()} because {cause}")


def run_script(
    script: str, args: list[str], options: argparse.Namespace, module: str | None = None
) -> int:
    """Run a config script as gem5 does: `m5` importable, sys.argv = [script, *args].
    With `module`, run that module as gem5's -m does: sys.argv = [module, *args].

    The exit code: the script's own sys.exit() code if it calls it, 1 (with the
    traceback) if it raises, else the last exit event's code (m5_fail's code).
    """
    from simobjs import progress
    from simobjs.config import build
    from simobjs.sim import core

    path = Path(script)
    if module is not None:
        missing = _module_missing(module)
        if missing:
            print(f"fatal: {missing}", file=sys.stderr)
            return 1
        sys.argv = [module, *args]
    elif not path.is_file():
        print(f"fatal: Python script {script} not found", file=sys.stderr)
        return 1
    else:
        sys.argv = [str(path), *args]
        _import_own_packages()
        sys.path.insert(0, str(path.resolve().parent))
    mode = getattr(options, "progress", "off")
    if mode == "auto" and (options.quiet or options.redirect_stdout or options.redirect_stderr):
        mode = "off"
    show = progress.wanted(mode, sys.stderr)
    with RunWatch(progress.Progress() if show else None) as watch:
        try:
            if module is not None:
                runpy.run_module(module, run_name="__m5_main__")
            elif path.suffix in CONFIG_SUFFIXES:
                _run_config_file(path)
            else:
                scope = runpy.run_path(str(path), run_name="__m5_main__")
                if getattr(options, "interactive", False):
                    _interact(scope)
            code = _multisim_check(watch.exit_code())
        except Terminated as e:
            at = f" @ tick {e.tick}" if e.tick is not None else ""
            print(
                f"simobjs: terminated by SIGTERM{at}: writing the final stats and exiting",
                file=sys.stderr,
            )
            code = int(e.code)
        except SystemExit as e:
            code = _exit_status(e)
        except build.ConfigOnlyStop:
            code = 0
        except KeyboardInterrupt:
            print("simobjs: interrupted", file=sys.stderr)
            code = 130
        except BaseException as e:  # noqa: BLE001 - one policy: fatal line, or traceback for bugs
            sys.stdout.flush()
            code = failure.report(e, str(path), debug=getattr(options, "debug", False))
            _write_config_anyway(options, reported=isinstance(e, ConfigError))
        finally:
            sys.stdout.flush()
    return core.finalize(code)


def _import_own_packages() -> None:
    """Import the top-level packages simobjs provides (kvm, m5, gem5) before the script's
    directory goes first on sys.path, as gem5 puts it: a directory of the same name
    beside the script (a gem5 source tree called gem5, an output directory called kvm)
    would otherwise be taken for the package when simobjs is installed in editable mode."""
    import gem5  # noqa: F401
    import kvm  # noqa: F401
    import m5  # noqa: F401


def _module_missing(module: str) -> str | None:
    """Why `-m module` cannot run (no such module), or None."""
    import importlib.util

    try:
        if importlib.util.find_spec(module) is not None:
            return None
    except ModuleNotFoundError as e:
        return str(e)
    except (ImportError, ValueError):
        return None  # a package that fails to import: its own traceback says why
    return f"No module named '{module}'"


def _multisim_check(code: int) -> int:
    """A script that declared simulations (simobjs.multisim) and was given an id that
    none of them has fails (gem5 silently runs nothing)."""
    front = sys.modules.get("simobjs.multisim.front")
    return front.check_after_script(code) if front is not None else code


def _interact(scope: dict[str, Any]) -> None:
    """gem5's -i: a Python prompt with the script's names (m5, root, ...)."""
    import code

    code.interact(
        banner="simobjs interactive console (the script's namespace; Ctrl-D ends)",
        local=scope,
        exitmsg="",
    )


def _cmd_kvm_info(argv: list[str]) -> int:
    from simobjs.tools import kvm_info as info

    return info.main(argv, prog="simobjs kvm-info")


def _cmd_schema(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="simobjs schema", description="Print the JSON Schema for YAML/JSON configs."
    )
    p.add_argument("-o", "--output", help="write to FILE instead of stdout")
    a = p.parse_args(argv)
    import json

    from simobjs.config.schema import generate_schema

    text = json.dumps(generate_schema(), indent=2, sort_keys=True)
    if a.output:
        Path(a.output).write_text(text + "\n")
    else:
        print(text)
    return 0


def _cmd_graph(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="simobjs graph", description="Write the object graph of a config script as DOT/SVG."
    )
    p.add_argument("-d", "--outdir", default="m5out")
    p.add_argument("script")
    p.add_argument("args", nargs=argparse.REMAINDER)
    a = p.parse_args(argv)
    options = _option_parser().parse_args(["-d", a.outdir, "--config-only", a.script, *a.args])
    try:
        outdir_lock.acquire(options.outdir)
    except (OSError, SimobjsError) as e:
        return failure.report(e)
    try:
        code = _apply_options(options) or run_script(a.script, a.args, options)
    finally:
        outdir_lock.release(options.outdir)
    dot = Path(a.outdir) / options.dot_config
    if dot.exists():
        print(f"graph: {dot}")
        svg = dot.with_suffix(".svg")
        if svg.exists():
            print(f"graph: {svg}")
    return code


def _cmd_stats(argv: list[str]) -> int:
    from simobjs.multisim import compare

    return compare.main(argv)


def _report_crashes() -> None:
    """A crash in native code (a segfault in a library, an abort) prints the Python
    stack of every thread to stderr, as gem5 prints its backtrace."""
    import faulthandler

    try:
        faulthandler.enable(file=sys.stderr, all_threads=True)
    except (AttributeError, ValueError, OSError):  # io.UnsupportedOperation is both
        pass  # stderr has no file descriptor (embedded use): Python's default applies


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in SUBCOMMANDS:
        cmd = {
            "kvm-info": _cmd_kvm_info,
            "schema": _cmd_schema,
            "graph": _cmd_graph,
            "stats": _cmd_stats,
        }[argv[0]]
        return cmd(argv[1:])
    parser = _option_parser()
    options = parser.parse_args(argv)
    if options.module == []:
        parser.error("argument -m: expected a module name")
    if options.list_objects:
        return _list_objects()
    if options.debug_help:
        from simobjs.sim import debug

        print(debug.help_text())
        return 0
    try:
        outdir_lock.acquire(options.outdir)  # before anything is written there (-r's simout.txt)
    except (OSError, SimobjsError) as e:
        return failure.report(e, debug=options.debug)
    try:
        return _run_command(options, argv)
    except (OSError, SimobjsError) as e:  # before or after the script: the outdir, -r, ...
        return failure.report(e, debug=options.debug)
    finally:
        outdir_lock.release_all()  # (a simulation never closed holds its outdir too)


def _run_command(options: argparse.Namespace, argv: list[str]) -> int:
    _redirect(options)
    _report_crashes()
    from simobjs.sim import core

    # from the start, as gem5: a stats signal never kills a run; SIGTERM ends it cleanly
    core._keep_stats_signals()
    if not options.quiet:
        import datetime
        import shlex
        import socket

        print(
            BANNER.format(
                version=simobjs.__version__,
                started=datetime.datetime.now().strftime("%b %d %Y %H:%M:%S"),
                host=socket.gethostname(),
                pid=os.getpid(),
                cmdline=" ".join(shlex.quote(a) for a in ["simobjs", *argv]),
            )
        )
    if _apply_options(options):
        return 1
    if options.module:
        module, *args = options.module
        return run_script(module, args, options, module=module)
    if options.script is None or (options.script == "demo" and not Path("demo").exists()):
        from simobjs.demo import demo_script

        script, args = demo_script(), options.args
    else:
        script, args = options.script, options.args
    return run_script(script, args, options)


if __name__ == "__main__":
    sys.exit(main())
