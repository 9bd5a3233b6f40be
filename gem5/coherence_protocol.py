"""gem5.coherence_protocol: gem5's Ruby protocols. simobjs has no Ruby: its
caches are gem5's classic ones, so no protocol is ever the running one."""

from enum import Enum


class CoherenceProtocol(Enum):
    MESI_THREE_LEVEL = 1
    MESI_THREE_LEVEL_HTM = 2
    ARM_MOESI_HAMMER = 3
    GARNET_STANDALONE = 4
    MESI_TWO_LEVEL = 5
    MOESI_CMP_DIRECTORY = 6
    MOESI_CMP_TOKEN = 7
    MOESI_AMD_BASE = 8
    MI_EXAMPLE = 9
    GPU_VIPER = 10
    CHI = 11
