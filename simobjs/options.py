"""Run options shared by the command line and the kernel (gem5's m5.options).

A script run by `simobjs` sees the command line's values; a script run by plain
`python` gets the defaults (outdir m5out, stats.txt, config.ini, config.json).
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class Options:
    outdir: str = "m5out"
    stats_file: str = "stats.txt"
    dump_config: str = "config.ini"
    json_config: str = "config.json"
    dot_config: str = "config.dot"
    config_only: bool = False
    quiet: bool = False
    debug_flags: str = ""
    debug_file: str = ""
    debug_start: int = 0
    redirect_stdout: bool = False
    redirect_stderr: bool = False


options = Options()


def set_from_namespace(ns) -> None:
    """Copy the matching attributes of an argparse namespace."""
    for f in fields(Options):
        if hasattr(ns, f.name):
            setattr(options, f.name, getattr(ns, f.name))


def reset() -> None:
    global options
    for f in fields(Options):
        setattr(options, f.name, f.default)
