"""Workloads: what a System runs."""

from __future__ import annotations

from simobjs.params import Param, SimObject


class Workload(SimObject):
    type = "Workload"
    cxx_class = "gem5::Workload"
    abstract = True
    wait_for_remote_gdb = Param.Bool(False, "Wait for a remote GDB connection")
    remote_gdb_port = Param.HostSocket(7000, "Default port/socket used for remote GDB connection")


class StubWorkload(Workload):
    type = "StubWorkload"
    cxx_class = "gem5::StubWorkload"
    _model = "simobjs.sim.workload:Workload"
    entry = Param.Addr(0, "Dummy entry point for this workload.")
    byte_order = Param.ByteOrder("little", "Dummy byte order for this workload.")


class X86BareMetalWorkload(Workload):
    """Loads a static x86-64 ELF and starts it in long mode (see the design
    notes, "guest boot contract"). gem5's class has no params; `object_file`
    is ours."""

    type = "X86BareMetalWorkload"
    cxx_class = "gem5::X86ISA::BareMetalWorkload"
    _model = "simobjs.arch.x86.workload:X86BareMetalWorkload"
    object_file = Param.String("Static x86-64 ELF to load")


__all__ = ["StubWorkload", "Workload", "X86BareMetalWorkload"]
