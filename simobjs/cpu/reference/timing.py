"""X86TimingSimpleCPU: the reference CPU as gem5's TimingSimpleCPU.

A blocking in-order CPU: each instruction's fetch (one access per 8-byte chunk
it spans, as gem5's x86 decoder fetches) and each of its data accesses wait
for their latency through the memory system below the CPU's ports, compiled
into C at the first slice (and again after a takeover). An instruction takes
the sum of its latencies, each rounded up to the CPU's clock edge as gem5's
CPU port does, and at least one cycle. Everything else (the engine, the
thread, interrupts, I/O, m5ops, switching and checkpoints) is the atomic
reference CPU's: this class only changes how time is kept.
"""

from __future__ import annotations

from simobjs.cpu.reference.cpu import X86AtomicSimpleCPU
from simobjs.errors import SimulationError


class X86TimingSimpleCPU(X86AtomicSimpleCPU):
    """The reference CPU in the timing memory mode."""

    _memory_mode = "timing"
    timing = True

    def _stalls(self) -> tuple[bool, bool]:
        return False, False  # every access stalls a timing CPU

    def verifyMemoryMode(self) -> None:
        if self.system is not None and self.system.getMemoryMode() != "timing":
            raise SimulationError(
                "The timing CPU requires the memory system to be in 'timing' mode.", self.name()
            )
