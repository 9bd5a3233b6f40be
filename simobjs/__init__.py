"""simobjs: gem5's SimObject configuration layer and KVM CPU, in Python."""

__version__ = "0.1.0"
