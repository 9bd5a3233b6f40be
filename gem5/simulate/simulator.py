"""gem5.simulate.simulator: the Simulator, gem5's standard-library run loop.

It wires the board, makes the Root, instantiates (from the board workload's
checkpoint if one is set), then simulates until a handler of an exit event
says stop. Handlers are given per ExitEvent in `on_exit_event` as a
generator, a list of functions (one per exit, then the default) or a
function (called at every such exit)."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import m5
import m5.stats
import m5.ticks
from gem5.components.boards.abstract_board import AbstractBoard
from gem5.components.processors.switchable_processor import SwitchableProcessor
from gem5.resources import local_files
from gem5.simulate.exit_event import ExitEvent
from gem5.simulate.exit_event_generators import (
    dump_stats_generator,
    exit_generator,
    reset_stats_generator,
    save_checkpoint_generator,
    skip_generator,
    switch_generator,
    warn_default_decorator,
)
from m5.objects import Root
from m5.util import warn

_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def _each_time(func: Callable[[], Any]) -> Generator[Any, None, None]:
    while True:
        yield func()


class Simulator:
    # modules a standard-library script must not import, with the reason
    _banned_modules = {
        "common.Options": "The options provided by 'Options' are not compatible with the "
        "gem5 standard library.",
    }

    def __init__(
        self,
        board: AbstractBoard,
        full_system: bool | None = None,
        on_exit_event: dict[ExitEvent, Generator | list[Callable] | Callable] | None = None,
        expected_execution_order: list[ExitEvent] | None = None,
        checkpoint_path: Path | None = None,
        max_ticks: int | None = m5.MaxTick,
        id: str | None = None,  # noqa: A002 - gem5's parameter name
    ) -> None:
        self.set_max_ticks(max_ticks if max_ticks is not None else m5.MaxTick)
        if id:
            self.set_id(id)
        processor = board.get_processor()
        self._default_on_exit_dict = {
            ExitEvent.EXIT: exit_generator(),
            ExitEvent.CHECKPOINT: warn_default_decorator(
                save_checkpoint_generator, "checkpoint", "creating a checkpoint and continuing"
            )(),
            ExitEvent.FAIL: exit_generator(),
            ExitEvent.SWITCHCPU: warn_default_decorator(
                switch_generator,
                "switch CPU",
                "switching the CPU type of the processor and continuing",
            )(processor=processor),
            ExitEvent.WORKBEGIN: warn_default_decorator(
                reset_stats_generator, "work begin", "resetting the stats and continuing"
            )(),
            ExitEvent.WORKEND: warn_default_decorator(
                dump_stats_generator, "work end", "dumping the stats and continuing"
            )(),
            ExitEvent.USER_INTERRUPT: exit_generator(),
            ExitEvent.MAX_TICK: exit_generator(),
            ExitEvent.SCHEDULED_TICK: exit_generator(),
            ExitEvent.SIMPOINT_BEGIN: warn_default_decorator(
                skip_generator, "simpoint begin", "resetting the stats and continuing"
            )(),
            ExitEvent.MAX_INSTS: warn_default_decorator(
                exit_generator, "max instructions", "exiting the simulation"
            )(),
            ExitEvent.KERNEL_PANIC: exit_generator(),
            ExitEvent.KERNEL_OOPS: exit_generator(),
        }
        if on_exit_event:
            self._on_exit_event = {}
            for key, value in on_exit_event.items():
                if isinstance(value, Generator):
                    self._on_exit_event[key] = value
                elif isinstance(value, list):
                    self._on_exit_event[key] = (func() for func in value)
                elif callable(value):
                    self._on_exit_event[key] = _each_time(value)
                else:
                    raise Exception(
                        f"`on_exit_event` for '{key.value}' event is not a Generator or "
                        "List[Callable]."
                    )
        else:
            self._on_exit_event = self._default_on_exit_dict

        self._instantiated = False
        self._board = board
        self._full_system = full_system
        self._expected_execution_order = expected_execution_order
        self._tick_stopwatch: list[tuple[ExitEvent, int]] = []
        self._last_exit_event: Any = None
        self._exit_event_count = 0
        if checkpoint_path:
            warn(
                "Setting the checkpoint path via the Simulator constructor is deprecated and "
                "will be removed in future releases of gem5. Please set this through via the "
                "appropriate workload function (i.e., `set_se_binary_workload` or "
                "`set_kernel_disk_workload`). If both are set the workload function set "
                "takes precedence."
            )
        # in a sweep, the checkpoint goes with each simulation (gem5.resources.local_files)
        self._checkpoint_path = (
            Path(local_files.located(checkpoint_path)) if checkpoint_path else None
        )

    # -- identity (multisim names each simulation's output directory after it) -------
    def set_id(self, id: str) -> None:  # noqa: A002
        """Name this simulation: letters, digits, '_' and '-', starting with a
        letter and ending with a letter or digit."""
        if not id:
            raise ValueError("ID cannot be an empty string.")
        if not id[0].isalpha():
            raise ValueError("ID must start with a letter.")
        if not id[-1].isalnum():
            raise ValueError("ID must end with a alphanumeric value (a digit or a character).")
        if not all(c.isalnum() or c in "_-" for c in id):
            raise ValueError(
                "ID can only contain alphanumeric characters, underscores, and dashes."
            )
        self._id = id

    def get_id(self) -> str | None:
        return getattr(self, "_id", None) or None

    # -- limits ------------------------------------------------------------------------
    def set_max_ticks(self, max_tick: int) -> None:
        if max_tick > m5.MaxTick:
            raise ValueError(f"Max ticks must be less than {m5.MaxTick}, not {max_tick}")
        self._max_ticks = max_tick

    def get_max_ticks(self) -> int:
        return self._max_ticks

    def schedule_simpoint(self, simpoint_start_insts: list[int]) -> None:
        if self._board.get_processor().get_num_cores() > 1:
            warn("SimPoints only work with one core")
        self._board.get_processor().get_cores()[0]._set_simpoint(
            simpoint_start_insts, self._instantiated
        )

    def schedule_max_insts(self, inst: int) -> None:
        """A MAX_INSTS exit when any thread of any core has run `inst` instructions."""
        for core in self._board.get_processor().get_cores():
            core._set_inst_stop_any_thread(inst, self._instantiated)

    # -- stats ---------------------------------------------------------------------------
    def get_stats(self) -> dict[str, Any]:
        """The stats now, as simobjs writes one dump of stats.json:
        {"tick": ..., "stats": {full name: {"value" or "values", "unit", "description"}}}."""
        if not self._instantiated:
            raise Exception("Cannot obtain simulation statistics prior to initialization.")
        from simobjs.sim import core, stats

        sim = core.require()
        sim.stats.root.prepare()
        return {"tick": sim.curTick(), "stats": stats.to_json(sim.stats.owners())}

    def get_simstats(self) -> Any:
        raise NotImplementedError(
            "gem5's SimStat objects (m5.ext.pystats) are not provided by simobjs: use "
            "get_stats(), or read stats.json in the output directory"
        )

    @staticmethod
    def _check_output_path(path: str, kind: str) -> None:
        target = Path(path)  # checked as gem5 does (a relative path from here);
        parent = target.parent  # the stats are written relative to the outdir
        if (
            not parent.is_dir()
            or not os.access(parent, os.W_OK)
            or (target.exists() and (target.is_dir() or not os.access(target, os.W_OK)))
        ):
            raise Exception(f"Specified {kind} stats output path '{path}' is invalid.")

    def add_text_stats_output(self, path: str) -> None:
        """Also write the stats as text to `path` at every dump."""
        self._check_output_path(path, "text")
        m5.stats.addStatVisitor(path)

    def add_json_stats_output(self, path: str) -> None:
        """Also write the stats as JSON to `path` at every dump."""
        self._check_output_path(path, "json")
        m5.stats.addStatVisitor(f"json://{path}")

    # -- what happened -----------------------------------------------------------------------
    def get_last_exit_event_cause(self) -> str:
        return self._last_exit_event.getCause()

    def get_last_exit_event_code(self) -> int:
        return self._last_exit_event.getCode()

    def get_current_tick(self) -> int:
        return m5.curTick()

    def get_tick_stopwatch(self) -> list[tuple[ExitEvent, int]]:
        """(exit event, tick) of every exit so far."""
        return self._tick_stopwatch

    def get_roi_ticks(self) -> list[int]:
        """The length in ticks of every region between a WORKBEGIN and a WORKEND exit."""
        start, out = 0, []
        for event, tick in self._tick_stopwatch:
            if event == ExitEvent.WORKBEGIN:
                start = tick
            elif event == ExitEvent.WORKEND:
                out.append(tick - start)
        return out

    def override_outdir(self, new_outdir: Path) -> None:
        """Write this simulation's outputs to `new_outdir` (created) instead of -d's."""
        if self._instantiated:
            raise Exception(
                "Cannot override the output directory after the simulation has been instantiated."
            )
        new_outdir = Path(new_outdir)
        new_outdir.mkdir(parents=True, exist_ok=True)
        if not new_outdir.is_dir():
            raise Exception(f"'{new_outdir}' is not a directory")
        m5.core.setOutputDir(str(new_outdir))

    # -- running -------------------------------------------------------------------------------
    def _uses_kvm(self) -> bool:
        processor = self._board.processor
        cores = list(processor.get_cores())
        if isinstance(processor, SwitchableProcessor):
            cores = list(processor._all_cores())
        return any(core.is_kvm_core() for core in cores)

    def _instantiate(self) -> None:
        if self._instantiated:
            return
        self._board._pre_instantiate()
        full_system = (
            self._full_system if self._full_system is not None else self._board.is_fullsystem()
        )
        self._root = Root(full_system=full_system, board=self._board)
        if self._uses_kvm():
            # as gem5: KVM needs a fixed tick frequency and a simulation quantum
            m5.ticks.fixGlobalFrequency()
            self._root.sim_quantum = m5.ticks.fromSeconds(0.001)
        checkpoint = self._board._checkpoint
        m5.instantiate(checkpoint.as_posix() if checkpoint else self._checkpoint_path)
        self._instantiated = True
        self._board._post_instantiate()

    def run(self, max_ticks: int | None = None) -> None:
        """Simulate, handing each exit to its handler, until one says stop."""
        if max_ticks and max_ticks != self._max_ticks:
            warn(
                "Max ticks has already been set prior to setting it through the run call. "
                "In these cases the max ticks set through the `run` function is used"
            )
            self.set_max_ticks(max_ticks)
        deferred = local_files.errors_of(self._board)
        if deferred:  # a resource of this board could not be obtained (a sweep)
            raise deferred[0]
        for module, reason in self._banned_modules.items():
            if module in sys.modules:
                raise Exception(
                    f"The banned module '{module}' has been included. Please do not use this "
                    f"in your simulations. Reason: {reason}"
                )
        self._instantiate()
        while True:
            self._last_exit_event = m5.simulate(self.get_max_ticks())
            kind = ExitEvent.translate_exit_status(self.get_last_exit_event_cause())
            order = self._expected_execution_order
            if order:
                expected = order[self._exit_event_count]
                if kind.value != expected.value:
                    raise Exception(
                        f"Expected a '{expected.value}' exit event but a '{kind.value}' exit "
                        "event was encountered."
                    )
            self._tick_stopwatch.append((kind, self.get_current_tick()))
            try:
                stop = next(self._on_exit_event[kind])
            except StopIteration:
                warn(
                    "User-specified generator/function list for the exit event"
                    f"'{kind.value}' has ended. Using the default generator."
                )
                stop = next(self._default_on_exit_dict[kind])
            except KeyError:
                stop = next(self._default_on_exit_dict[kind])
            self._exit_event_count += 1
            if stop:
                return

    def save_checkpoint(self, checkpoint_dir: Path) -> None:
        """Write a checkpoint to `checkpoint_dir` now."""
        m5.checkpoint(str(checkpoint_dir))
