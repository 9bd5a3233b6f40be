"""The guest SDK (C headers, startup code, linker script), the shipped example
guests and the helper that builds them with the system gcc."""

from simobjs.guest.build import GuestBuildError, build_guest, example_guest, example_names

__all__ = ["GuestBuildError", "build_guest", "example_guest", "example_names"]
