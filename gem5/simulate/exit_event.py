"""gem5.simulate.exit_event: the kinds of exit the Simulator tells apart, and
the translation of an exit cause (the string m5.simulate() ends with) to one."""

from __future__ import annotations

from enum import Enum


class ExitEvent(Enum):
    EXIT = "exit"
    WORKBEGIN = "workbegin"
    WORKEND = "workend"
    SPATTER_EXIT = "spatter exit"
    SWITCHCPU = "switchcpu"
    FAIL = "fail"
    CHECKPOINT = "checkpoint"
    SCHEDULED_TICK = "scheduled tick exit"
    MAX_TICK = "max tick"
    USER_INTERRUPT = "user interupt"  # gem5's spelling
    SIMPOINT_BEGIN = "simpoint begins"
    MAX_INSTS = "number of instructions reached"
    PERF_COUNTER_ENABLE = "performance counter enabled"
    PERF_COUNTER_DISABLE = "performance counter disabled"
    PERF_COUNTER_RESET = "performance counter reset"
    PERF_COUNTER_INTERRUPT = "performance counter interrupt"
    KERNEL_PANIC = "kernel panic in simulated system"
    KERNEL_OOPS = "kernel oops in simulated system"

    @classmethod
    def translate_exit_status(cls, exit_string: str) -> ExitEvent:
        """The kind of exit of cause `exit_string` (gem5's causes, and the
        work-item count causes of System's work_*_exit_count params)."""
        kind = _CAUSES.get(exit_string)
        if kind is not None:
            return kind
        if exit_string.endswith(
            ("will terminate the simulation.\n", "is finished updating the memory.\n")
        ):
            return ExitEvent.EXIT  # the traffic and GUPS generators
        if exit_string.endswith("received all expected responses."):
            return ExitEvent.SPATTER_EXIT
        raise NotImplementedError(f"Exit event '{exit_string}' not implemented")


_CAUSES = {
    "m5_workbegin instruction encountered": ExitEvent.WORKBEGIN,
    "workbegin": ExitEvent.WORKBEGIN,
    "m5_workend instruction encountered": ExitEvent.WORKEND,
    "workend": ExitEvent.WORKEND,
    "m5_exit instruction encountered": ExitEvent.EXIT,
    "exiting with last active thread context": ExitEvent.EXIT,
    "simulate() limit reached": ExitEvent.MAX_TICK,
    "Tick exit reached": ExitEvent.SCHEDULED_TICK,
    "switchcpu": ExitEvent.SWITCHCPU,
    "m5_fail instruction encountered": ExitEvent.FAIL,
    "checkpoint": ExitEvent.CHECKPOINT,
    "user interrupt received": ExitEvent.USER_INTERRUPT,
    "simpoint starting point found": ExitEvent.SIMPOINT_BEGIN,
    "a thread reached the max instruction count": ExitEvent.MAX_INSTS,
    "all threads reached the max instruction count": ExitEvent.MAX_INSTS,
    "performance counter enabled": ExitEvent.PERF_COUNTER_ENABLE,
    "performance counter disabled": ExitEvent.PERF_COUNTER_DISABLE,
    "performance counter reset": ExitEvent.PERF_COUNTER_RESET,
    "performance counter interrupt": ExitEvent.PERF_COUNTER_INTERRUPT,
    "Kernel panic in simulated system.": ExitEvent.KERNEL_PANIC,
    "Kernel oops in simulated system.": ExitEvent.KERNEL_OOPS,
    # System's work-item counters (work_begin_exit_count, work_begin_cpu_id_exit,
    # work_end_exit_count): gem5's translation leaves them out
    "work started count reach": ExitEvent.WORKBEGIN,
    "work started on specific cpu": ExitEvent.WORKBEGIN,
    "work items exit count reached": ExitEvent.WORKEND,
}
