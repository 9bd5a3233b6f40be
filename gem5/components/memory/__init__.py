"""gem5.components.memory: the memory systems a board may have."""

from gem5.components.memory.multi_channel import (
    DualChannelDDR3_1600,
    DualChannelDDR3_2133,
    DualChannelDDR4_2400,
    DualChannelLPDDR3_1600,
)
from gem5.components.memory.simple import SingleChannelSimpleMemory
from gem5.components.memory.single_channel import (
    SingleChannelDDR3_1600,
    SingleChannelDDR3_2133,
    SingleChannelDDR4_2400,
    SingleChannelLPDDR3_1600,
)

__all__ = [
    "DualChannelDDR3_1600",
    "DualChannelDDR3_2133",
    "DualChannelDDR4_2400",
    "DualChannelLPDDR3_1600",
    "SingleChannelDDR3_1600",
    "SingleChannelDDR3_2133",
    "SingleChannelDDR4_2400",
    "SingleChannelLPDDR3_1600",
    "SingleChannelSimpleMemory",
]
