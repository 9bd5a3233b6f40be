"""Memories: AbstractMemory and SimpleMemory."""

from __future__ import annotations

from simobjs.objects.sim import ClockedObject
from simobjs.params import Param, ResponsePort
from simobjs.params.types import AddrRange


class AbstractMemory(ClockedObject):
    type = "AbstractMemory"
    cxx_class = "gem5::memory::AbstractMemory"
    abstract = True
    range = Param.AddrRange("128MiB", "Address range (potentially interleaved)")
    null = Param.Bool(False, "Do not store data, always return zero")
    in_addr_map = Param.Bool(True, "Memory part of the global address map")
    kvm_map = Param.Bool(True, "Should KVM map this memory for the guest")
    conf_table_reported = Param.Bool(True, "Report to configuration table")
    image_file = Param.String("", "Image to load into memory as its initial contents")
    writeable = Param.Bool(True, "Allow writes to this memory")
    collect_stats = Param.Bool(True, "Collect statistics per requestor for each type of access.")

    def _addr_ranges(self) -> list[AddrRange]:
        rng = self._values.get("range")
        return [rng] if isinstance(rng, AddrRange) else []


class SimpleMemory(AbstractMemory):
    type = "SimpleMemory"
    cxx_class = "gem5::memory::SimpleMemory"
    _model = "simobjs.mem.simple_mem:SimpleMemory"
    port = ResponsePort("This port sends responses and receives requests", required=True)
    latency = Param.Latency("30ns", "Request to response latency")
    latency_var = Param.Latency("0ns", "Request to response latency variance")
    bandwidth = Param.MemoryBandwidth("12.8GiB/s", "Combined read and write bandwidth")

    def controller(self) -> SimpleMemory:
        return self


__all__ = ["AbstractMemory", "SimpleMemory"]
