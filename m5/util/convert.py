"""gem5's m5.util.convert: unit-string conversions (the same module the param types use)."""

from simobjs.base.convert import *  # noqa: F403
from simobjs.base.convert import (  # noqa: F401
    __all__,  # noqa: F401
    _base_10_to_2,
    _split_suffix,
)
