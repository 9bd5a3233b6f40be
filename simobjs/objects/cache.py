"""Classic caches: BaseCache and Cache, their tags, indexing and replacement policies.

Names, params and defaults are gem5's (src/mem/cache/Cache.py, tags/Tags.py,
tags/indexing_policies/IndexingPolicies.py,
replacement_policies/ReplacementPolicies.py). The model is
`simobjs.mem.cache:Cache`; what it does not model (prefetchers, compressors,
partitioning, sector and fully-associative tags, some replacement policies)
is declared so gem5 scripts load, and refused at instantiate() with the
object path when a script asks for it.
"""

from __future__ import annotations

import simobjs.objects.system  # noqa: F401  (Param.System below)
from simobjs.objects.sim import CONFIG_ONLY, ClockedObject
from simobjs.params import (
    NULL,
    Enum,
    Param,
    Parent,
    RequestPort,
    ResponsePort,
    Self,
    SimObject,
    VectorParam,
)
from simobjs.params.types import AllMemory


class Clusivity(Enum):
    vals = ["mostly_incl", "mostly_excl"]


class PartitionManager(SimObject):
    """Declared for gem5 scripts; a cache with one is refused (not modelled)."""

    type = "PartitionManager"
    cxx_class = "gem5::partitioning_policy::PartitionManager"
    abstract = True


# -- replacement policies -------------------------------------------------------------
class BaseReplacementPolicy(SimObject):
    type = "BaseReplacementPolicy"
    cxx_class = "gem5::replacement_policy::Base"
    abstract = True
    _model = CONFIG_ONLY


class DuelingRP(BaseReplacementPolicy):
    type = "DuelingRP"
    cxx_class = "gem5::replacement_policy::Dueling"
    constituency_size = Param.Unsigned("The size of a region containing one sample")
    team_size = Param.Unsigned("Number of entries in a sampling set that belong to a team")
    replacement_policy_a = Param.BaseReplacementPolicy("Sub-replacement policy A")
    replacement_policy_b = Param.BaseReplacementPolicy("Sub-replacement policy B")


class FIFORP(BaseReplacementPolicy):
    type = "FIFORP"
    cxx_class = "gem5::replacement_policy::FIFO"


class SecondChanceRP(FIFORP):
    type = "SecondChanceRP"
    cxx_class = "gem5::replacement_policy::SecondChance"


class LFURP(BaseReplacementPolicy):
    type = "LFURP"
    cxx_class = "gem5::replacement_policy::LFU"


class LRURP(BaseReplacementPolicy):
    type = "LRURP"
    cxx_class = "gem5::replacement_policy::LRU"


class BIPRP(LRURP):
    type = "BIPRP"
    cxx_class = "gem5::replacement_policy::BIP"
    btp = Param.Percent(3, "Percentage of blocks to be inserted as MRU")


class LIPRP(BIPRP):
    btp = 0


class MRURP(BaseReplacementPolicy):
    type = "MRURP"
    cxx_class = "gem5::replacement_policy::MRU"


class RandomRP(BaseReplacementPolicy):
    type = "RandomRP"
    cxx_class = "gem5::replacement_policy::Random"


class BRRIPRP(BaseReplacementPolicy):
    type = "BRRIPRP"
    cxx_class = "gem5::replacement_policy::BRRIP"
    num_bits = Param.Int(2, "Number of bits per RRPV")
    hit_priority = Param.Bool(False, "Prioritize evicting blocks that havent had a hit recently")
    btp = Param.Percent(3, "Percentage of blocks to be inserted with long RRPV")


class RRIPRP(BRRIPRP):
    btp = 100


class DRRIPRP(DuelingRP):
    replacement_policy_a = BRRIPRP()
    replacement_policy_b = RRIPRP()


class NRURP(BRRIPRP):
    btp = 100
    num_bits = 1


class SHiPRP(BRRIPRP):
    type = "SHiPRP"
    cxx_class = "gem5::replacement_policy::SHiP"
    abstract = True
    shct_size = Param.Unsigned(16384, "Number of SHCT entries")
    insertion_threshold = Param.Percent(1, "Percentage at which an entry changes insertion policy")
    hit_priority = True
    btp = 0


class SHiPMemRP(SHiPRP):
    type = "SHiPMemRP"
    cxx_class = "gem5::replacement_policy::SHiPMem"


class SHiPPCRP(SHiPRP):
    type = "SHiPPCRP"
    cxx_class = "gem5::replacement_policy::SHiPPC"


class TreePLRURP(BaseReplacementPolicy):
    type = "TreePLRURP"
    cxx_class = "gem5::replacement_policy::TreePLRU"
    num_leaves = Param.Int(Parent.assoc, "Number of leaves in each tree")


class WeightedLRURP(LRURP):
    type = "WeightedLRURP"
    cxx_class = "gem5::replacement_policy::WeightedLRU"


# -- indexing policies and tags ---------------------------------------------------------
class BaseIndexingPolicy(SimObject):
    type = "BaseIndexingPolicy"
    cxx_class = "gem5::BaseIndexingPolicy"
    abstract = True
    _model = CONFIG_ONLY
    size = Param.MemorySize(Parent.size, "capacity in bytes")
    entry_size = Param.Int(Parent.entry_size, "entry size in bytes")
    assoc = Param.Int(Parent.assoc, "associativity")


class SetAssociative(BaseIndexingPolicy):
    type = "SetAssociative"
    cxx_class = "gem5::SetAssociative"


class SkewedAssociative(BaseIndexingPolicy):
    type = "SkewedAssociative"
    cxx_class = "gem5::SkewedAssociative"


class BaseTags(ClockedObject):
    type = "BaseTags"
    cxx_class = "gem5::BaseTags"
    abstract = True
    _model = CONFIG_ONLY
    system = Param.System(Parent.any, "System we belong to")
    size = Param.MemorySize(Parent.size, "capacity in bytes")
    block_size = Param.Int(Parent.cache_line_size, "block size in bytes")
    tag_latency = Param.Cycles(Parent.tag_latency, "The tag lookup latency for this cache")
    warmup_percentage = Param.Percent(
        Parent.warmup_percentage, "Percentage of tags to be touched to warm up the cache"
    )
    sequential_access = Param.Bool(
        Parent.sequential_access, "Whether to access tags and data sequentially"
    )
    indexing_policy = Param.BaseIndexingPolicy(SetAssociative(), "Indexing policy")
    partitioning_manager = Param.PartitionManager(
        Parent.partitioning_manager, "Cache partitioning manager"
    )
    entry_size = Param.Int(Parent.cache_line_size, "Indexing entry size in bytes")


class BaseSetAssoc(BaseTags):
    type = "BaseSetAssoc"
    cxx_class = "gem5::BaseSetAssoc"
    assoc = Param.Int(Parent.assoc, "associativity")
    replacement_policy = Param.BaseReplacementPolicy(
        Parent.replacement_policy, "Replacement policy"
    )


class SectorTags(BaseTags):
    type = "SectorTags"
    cxx_class = "gem5::SectorTags"
    assoc = Param.Int(Parent.assoc, "associativity")
    num_blocks_per_sector = Param.Int(1, "Number of sub-sectors per sector")
    entry_size = Parent.cache_line_size * Self.num_blocks_per_sector
    replacement_policy = Param.BaseReplacementPolicy(
        Parent.replacement_policy, "Replacement policy"
    )


class CompressedTags(SectorTags):
    type = "CompressedTags"
    cxx_class = "gem5::CompressedTags"
    max_compression_ratio = Param.Int(2, "Maximum number of compressed blocks per tag.")
    num_blocks_per_sector = Self.max_compression_ratio
    size = Parent.size * Self.max_compression_ratio


class FALRU(BaseTags):
    type = "FALRU"
    cxx_class = "gem5::FALRU"
    min_tracked_cache_size = Param.MemorySize(
        "128KiB", "Minimum cache size for which we track statistics"
    )
    indexing_policy = NULL


# -- what the cache may hold but simobjs does not model ------------------------------------
class BasePrefetcher(ClockedObject):
    """Declared for gem5 scripts; a cache with a prefetcher is refused (not modelled)."""

    type = "BasePrefetcher"
    cxx_class = "gem5::prefetch::Base"
    abstract = True
    sys = Param.System(Parent.any, "System this prefetcher belongs to")
    block_size = Param.Int(Parent.cache_line_size, "Block size in bytes")
    on_miss = Param.Bool(False, "Only notify prefetcher on misses")
    on_read = Param.Bool(True, "Notify prefetcher on reads")
    on_write = Param.Bool(True, "Notify prefetcher on writes")
    on_data = Param.Bool(True, "Notify prefetcher on data accesses")
    on_inst = Param.Bool(True, "Notify prefetcher on instruction accesses")
    prefetch_on_access = Param.Bool(
        False, "Notify the hardware prefetcher on every access (not just misses)"
    )
    prefetch_on_pf_hit = Param.Bool(
        True, "Notify the hardware prefetcher on hit on prefetched lines"
    )
    use_virtual_addresses = Param.Bool(False, "Use virtual addresses for prefetching")
    page_bytes = Param.MemorySize("4KiB", "Size of pages for virtual addresses")


class BaseCacheCompressor(SimObject):
    """Declared for gem5 scripts; a cache with a compressor is refused (not modelled)."""

    type = "BaseCacheCompressor"
    cxx_class = "gem5::compression::Base"
    abstract = True
    block_size = Param.Int(Parent.cache_line_size, "Block size in bytes")
    chunk_size_bits = Param.Unsigned(32, "Size of a parsing data chunk (in bits)")
    size_threshold_percentage = Param.Percent(
        50,
        "Minimum percentage of the block size, a compressed block must achieve to be "
        "stored in compressed format",
    )
    comp_chunks_per_cycle = Param.Unsigned(
        1, "Number of chunks that can be compressed in parallel per cycle."
    )
    comp_extra_latency = Param.Cycles(
        1,
        "Number of extra cycles required to finish compression (e.g., due to shifting "
        "and packaging).",
    )
    decomp_chunks_per_cycle = Param.Unsigned(
        1, "Number of chunks that can be decompressed in parallel per cycle."
    )
    decomp_extra_latency = Param.Cycles(
        1,
        "Number of extra cycles required to finish decompression (e.g., due to shifting "
        "and packaging).",
    )


class WriteAllocator(SimObject):
    """Declared for gem5 scripts; a cache with one is refused (not modelled)."""

    type = "WriteAllocator"
    cxx_class = "gem5::WriteAllocator"
    _model = CONFIG_ONLY
    coalesce_limit = Param.Unsigned(2, "Consecutive lines written before delaying for coalescing")
    no_allocate_limit = Param.Unsigned(12, "Consecutive lines written before skipping allocation")
    delay_threshold = Param.Unsigned(
        8,
        "Number of delay quanta imposed on an MSHR with write requests to allow for "
        "write coalescing",
    )
    block_size = Param.Int(Parent.cache_line_size, "block size in bytes")


# -- the caches --------------------------------------------------------------------------
class BaseCache(ClockedObject):
    type = "BaseCache"
    cxx_class = "gem5::BaseCache"
    abstract = True
    _model = "simobjs.mem.cache:Cache"

    size = Param.MemorySize("Capacity")
    assoc = Param.Unsigned("Associativity")
    tag_latency = Param.Cycles("Tag lookup latency")
    data_latency = Param.Cycles("Data access latency")
    response_latency = Param.Cycles("Latency for the return path on a miss")
    warmup_percentage = Param.Percent(0, "Percentage of tags to be touched to warm up the cache")
    max_miss_count = Param.Counter(0, "Number of misses to handle before calling exit")
    mshrs = Param.Unsigned("Number of MSHRs (max outstanding requests)")
    demand_mshr_reserve = Param.Unsigned(1, "MSHRs reserved for demand access")
    tgts_per_mshr = Param.Unsigned("Max number of accesses per MSHR")
    write_buffers = Param.Unsigned(8, "Number of write buffers")
    is_read_only = Param.Bool(False, "Is this cache read only (e.g. inst)")
    prefetcher = Param.BasePrefetcher(NULL, "Prefetcher attached to cache")
    tags = Param.BaseTags(BaseSetAssoc(), "Tag store")
    replacement_policy = Param.BaseReplacementPolicy(LRURP(), "Replacement policy")
    partitioning_manager = Param.PartitionManager(NULL, "Cache partitioning manager")
    compressor = Param.BaseCacheCompressor(NULL, "Cache compressor.")
    replace_expansions = Param.Bool(
        True,
        "Apply replacement policy to decide which blocks should be evicted on a data expansion",
    )
    move_contractions = Param.Bool(True, "Try to co-allocate blocks that contract")
    sequential_access = Param.Bool(False, "Whether to access tags and data sequentially")
    cpu_side = ResponsePort("Upstream port closer to the CPU and/or device")
    mem_side = RequestPort("Downstream port closer to memory")
    addr_ranges = VectorParam.AddrRange(
        [AllMemory], "Address range for the CPU-side port (to allow striping)"
    )
    system = Param.System(Parent.any, "System we belong to")
    writeback_clean = Param.Bool(False, "Writeback clean lines")
    clusivity = Param.Clusivity("mostly_incl", "Clusivity with upstream cache")
    write_allocator = Param.WriteAllocator(NULL, "Write allocator")

    def _addr_ranges(self) -> list:
        ranges = self._values.get("addr_ranges")
        return list(ranges) if isinstance(ranges, list) else [AllMemory]


class Cache(BaseCache):
    type = "Cache"
    cxx_class = "gem5::Cache"


class NoncoherentCache(BaseCache):
    type = "NoncoherentCache"
    cxx_class = "gem5::NoncoherentCache"
    writeback_clean = False


__all__ = [
    "BIPRP",
    "BRRIPRP",
    "BaseCache",
    "BaseCacheCompressor",
    "BaseIndexingPolicy",
    "BasePrefetcher",
    "BaseReplacementPolicy",
    "BaseSetAssoc",
    "BaseTags",
    "Cache",
    "Clusivity",
    "CompressedTags",
    "DRRIPRP",
    "DuelingRP",
    "FALRU",
    "FIFORP",
    "LFURP",
    "LIPRP",
    "LRURP",
    "MRURP",
    "NRURP",
    "NoncoherentCache",
    "PartitionManager",
    "RRIPRP",
    "RandomRP",
    "SHiPMemRP",
    "SHiPPCRP",
    "SHiPRP",
    "SecondChanceRP",
    "SectorTags",
    "SetAssociative",
    "SkewedAssociative",
    "TreePLRURP",
    "WeightedLRURP",
    "WriteAllocator",
]
