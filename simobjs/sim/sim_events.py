"""Events that end the simulation loop (gem5's GlobalSimLoopExitEvent, exitSimLoop)."""

from __future__ import annotations

from simobjs.sim.eventq import Event, Priority


class SimLoopExit(Exception):
    """Raised by an exit event to leave the event loop; carries the event."""

    def __init__(self, event: GlobalSimLoopExitEvent):
        super().__init__(event.getCause())
        self.event = event


class GlobalSimLoopExitEvent(Event):
    """Ends `simulate()` when processed; the caller sees `getCause()` and `getCode()`."""

    __slots__ = ("cause", "code", "repeat", "home")

    def __init__(self, cause: str, code: int = 0, repeat: int = 0, home=None):
        super().__init__(Priority.Sim_Exit, "simulation loop exit")
        self.cause = cause
        self.code = int(code)
        self.repeat = int(repeat)
        self.home = home  # the queue a repeating exit goes back to

    def getCause(self) -> str:
        return self.cause

    def getCode(self) -> int:
        return self.code

    def description(self) -> str:
        return f"exit: {self.cause}"

    def process(self) -> None:
        if self.repeat and self.home is not None:
            self.home.schedule(self, self.home.curTick() + self.repeat)
        raise SimLoopExit(self)
