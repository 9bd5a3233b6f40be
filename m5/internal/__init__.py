"""gem5's m5.internal: in gem5 the C++ bindings; here only `params` (the enums)."""

from m5.internal import params  # noqa: F401
