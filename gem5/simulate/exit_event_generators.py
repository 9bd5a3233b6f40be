"""gem5.simulate.exit_event_generators: the Simulator's handlers of exit events,
as generators. Each `next()` handles one exit and yields True to leave
Simulator.run(), False to go on."""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import m5
import m5.stats
from gem5.components.processors.abstract_processor import AbstractProcessor
from gem5.components.processors.switchable_processor import SwitchableProcessor
from m5.util import warn

Handler = Generator[bool | None, None, None]


def warn_default_decorator(gen: Callable[..., Handler], type: str, effect: str):  # noqa: A002
    """`gen` that first warns that it is the default behaviour for `type` exits."""

    def wrapped(*args: Any, **kwargs: Any) -> Handler:
        warn(f"No behavior was set by the user for {type}. Default behavior is {effect}.")
        yield from gen(*args, **kwargs)

    return wrapped


def exit_generator() -> Handler:
    """Leave the run loop at every such exit."""
    while True:
        yield True


def switch_generator(processor: AbstractProcessor) -> Handler:
    """Switch a SwitchableProcessor's cores at every such exit (nothing otherwise)."""
    switchable = isinstance(processor, SwitchableProcessor)
    while True:
        if switchable:
            yield processor.switch()
        else:
            yield False


def dump_reset_generator() -> Handler:
    """Dump the stats, then reset them; go on."""
    while True:
        m5.stats.dump()
        m5.stats.reset()
        yield False


def save_checkpoint_generator(checkpoint_dir: Path | None = None) -> Handler:
    """Write a checkpoint to `checkpoint_dir`/cpt.<tick> (default: the outdir); go on."""
    if not checkpoint_dir:
        checkpoint_dir = Path(m5.options.outdir)
    while True:
        m5.checkpoint((Path(checkpoint_dir) / f"cpt.{m5.curTick()}").as_posix())
        yield False


def reset_stats_generator() -> Handler:
    """Reset the stats without dumping them; go on."""
    while True:
        m5.stats.reset()
        yield False


def dump_stats_generator() -> Handler:
    """Dump the stats; go on."""
    while True:
        m5.stats.dump()
        yield False


def skip_generator() -> Handler:
    """Do nothing; go on."""
    while True:
        yield False


def simpoints_save_checkpoint_generator(checkpoint_dir: Path, simpoint: Any) -> Handler:
    """A checkpoint cpt.SimPoint<i> per SimPoint start (several when starts coincide);
    leave the loop after the last one."""
    starts = simpoint.get_simpoint_start_insts()
    count = 0
    while True:
        first = starts[count]
        while count < len(starts) and starts[count] == first:
            m5.checkpoint((Path(checkpoint_dir) / f"cpt.SimPoint{count}").as_posix())
            count += 1
        yield count >= len(starts)
