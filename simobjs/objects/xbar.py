"""Crossbars (SystemXBar, IOXBar) and the snoop filter."""

from __future__ import annotations

import simobjs.objects.system  # noqa: F401  (Param.System below)
from simobjs.objects.sim import CONFIG_ONLY, ClockedObject
from simobjs.params import (
    NULL,
    DeprecatedParam,
    Param,
    Parent,
    RequestPort,
    SimObject,
    VectorRequestPort,
    VectorResponsePort,
)


class BaseXBar(ClockedObject):
    type = "BaseXBar"
    cxx_class = "gem5::BaseXBar"
    abstract = True
    _model = "simobjs.mem.xbar:XBar"
    _routes_by_address = True
    cpu_side_ports = VectorResponsePort("Vector port for connecting mem side ports")
    slave = DeprecatedParam(cpu_side_ports, "`slave` is now called `cpu_side_ports`")
    mem_side_ports = VectorRequestPort("Vector port for connecting cpu side ports")
    master = DeprecatedParam(mem_side_ports, "`master` is now called `mem_side_ports`")
    frontend_latency = Param.Cycles("Frontend latency")
    forward_latency = Param.Cycles("Forward latency")
    response_latency = Param.Cycles("Response latency")
    header_latency = Param.Cycles(1, "Header latency")
    width = Param.Unsigned("Datapath width per port (bytes)")
    default = RequestPort("Port for connecting an optional default responder")
    use_default_range = Param.Bool(False, "Perform address mapping for the default port")


class NoncoherentXBar(BaseXBar):
    type = "NoncoherentXBar"
    cxx_class = "gem5::NoncoherentXBar"


class SnoopFilter(SimObject):
    type = "SnoopFilter"
    cxx_class = "gem5::SnoopFilter"
    _model = CONFIG_ONLY
    lookup_latency = Param.Cycles(1, "Lookup latency")
    system = Param.System(Parent.any, "System that the crossbar belongs to.")
    max_capacity = Param.MemorySize("8MiB", "Maximum capacity of snoop filter")


class CoherentXBar(BaseXBar):
    type = "CoherentXBar"
    cxx_class = "gem5::CoherentXBar"
    snoop_response_latency = Param.Cycles("Snoop response latency")
    snoop_filter = Param.SnoopFilter(NULL, "Selected snoop filter")
    max_outstanding_snoops = Param.Int(512, "Max. outstanding snoops allowed")
    max_routing_table_size = Param.Int(512, "Max. routing table size")
    point_of_coherency = Param.Bool(False, "Consider this crossbar the point of coherency")
    point_of_unification = Param.Bool(False, "Consider this crossbar the point of unification")
    system = Param.System(Parent.any, "System that the crossbar belongs to.")


class SystemXBar(CoherentXBar):
    width = 16
    frontend_latency = 3
    forward_latency = 4
    response_latency = 2
    snoop_response_latency = 4
    snoop_filter = SnoopFilter(lookup_latency=1)
    point_of_coherency = True
    point_of_unification = True


class L2XBar(CoherentXBar):
    width = 32
    frontend_latency = 1
    forward_latency = 0
    response_latency = 1
    snoop_response_latency = 1
    snoop_filter = SnoopFilter(lookup_latency=0)
    point_of_unification = True


class IOXBar(NoncoherentXBar):
    width = 16
    frontend_latency = 2
    forward_latency = 1
    response_latency = 2


__all__ = [
    "BaseXBar",
    "CoherentXBar",
    "IOXBar",
    "L2XBar",
    "NoncoherentXBar",
    "SnoopFilter",
    "SystemXBar",
]
