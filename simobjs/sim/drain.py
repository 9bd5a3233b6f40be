"""Drain states (gem5's DrainState)."""

from enum import Enum


class DrainState(Enum):
    Running = 0
    Draining = 1
    Drained = 2
    Resuming = 3


class DrainManager:
    """Drains every model before a checkpoint or a CPU switch (gem5's DrainManager).

    `try_drain()` asks each model; models answering Draining call
    `signalDrainDone()` later, and when the last one does the manager ends the
    simulation loop with "Finished drain". `m5.drain()` repeats rounds until
    one round finds everything drained at once.
    """

    def __init__(self, models, exit_sim_loop, debug_print=None):
        self._models = models  # callable -> models in creation order
        self._exit = exit_sim_loop
        self._dprint = debug_print
        self.state = DrainState.Running
        self.count = 0

    def _say(self, fmt: str, *args) -> None:
        if self._dprint is not None:
            self._dprint(fmt, *args)

    def isDrained(self) -> bool:
        return self.state is DrainState.Drained

    def try_drain(self) -> bool:
        if self.state is DrainState.Drained:
            raise RuntimeError("Trying to drain a drained system")
        if self.count != 0:
            raise RuntimeError("Drain counter must be zero at the start of a drain cycle")
        models = self._models()
        self._say("Trying to drain %u objects.", len(models))
        self.state = DrainState.Draining
        for m in models:
            m._drain_state = DrainState.Draining
            status = m.drain()
            if status is None:
                status = DrainState.Drained
            if status not in (DrainState.Draining, DrainState.Drained):
                raise RuntimeError(f"{m.name()}: drain() returned {status}")
            m._drain_state = status
            if status is DrainState.Draining:
                self._say("%s is still draining.", m.name())
                self.count += 1
        if self.count == 0:
            self._say("Drain done.")
            self.state = DrainState.Drained
            return True
        self._say("Need another drain cycle. %u/%u objects not ready.", self.count, len(models))
        return False

    tryDrain = try_drain

    def signal_drain_done(self, model=None) -> None:
        if self.count <= 0:
            raise RuntimeError("signalDrainDone() without a drain in progress")
        self.count -= 1
        if self.count == 0:
            self._say("All objects drained.")
            self._exit("Finished drain", 0)

    signalDrainDone = signal_drain_done

    def resume(self) -> None:
        if self.state is DrainState.Running:
            raise RuntimeError("Trying to resume a system that is already running")
        if self.state is DrainState.Resuming:
            raise RuntimeError("Resuming a system that is already trying to resume.")
        if self.count != 0:
            raise RuntimeError(
                f"Resume called in the middle of a drain cycle. {self.count} objects left to drain."
            )
        self.state = DrainState.Resuming
        models = self._models()
        while True:
            for m in models:
                if m._drain_state is not DrainState.Running:
                    m._drain_state = DrainState.Resuming
                    m.drainResume()
                    m._drain_state = DrainState.Running
            if all(m._drain_state is DrainState.Running for m in models):
                break
        self.state = DrainState.Running

    def pre_checkpoint_restore(self) -> None:
        """Before a restore every object counts as Drained, so the first simulate resumes all."""
        if self.state is not DrainState.Running:
            raise RuntimeError("preCheckpointRestore() called on a system that isn't Running")
        self.state = DrainState.Drained
        for m in self._models():
            m._drain_state = DrainState.Drained

    preCheckpointRestore = pre_checkpoint_restore
