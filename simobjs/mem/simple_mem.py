"""SimpleMemory: one GuestRam for params.range, served through an atomic response port."""

from __future__ import annotations

from typing import Any

from simobjs.errors import ConfigError, Problem
from simobjs.mem import image
from simobjs.mem.guest_ram import GuestRam
from simobjs.mem.memsys import statdefs
from simobjs.mem.memsys.native import NativeSimpleMemory, requestor_names, system_of
from simobjs.mem.packet import Packet
from simobjs.sim.files import check_regular
from simobjs.sim.model import ClockedModel, Params
from simobjs.sim.port import ResponsePort


class SimpleMemory(ClockedModel):
    """gem5's SimpleMemory in atomic mode: the latency of each access is `latency`."""

    def __init__(self, params: Params):
        super().__init__(params)
        rng = params.range
        self.range = rng
        self.latency = params.latency
        self.writeable = params.writeable
        self.image_file = params.image_file or ""
        if self.image_file:
            self._check_image(self.image_file)
        self.ram: GuestRam | None = GuestRam(int(rng.start), int(rng.size()), name=self.name())
        self.port = ResponsePort("port", self, self.recvAtomic, lambda: [self.range])
        self.native: NativeSimpleMemory | None = None

    def init(self) -> None:
        self.requestor_names = requestor_names(system_of(self))
        self.native = NativeSimpleMemory(
            latency=self.latency,
            ticks_per_byte=float(self.params.bandwidth),
            nreq=len(self.requestor_names),
        )

    def memsys_native(self, compiler: Any) -> Any:
        """This memory in a CPU's compiled memory system (its latency and bandwidth)."""
        return self.native.node

    def regStats(self) -> None:
        statdefs.memory_stats(self, self.native.s.mem, self.requestor_names)

    def _check_image(self, path: str) -> None:
        """gem5 fails at initState when the image cannot be loaded; fail before anything
        is built (a missing image must not leave the memory silently zero)."""
        try:
            check_regular(path)
        except OSError as e:
            raise ConfigError(
                Problem(
                    self.name(),
                    f"Could not load {path}: {e.strerror or e}",
                    param="image_file",
                    expected="an existing ELF or raw image file",
                )
            ) from None

    def initState(self) -> None:
        """Load `image_file` (not on a restore: the checkpoint holds the memory)."""
        if not self.image_file:
            return
        ram = self.ram
        try:
            chunks = image.place(
                image.read_image(self.image_file, ram.size), ram.start, ram.end, self.name()
            )
        except (OSError, image.ImageError) as e:
            raise ConfigError(
                Problem(self.name(), f"Could not load {self.image_file}: {e}", param="image_file")
            ) from None
        for addr, data in chunks:
            ram.write(addr, data)

    def getPort(self, name: str, index: int = -1):
        if name == "port":
            return self.port
        return super().getPort(name, index)

    def recvAtomic(self, pkt: Packet) -> int:
        self.ram.serve(pkt, self.writeable, self.name())
        return self.latency

    def close(self) -> None:
        if self.ram is not None:
            self.ram.close()
            self.ram = None
