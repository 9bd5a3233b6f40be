"""X86BareMetalWorkload: load a static ELF into the system's RAM and start CPU 0 at its entry.

The boot state is the guest boot contract (see `simobjs.arch.x86.loader`).
As gem5's x86 workloads do, context 0 is activated and the others stay
suspended, waiting for INIT and a startup IPI from the program (see
`startup_state` for where they start).
"""

from __future__ import annotations

from simobjs.arch.x86 import loader
from simobjs.errors import ConfigError, Problem
from simobjs.sim import debug
from simobjs.sim.model import Params
from simobjs.sim.workload import Workload


class X86BareMetalWorkload(Workload):
    def __init__(self, params: Params):
        super().__init__(params)
        self.object_file = params.object_file
        self.image: loader.BootImage | None = None

    def _find_system(self):
        if self.system is None:
            raise ConfigError(Problem(self.name(), "this workload belongs to no System"))
        return self.system

    def _ram(self):
        rams = self._find_system().rams()
        for ram in rams:
            if ram.start <= loader.LOWEST_LOAD_ADDRESS < ram.end:
                return ram
        if not rams:
            raise ConfigError(
                Problem(self.name(), "the system has no memory to load the program into")
            )
        return rams[0]

    def init(self) -> None:
        """Check the object file now, so a bad one is a config error before anything runs."""
        if not self.object_file:
            raise ConfigError(
                Problem(
                    self.name(),
                    "no program to load",
                    param="object_file",
                    expected="a static x86-64 ELF",
                    got="''",
                )
            )
        ram = self._ram()
        try:
            self.image = loader.prepare(self.object_file, ram.start, ram.size)
        except loader.LoaderError as e:
            raise ConfigError(
                Problem(
                    self.name(),
                    e.problem,
                    param="object_file",
                    expected="a static x86-64 ELF that fits the boot contract",
                    got=e.file,
                )
            ) from e

    def initState(self) -> None:
        """Write the image into RAM and the boot state into context 0 (then activate it)."""
        if self.image is None:
            self.init()
        image = self.image
        ram = self._ram()
        for addr, data in image.blobs:
            ram.write(addr, data)
        if debug.flags.Loader:
            debug.dprintf(
                self,
                "loaded %s: entry %#x, loader region [%#x, %#x)",
                image.path,
                image.entry,
                image.region_start,
                image.region_end,
            )
        threads = [tc for tc in self.system.threads if tc is not None]
        for tc in threads:
            if tc.contextId() == 0 or len(threads) == 1:
                tc.cpu.set_state(image.state.copy(), tc.tid)
                tc.activate()
            else:
                # an application processor: it waits for INIT and a startup IPI
                lapic = tc.cpu.interrupts
                if lapic is not None and hasattr(lapic, "wait_for_sipi"):
                    lapic.wait_for_sipi = True
                tc.suspend()

    def startup_state(self, vector: int, apic_id: int):
        """Where a startup IPI starts an application processor: the boot contract's long
        mode (the loader's page tables and GDT, CPL 0, IF = 0) at RIP = vector << 12, as
        real hardware starts it at vector << 12 in real mode; RSP = 0 (the guest gives
        each processor its stack), RDI = its APIC ID, RSI = the RAM size."""
        if self.image is None:
            self.init()
        image = self.image
        state = loader.boot_state(vector << 12, image.region_start, image.ram_size)
        state.set_reg("rsp", 0)
        state.set_reg("rdi", apic_id)
        state.set_reg("rsi", image.ram_size)
        if debug.flags.Loader:
            debug.dprintf(self, "startup IPI: APIC %d starts at %#x", apic_id, vector << 12)
        return state

    # -- what the loader did ----------------------------------------------------------
    @property
    def entry(self) -> int:
        return self.image.entry if self.image is not None else 0

    @property
    def loader_region(self) -> tuple[int, int]:
        """[start, end) of the page tables and GDT at the top of RAM."""
        return self.image.loader_region if self.image is not None else (0, 0)

    def getEntry(self) -> int:
        return self.entry
