"""gem5.components.boards.se_binary_workload: `set_se_binary_workload`, the
SE-mode workload of a board (a Process per core, an SE workload for the
binary, a checkpoint to start from)."""

from __future__ import annotations

from pathlib import Path

from gem5.components.boards.abstract_board import AbstractBoard
from gem5.components.processors.switchable_processor import SwitchableProcessor
from gem5.resources import local_files
from gem5.resources.resource import (
    AbstractResource,
    BinaryResource,
    CheckpointResource,
    FileResource,
    SimpointResource,
    UnresolvedResource,
)
from m5.objects import Process, SEWorkload

M5OPS_BASE = 0xFFFF0000


class SEBinaryWorkload:
    """A mixin for boards that run a binary in syscall-emulation mode."""

    def set_se_binary_workload(
        self,
        binary: BinaryResource,
        exit_on_work_items: bool = True,
        stdin_file: FileResource | None = None,
        stdout_file: Path | None = None,
        stderr_file: Path | None = None,
        env_list: list[str] | None = None,
        arguments: list[str] = [],  # noqa: B006 - gem5's signature; never mutated
        checkpoint: Path | CheckpointResource | None = None,
    ) -> None:
        """Run `binary` with `arguments` on every core under SE mode; work-item
        m5ops exit the simulation loop when `exit_on_work_items` (gem5's default)."""
        assert isinstance(self, AbstractBoard)
        self._set_fullsystem(False)
        unresolved = [
            r for r in (binary, stdin_file, checkpoint) if isinstance(r, UnresolvedResource)
        ]
        if unresolved:  # in a sweep: this board's simulation fails when it runs
            for resource in unresolved:
                local_files.defer(self, resource.error)
            return
        binary_path = binary.get_local_path()
        self.workload = SEWorkload.init_compatible(binary_path)

        process = Process()
        process.executable = binary_path
        process.cmd = [binary_path, *arguments]
        if stdin_file is not None:
            process.input = stdin_file.get_local_path()
        if stdout_file is not None:
            process.output = Path(stdout_file).as_posix()
        if stderr_file is not None:
            process.errout = Path(stderr_file).as_posix()
        if env_list is not None:
            process.env = env_list

        processor = self.get_processor()
        cores = (
            list(processor._all_cores())
            if isinstance(processor, SwitchableProcessor)
            else processor.get_cores()
        )
        # the m5ops page above RAM, as gem5 places it for KVM (which needs it); gem5
        # leaves it off for the other CPUs, simobjs keeps it on for them too (its
        # default), moved above RAM so a memory of 4 GiB or more does not cover it
        self.m5ops_base = max(M5OPS_BASE, self.get_memory().get_size())
        if any(core.is_kvm_core() for core in cores):
            process.kvmInSE = True
            process.useArchPT = True
        for core in cores:
            core.set_workload(process)

        self.exit_on_work_items = exit_on_work_items
        if checkpoint:
            if isinstance(checkpoint, Path):  # in a sweep: shipped with each simulation
                self._checkpoint = Path(local_files.located(checkpoint))
            elif isinstance(checkpoint, AbstractResource):
                self._checkpoint = Path(checkpoint.get_local_path())
            else:
                raise Exception("The checkpoint must be None, Path, or AbstractResource.")

    def set_se_simpoint_workload(
        self,
        binary: BinaryResource,
        arguments: list[str] = [],  # noqa: B006 - gem5's signature; never mutated
        simpoint: SimpointResource | None = None,
        checkpoint: Path | CheckpointResource | None = None,
    ) -> None:
        """gem5 schedules SimPoint starts as instruction-count exits; simobjs's
        CPUs have no SimPoint probe, so this is refused with the reason."""
        raise NotImplementedError(
            "set_se_simpoint_workload is not supported by simobjs: SimPoint start "
            "instructions need gem5's SimPoint probe, which simobjs's CPUs do not have; "
            "use Simulator.schedule_max_insts() to stop at an instruction count"
        )
