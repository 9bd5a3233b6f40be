"""MemCtrl and DRAMInterface: gem5's memory controller and its DRAM, as one model.

The interface owns the guest RAM of its range (like SimpleMemory: the one
shared mapping KVM and the reference CPU use) and the DRAM geometry; the
controller owns the port and the native DRAM state: per-bank open rows and
timing constraints, the page policy, refresh every tREFI, the data bus and a
write queue drained in batches (see memsys.c). CPUs with a compiled memory
system drive it from C; the Python port answers everything else (functional
accesses), with gem5's atomic latency tRP + tRCD + tCL.
"""

from __future__ import annotations

import sys
from typing import Any

from simobjs.errors import ConfigError, Problem
from simobjs.mem.guest_ram import GuestRam
from simobjs.mem.memsys import statdefs
from simobjs.mem.memsys.native import ADDR_MAPS, PAGE_POLICIES, NativeDram, lib, requestor_names
from simobjs.mem.packet import Packet
from simobjs.sim.model import ClockedModel, Params
from simobjs.sim.port import ResponsePort

MiB = 1 << 20


class DRAMInterface(ClockedModel):
    """gem5's DRAMInterface: geometry, timings and the guest RAM of its range."""

    def __init__(self, params: Params):
        super().__init__(params)
        p = params
        rng = p.range
        self.range = rng
        path = self.name()
        problems = []
        if getattr(rng, "interleaved", lambda: False)():
            problems.append(
                Problem(path, "interleaved address ranges are not modelled", param="range")
            )
        self.burst_size = (
            int(p.devices_per_rank) * int(p.burst_length) * int(p.device_bus_width) // 8
        )
        self.row_buffer_size = int(p.devices_per_rank) * int(p.device_rowbuffer_size)
        self.banks = int(p.banks_per_rank)
        self.ranks = int(p.ranks_per_channel)
        if self.burst_size <= 0 or self.row_buffer_size % max(self.burst_size, 1):
            problems.append(
                Problem(
                    path,
                    "the row buffer must hold whole bursts",
                    param="device_rowbuffer_size",
                    expected=f"a multiple of the {self.burst_size}-byte burst",
                    got=str(self.row_buffer_size),
                )
            )
        if self.banks <= 0 or self.ranks <= 0:
            problems.append(
                Problem(
                    path,
                    "banks_per_rank and ranks_per_channel must be positive",
                    param="banks_per_rank",
                )
            )
        if p.page_policy not in PAGE_POLICIES:
            problems.append(
                Problem(
                    path,
                    "unknown page policy",
                    param="page_policy",
                    expected=", ".join(PAGE_POLICIES),
                    got=str(p.page_policy),
                )
            )
        if int(p.activation_limit) > 16:
            problems.append(
                Problem(
                    path,
                    "activation_limit above 16 is not modelled",
                    param="activation_limit",
                    expected="<= 16",
                    got=str(p.activation_limit),
                )
            )
        if problems:
            raise ConfigError(problems)
        self.bursts_per_row = self.row_buffer_size // self.burst_size
        capacity = int(p.device_size) * int(p.devices_per_rank) * self.ranks
        self.rows = capacity // (self.row_buffer_size * self.banks * self.ranks)
        if capacity != rng.size():
            # gem5 says the same at construction
            print(
                f"warn: DRAM device capacity ({capacity // MiB} Mbytes) does not match the "
                f"address range assigned ({rng.size() // MiB} Mbytes)",
                file=sys.stderr,
            )
        self.ram: GuestRam | None = GuestRam(int(rng.start), int(rng.size()), name=path)
        self.native: NativeDram | None = None

    def access(self, pkt: Packet) -> None:
        """Read or write guest RAM for a packet (the functional part of an access)."""
        self.ram.serve(pkt, self.params.writeable, self.name())

    def atomic_latency(self) -> int:
        p = self.params
        return int(p.tRP) + int(p.tRCD) + int(p.tCL)

    def regStats(self) -> None:
        if self.native is not None:
            statdefs.memory_stats(self, self.native.s.mem, self.requestor_names)
            peak = 1e12 / int(self.params.tBURST) * self.burst_size
            statdefs.dram_stats(self, self.native.s, self.banks * self.ranks, peak)

    def close(self) -> None:
        if self.ram is not None:
            self.ram.close()
            self.ram = None


class MemCtrl(ClockedModel):
    """gem5's MemCtrl: a single-ported controller in front of one DRAM interface."""

    def __init__(self, params: Params):
        super().__init__(params)
        self.system = params.system
        self.dram: DRAMInterface = params.dram
        path = self.name()
        problems = []
        if not isinstance(self.dram, DRAMInterface):
            problems.append(
                Problem(
                    path,
                    "only DRAM interfaces are modelled",
                    param="dram",
                    expected="a DRAMInterface",
                    got=type(self.dram).__name__,
                )
            )
        for param in ("qos_policy", "qos_turnaround_policy"):
            if getattr(params, param) is not None:
                problems.append(
                    Problem(
                        path,
                        "QoS policies are not modelled by simobjs",
                        param=param,
                        expected="NULL",
                    )
                )
        if problems:
            raise ConfigError(problems)
        self.port = ResponsePort("port", self, self.recvAtomic, lambda: [self.dram.range])
        self.native: NativeDram | None = None

    def getPort(self, name: str, index: int = -1):
        if name == "port":
            return self.port
        return super().getPort(name, index)

    def recvAtomic(self, pkt: Packet) -> int:
        self.dram.access(pkt)
        return self.dram.atomic_latency()

    # -- the native controller and DRAM ------------------------------------------------------
    def init(self) -> None:
        names = requestor_names(self.system)
        d, p = self.dram, self.dram.params
        wq_cap = max(int(p.write_buffer_size), 1)
        wq_low = wq_cap * int(self.params.write_low_thresh_perc) // 100
        self.native = NativeDram(
            nreq=len(names),
            banks=d.banks,
            ranks=d.ranks,
            wq_cap=wq_cap,
            start=int(d.range.start),
            size=int(d.range.size()),
            burst_size=d.burst_size,
            bursts_per_row=d.bursts_per_row,
            rows=d.rows,
            mapping=ADDR_MAPS[p.addr_mapping],
            page_policy=PAGE_POLICIES[p.page_policy],
            max_row_accesses=int(p.max_accesses_per_row),
            activation_limit=int(p.activation_limit),
            wq_low=wq_low,
            min_writes=int(self.params.min_writes_per_switch),
            frfcfs=int(self.params.mem_sched_policy == "frfcfs"),
            tBURST=int(p.tBURST),
            tRCD=int(p.tRCD),
            tRCD_WR=int(p.tRCD_WR),
            tCL=int(p.tCL),
            tCWL=int(p.tCWL),
            tRP=int(p.tRP),
            tRAS=int(p.tRAS),
            tWR=int(p.tWR),
            tRTP=int(p.tRTP),
            tRFC=int(p.tRFC),
            tREFI=int(p.tREFI),
            tRRD=int(p.tRRD),
            tXAW=int(p.tXAW),
            tWTR=int(p.tWTR),
            tRTW=int(p.tRTW),
            tCS=int(p.tCS),
            frontend=int(self.params.static_frontend_latency),
            backend=int(self.params.static_backend_latency),
            atomic_latency=d.atomic_latency(),
        )
        d.native = self.native
        d.requestor_names = names
        self.requestor_names = names

    def memsys_native(self, compiler: Any) -> Any:
        return self.native.node

    def regStats(self) -> None:
        statdefs.ctrl_stats(self, self.native.s, self.requestor_names, self.dram.burst_size)

    def drain(self):
        """Write the queued bursts to the banks now (gem5 drains its queues)."""
        if self.native is not None and self.eventq is not None:
            lib.ms_dram_drain(self.native.s, self.curTick())
        return super().drain()
