"""The C structures of the compiled memory system, allocated and owned from Python.

Each memory model (a cache, a crossbar, a memory) owns one native object for
the whole simulation: its state (tags, open rows) and its counters live
there, so every CPU that is compiled against it (an atomic CPU and a timing
CPU switching with each other) sees the same warm caches and adds to the
same statistics. cffi owns every allocation; the `keep` lists hold the
arrays a structure points to for as long as the structure lives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simobjs.sim import stats

try:
    from simobjs.mem.memsys import _memsys
except ImportError as exc:  # pragma: no cover - a source tree without the build
    raise ImportError(
        "simobjs.mem.memsys._memsys is not built; reinstall the package or run "
        "`python setup.py build_ext --inplace` in the source tree"
    ) from exc

ffi = _memsys.ffi
lib = _memsys.lib

# gem5's MemCmd names, in the order of the C enum
COMMANDS = (
    "ReadReq",
    "WriteReq",
    "ReadCleanReq",
    "ReadSharedReq",
    "ReadExReq",
    "WritebackDirty",
    "WritebackClean",
    "CleanEvict",
)
CMD = {name: i for i, name in enumerate(COMMANDS)}
# gem5's SUM_DEMAND (WriteLineReq is never produced here)
DEMAND = ("ReadReq", "WriteReq", "ReadExReq", "ReadCleanReq", "ReadSharedReq")
CACHE_STATS = ("hits", "misses", "hitLatency", "missLatency", "mshrMisses", "mshrMissLatency")
POLICIES = {"LRU": lib.MS_LRU, "FIFO": lib.MS_FIFO, "MRU": lib.MS_MRU}
PAGE_POLICIES = {
    "open": lib.MS_PAGE_OPEN,
    "open_adaptive": lib.MS_PAGE_OPEN_ADAPTIVE,
    "close": lib.MS_PAGE_CLOSE,
    "close_adaptive": lib.MS_PAGE_CLOSE_ADAPTIVE,
}
ADDR_MAPS = {
    "RoRaBaChCo": lib.MS_RoRaBaChCo,
    "RoRaBaCoCh": lib.MS_RoRaBaCoCh,
    "RoCoRaBaCh": lib.MS_RoCoRaBaCh,
}


def system_of(model: Any) -> Any:
    """The System model above `model` (gem5's Parent.any, for memories that have no
    `system` param)."""
    sim = model.sim
    path = model.name()
    while sim is not None and "." in path:
        path = path.rsplit(".", 1)[0]
        owner = sim.models.get(path)
        if owner is not None and hasattr(owner, "requestorNames"):
            return owner
    return None


def requestor_names(system: Any) -> list[str]:
    """gem5's requestor table of `system` (the default ids alone without one)."""
    return system.requestorNames() if system is not None else ["writebacks", "functional"]


def u64_view(ptr: Any, n: int) -> memoryview:
    """A live view of `n` uint64 counters at `ptr` (in bounds: the array has n)."""
    return memoryview(ffi.buffer(ptr, 8 * n)).cast("Q")


def period_inverse(period: int) -> int:
    """(2**64 - 1) // period: what the C side multiplies by to find clock edges."""
    return (2**64 - 1) // period if period else 0


def new_u64(n: int) -> Any:
    return ffi.new("uint64_t[]", max(n, 1))


class Native:
    """A C structure and the arrays it points to, kept alive together."""

    ctype = ""
    kind = 0

    def __init__(self) -> None:
        self.s = ffi.new(f"struct {self.ctype} *")
        self.keep: list[Any] = []
        self.node = ffi.new("struct ms_node *")
        self.node.kind = self.kind
        self.node.obj = self.s

    def array(self, ctype: str, n: int) -> Any:
        arr = ffi.new(f"{ctype}[]", max(n, 1))
        self.keep.append(arr)
        return arr


def link(dst: Any, node: Any) -> None:
    """Make the `struct ms_node` field `dst` point where `node` (an ms_node *) points."""
    if node is None:
        dst.kind = lib.MS_NONE
        dst.obj = ffi.NULL
    else:
        dst.kind = node.kind
        dst.obj = node.obj


class NativeCache(Native):
    ctype = "ms_cache"
    kind = lib.MS_CACHE

    def __init__(
        self,
        *,
        sets: int,
        assoc: int,
        line_size: int,
        policy: str,
        period: int,
        tag_lat: int,
        data_lat: int,
        resp_lat: int,
        sequential: bool,
        writeback_clean: bool,
        mostly_excl: bool,
        read_only: bool,
        nreq: int,
        wb_req: int,
    ) -> None:
        super().__init__()
        c = self.s
        c.sets, c.assoc = sets, assoc
        c.line_shift = line_size.bit_length() - 1
        c.policy = POLICIES[policy]
        c.sequential, c.writeback_clean = int(sequential), int(writeback_clean)
        c.mostly_excl, c.read_only = int(mostly_excl), int(read_only)
        c.nreq, c.wb_req = nreq, wb_req
        c.period, c.tag_lat, c.data_lat, c.resp_lat = period, tag_lat, data_lat, resp_lat
        c.period_inv = period_inverse(period)
        n = sets * assoc
        c.line = self.array("uint64_t", n)
        c.dirty = self.array("uint8_t", n)
        c.stamp = self.array("uint64_t", n)
        c.stats = self.array("uint64_t", len(COMMANDS) * lib.MS_NCSTAT * nreq)
        c.writebacks = self.array("uint64_t", nreq)
        self.nreq = nreq

    def counters(self, cmd: str, stat: int) -> memoryview:
        """The live per-requestor counters of (command, stat)."""
        start = (CMD[cmd] * lib.MS_NCSTAT + stat) * self.nreq
        return u64_view(self.s.stats + start, self.nreq)


class NativeXBar(Native):
    ctype = "ms_xbar"
    kind = lib.MS_XBAR

    def __init__(self, *, period: int, req_lat: int, snoop_lat: int, resp_lat: int) -> None:
        super().__init__()
        x = self.s
        x.period, x.req_lat, x.snoop_lat, x.resp_lat = period, req_lat, snoop_lat, resp_lat
        x.period_inv = period_inverse(period)
        link(x.deflt, None)

    def set_routes(self, routes: Sequence[tuple[int, int, Any]], default: Any) -> None:
        arr = self.array("struct ms_route", len(routes))
        for i, (start, end, node) in enumerate(routes):
            arr[i].start, arr[i].end = start, end
            link(arr[i].to, node)
        self.s.routes = arr
        self.s.nroutes = len(routes)
        link(self.s.deflt, default)


def _memstats(owner: Native, m: Any, nreq: int) -> None:
    m.nreq = nreq
    for field in ("bytes_read", "bytes_inst_read", "bytes_written", "num_reads", "num_writes"):
        setattr(m, field, owner.array("uint64_t", nreq))


class NativeSimpleMemory(Native):
    ctype = "ms_simple"
    kind = lib.MS_SIMPLE

    def __init__(self, *, latency: int, ticks_per_byte: float, nreq: int) -> None:
        super().__init__()
        self.s.latency = latency
        self.s.ticks_per_byte = ticks_per_byte
        _memstats(self, self.s.mem, nreq)


class NativeDram(Native):
    ctype = "ms_dram"
    kind = lib.MS_DRAM

    def __init__(self, *, nreq: int, banks: int, ranks: int, wq_cap: int, **fields: Any) -> None:
        super().__init__()
        d = self.s
        d.nreq, d.banks, d.ranks, d.wq_cap = nreq, banks, ranks, wq_cap
        for name, value in fields.items():
            setattr(d, name, value)
        d.wq = self.array("uint64_t", wq_cap)
        d.wq_req = self.array("uint32_t", wq_cap)
        d.wq_bank = self.array("uint32_t", wq_cap)
        d.wq_row = self.array("uint64_t", wq_cap)
        d.bank = self.array("struct ms_bank", ranks * banks)
        d.rank = self.array("struct ms_rank", ranks)
        for field in (
            "rq_read_bytes",
            "rq_write_bytes",
            "rq_read_acc",
            "rq_write_acc",
            "rq_read_lat",
            "rq_write_lat",
        ):
            setattr(d, field, self.array("uint64_t", nreq))
        d.per_bank_rd = self.array("uint64_t", ranks * banks)
        d.per_bank_wr = self.array("uint64_t", ranks * banks)
        _memstats(self, d.mem, nreq)
        lib.ms_dram_reset(d, 0)


# -- statistics over native counters -------------------------------------------------------
class CounterVector(stats.Vector):
    """A Vector whose counters are a live view of a C array; reset zeroes them in place."""

    def __init__(self, owner: Any, name: str, desc: str, view: memoryview, **kw: Any) -> None:
        super().__init__(owner, name, desc, len(view), **kw)
        self._data = view

    def values(self) -> list[float]:
        return [float(v) for v in self._data] if self.available else super().values()

    def reset(self) -> None:
        for i in range(len(self._data)):
            self._data[i] = 0


class CounterScalar(stats.Stat):
    """A scalar counter that is a field of a C structure."""

    __slots__ = ("struct", "field")

    def __init__(self, owner: Any, name: str, desc: str, struct: Any, field: str, **kw: Any):
        super().__init__(owner, name, desc, **kw)
        self.struct = struct
        self.field = field

    def value(self) -> float:
        return float(getattr(self.struct, self.field)) if self.available else stats.NAN

    def values(self) -> list[float]:
        return [self.value()]

    def reset(self) -> None:
        setattr(self.struct, self.field, 0)
