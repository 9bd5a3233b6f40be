"""gem5.runtime: what this build supports, read from m5.defines.buildEnv."""

from __future__ import annotations

from gem5.coherence_protocol import CoherenceProtocol
from gem5.isas import ISA, get_isa_from_str, get_isas_str_set
from m5.defines import buildEnv
from m5.util import warn

NO_RUBY = (
    "simobjs has no Ruby memory system, so there is no coherence protocol: its caches "
    "are gem5's classic caches (gem5.components.cachehierarchies.classic)"
)


def get_supported_isas() -> set[ISA]:
    """The ISAs this build runs: {ISA.X86} for simobjs."""
    if not buildEnv["BUILD_ISA"]:
        return {ISA.NULL}
    found: set[ISA] = set()
    if buildEnv.get("TARGET_ISA"):
        found.add(get_isa_from_str(str(buildEnv["TARGET_ISA"])))
    for name in get_isas_str_set():
        if buildEnv.get(f"USE_{name.upper()}_ISA", False):
            found.add(get_isa_from_str(name))
    return found


def get_runtime_isa() -> ISA:
    """The one ISA of this build (gem5 v22-v23's function, deprecated there; kept
    for scripts of those versions)."""
    warn(
        "The `get_runtime_isa` function is deprecated. Please migrate away from using "
        "this function."
    )
    if buildEnv.get("TARGET_ISA"):
        return get_isa_from_str(str(buildEnv["TARGET_ISA"]))
    supported = get_supported_isas()
    if len(supported) == 1:
        return next(iter(supported))
    raise Exception(
        "Cannot determine the the runtime ISA. Either the 'TARGET_ISA' parameter must be set "
        "or the binary only compiled to one ISA."
    )


_PROTOCOLS = {
    "mi_example": CoherenceProtocol.MI_EXAMPLE,
    "moesi_hammer": CoherenceProtocol.ARM_MOESI_HAMMER,
    "garnet_standalone": CoherenceProtocol.GARNET_STANDALONE,
    "moesi_cmp_token": CoherenceProtocol.MOESI_CMP_TOKEN,
    "moesi_cmp_directory": CoherenceProtocol.MOESI_CMP_DIRECTORY,
    "mesi_two_level": CoherenceProtocol.MESI_TWO_LEVEL,
    "moesi_amd_base": CoherenceProtocol.MOESI_AMD_BASE,
    "mesi_three_level_htm": CoherenceProtocol.MESI_THREE_LEVEL_HTM,
    "mesi_three_level": CoherenceProtocol.MESI_THREE_LEVEL,
    "gpu_viper": CoherenceProtocol.GPU_VIPER,
    "chi": CoherenceProtocol.CHI,
}


def get_runtime_coherence_protocol() -> CoherenceProtocol:
    """The Ruby protocol this build was compiled with. simobjs has none: this raises."""
    protocol = str(buildEnv.get("PROTOCOL", "")).lower()
    if protocol not in _PROTOCOLS:
        raise NotImplementedError(NO_RUBY)
    return _PROTOCOLS[protocol]
