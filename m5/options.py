"""gem5's m5.options module. At run time gem5 replaces `m5.options` with the
parsed command line; here `m5.options` is always the command line's values
(simobjs.options), and this module forwards attribute reads to them so
`import m5.options; m5.options.outdir` works either way."""

from __future__ import annotations

from typing import Any

from simobjs.options import options as _options

__all__: list[str] = []


def __getattr__(name: str) -> Any:
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(_options, name)
