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


class SEWorkload(Workload):
    """Syscall emulation: the system runs the Processes of its CPUs without a kernel.

    `SEWorkload.init_compatible(path)` checks the program and returns the SE workload
    that runs it (gem5's: a static x86-64 Linux ELF gives X86EmuLinux); anything else
    is refused with a ValueError naming the file and why.
    """

    type = "SEWorkload"
    cxx_class = "gem5::SEWorkload"
    abstract = True

    @classmethod
    def _is_compatible_with(cls, info: object) -> bool:
        return False

    @classmethod
    def find_compatible(cls, path: str) -> list[type]:
        """The SE workload classes that can run the program at `path`."""
        from simobjs.base.elf import inspect_program

        info = inspect_program(path)  # raises ProgramError (a ValueError) with the reason
        return [c for c in _SE_WORKLOADS if c._is_compatible_with(info)]

    @classmethod
    def init_compatible(cls, path: str, *args: object, **kwargs: object) -> SEWorkload:
        """Construct the one SE workload compatible with the program at `path`."""
        options = SEWorkload.find_compatible(str(path))
        if len(options) > 1:
            raise ValueError(f"More than one SE workload is compatible with {path}")
        if not options:
            raise ValueError(f"No SE workload is compatible with {path}")
        return options[0](*args, **kwargs)


class X86EmuLinux(SEWorkload):
    """Linux x86-64 system calls, emulated for static programs (the SE kernel)."""

    type = "X86EmuLinux"
    cxx_class = "gem5::X86ISA::EmuLinux"
    _model = "simobjs.se.workload:X86EmuLinux"

    @classmethod
    def _is_compatible_with(cls, info: object) -> bool:
        return getattr(info, "arch", None) == "x86_64" and getattr(info, "os", None) in (
            "linux",
            "unknown",
        )


_SE_WORKLOADS = [X86EmuLinux]

__all__ = ["SEWorkload", "StubWorkload", "Workload", "X86BareMetalWorkload", "X86EmuLinux"]
