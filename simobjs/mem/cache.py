"""Cache: gem5's classic cache, as tags and state only.

Guest data always lives in the one shared guest RAM, so nothing here can make
a guest compute a wrong result: the cache holds which lines it has, which are
dirty and their replacement order (`simobjs.mem.memsys.native.NativeCache`),
and its counters. CPUs that run with caches drive it from C (see
`simobjs.mem.memsys`); the Python port path below is for what is not RAM
(MMIO and port I/O, which are uncacheable and forwarded), and for CPUs
without a compiled memory system (KVM: gem5's atomic_noncaching mode
bypasses caches).
"""

from __future__ import annotations

from typing import Any

from simobjs.errors import CheckpointError, ConfigError, Problem
from simobjs.mem.memsys import statdefs
from simobjs.mem.memsys.native import NativeCache, lib, requestor_names
from simobjs.mem.packet import Packet
from simobjs.sim.model import ClockedModel, Params
from simobjs.sim.port import RequestPort, ResponsePort

# replacement policies the model has (gem5 cxx types), and what they map to
POLICY_OF_TYPE = {"LRURP": "LRU", "FIFORP": "FIFO", "MRURP": "MRU"}


def _decl_type(model: Any) -> str:
    decl = getattr(getattr(model, "params", None), "decl_class", None)
    return getattr(decl, "type", type(model).__name__)


def geometry(path: str, size: int, assoc: int, line: int) -> tuple[int, list[Problem]]:
    """Sets of a set-associative cache, and what is wrong with the numbers."""
    problems = []
    if line <= 0 or line & (line - 1):
        problems.append(
            Problem(
                path,
                "the block size must be a power of two",
                param="block_size",
                expected="a power of two",
                got=str(line),
            )
        )
    if assoc <= 0:
        problems.append(
            Problem(
                path,
                "associativity must be at least 1",
                param="assoc",
                expected=">= 1",
                got=str(assoc),
            )
        )
    if problems:
        return 0, problems
    sets, rest = divmod(size, assoc * line)
    if rest or sets <= 0 or sets & (sets - 1):
        problems.append(
            Problem(
                path,
                f"size / (assoc x block size) = {size} / ({assoc} x {line}) must be a power of "
                "two (the number of sets)",
                param="size",
                expected="size = assoc x block size x 2**n",
                got=str(size),
            )
        )
    return sets, problems


class Cache(ClockedModel):
    """gem5's Cache (and NoncoherentCache): a write-back, write-allocate cache."""

    # a checkpoint taken without caches restores into a configuration with them, and
    # one taken with caches into a configuration without (gem5 stores no contents)
    checkpoint_section_optional = True

    def __init__(self, params: Params):
        super().__init__(params)
        self.system = params.system
        problems = self._unsupported(params)
        self.line_size = int(params.tags.params.block_size) if params.tags is not None else 64
        self.sets, more = geometry(self.name(), int(params.size), int(params.assoc), self.line_size)
        problems += more
        self.policy = POLICY_OF_TYPE.get(_decl_type(params.replacement_policy), "LRU")
        if problems:
            raise ConfigError(problems)
        self.tag_latency = int(params.tag_latency)
        self.cpu_side = ResponsePort("cpu_side", self, self.recvAtomic, self.getAddrRanges)
        self.mem_side = RequestPort("mem_side", self)
        self.native: NativeCache | None = None

    def _unsupported(self, p: Params) -> list[Problem]:
        """What the model does not do, each named, so a script never silently gets less."""
        path = self.name()
        out = []
        for param, what in (
            ("prefetcher", "prefetchers"),
            ("compressor", "cache compression"),
            ("partitioning_manager", "cache partitioning"),
            ("write_allocator", "write allocators"),
        ):
            if getattr(p, param) is not None:
                out.append(
                    Problem(
                        path,
                        f"{what} are not modelled by simobjs",
                        param=param,
                        expected="NULL",
                        got=_decl_type(getattr(p, param)),
                    )
                )
        rp = _decl_type(p.replacement_policy)
        if rp not in POLICY_OF_TYPE:
            out.append(
                Problem(
                    path,
                    f"replacement policy {rp} is not modelled by simobjs",
                    param="replacement_policy",
                    expected=" or ".join(sorted(POLICY_OF_TYPE)),
                    got=rp,
                )
            )
        tags = _decl_type(p.tags)
        if tags != "BaseSetAssoc":
            out.append(
                Problem(
                    path,
                    f"tags {tags} are not modelled by simobjs",
                    param="tags",
                    expected="BaseSetAssoc",
                    got=tags,
                )
            )
        else:
            index = _decl_type(p.tags.params.indexing_policy)
            if index != "SetAssociative":
                out.append(
                    Problem(
                        path,
                        f"indexing policy {index} is not modelled by simobjs",
                        param="tags.indexing_policy",
                        expected="SetAssociative",
                        got=index,
                    )
                )
        if int(p.max_miss_count):
            out.append(
                Problem(
                    path,
                    "max_miss_count is not modelled by simobjs",
                    param="max_miss_count",
                    expected="0",
                    got=str(p.max_miss_count),
                )
            )
        return out

    # -- ports ---------------------------------------------------------------------------
    def getPort(self, name: str, index: int = -1):
        if name == "cpu_side":
            return self.cpu_side
        if name == "mem_side":
            return self.mem_side
        return super().getPort(name, index)

    def getAddrRanges(self) -> list:
        return list(self.params.addr_ranges)

    def recvAtomic(self, pkt: Packet) -> int:
        """An uncacheable access (device registers): forwarded, after the tag lookup."""
        below = self.mem_side.sendAtomic(pkt)
        if self.system is not None and self.system.bypassCaches():
            return below
        return self.cyclesToTicks(self.tag_latency) + below

    # -- the native cache --------------------------------------------------------------------
    def init(self) -> None:
        names = requestor_names(self.system)
        p = self.params
        self.native = NativeCache(
            sets=self.sets,
            assoc=int(p.assoc),
            line_size=self.line_size,
            policy=self.policy,
            period=self.clockPeriod(),
            tag_lat=self.cyclesToTicks(p.tag_latency),
            data_lat=self.cyclesToTicks(p.data_latency),
            resp_lat=self.cyclesToTicks(p.response_latency),
            sequential=bool(p.sequential_access),
            writeback_clean=bool(p.writeback_clean),
            mostly_excl=p.clusivity == "mostly_excl",
            read_only=bool(p.is_read_only),
            nreq=len(names),
            wb_req=0,
        )
        self.requestor_names = names

    def memsys_native(self, compiler) -> Any:
        """This cache in the compiled memory system (built once, linked below each time)."""
        compiler.link(self.native.s.below, self.mem_side)
        return self.native.node

    def regStats(self) -> None:
        statdefs.cache_stats(self, self.native, self.requestor_names)

    # -- gem5's lifecycle ------------------------------------------------------------------
    def memWriteback(self) -> None:
        """Write every dirty line back (functionally, as gem5: no statistics)."""
        if self.native is not None:
            lib.ms_cache_writeback(self.native.s)

    def memInvalidate(self) -> None:
        if self.native is not None:
            lib.ms_cache_invalidate(self.native.s)

    def dirty_lines(self) -> int:
        n = self.sets * int(self.params.assoc)
        return sum(self.native.s.dirty[i] for i in range(n)) if self.native is not None else 0

    def valid_lines(self) -> int:
        return int(lib.ms_cache_valid_lines(self.native.s)) if self.native is not None else 0

    def serialize(self, section) -> None:
        # gem5 checkpoints no cache contents; a dirty line would be lost, so it says so
        section["bad_checkpoint"] = self.dirty_lines() > 0

    def unserialize(self, section) -> None:
        if "bad_checkpoint" in section and section.get_bool("bad_checkpoint"):
            raise CheckpointError(
                "Restoring from checkpoints with dirty caches is not supported in the classic "
                "memory system. Please remove any caches or drain them properly before taking "
                "checkpoints.",
                section.name,
                "bad_checkpoint",
            )
