"""gem5's statistics of the memory models, over the counters the C model keeps.

Names, descriptions, units, flags and order are gem5 v24's (src/mem/cache/base.cc
CacheStats and CacheCmdStats, mem/abstract_mem.cc, mem/mem_ctrl.cc CtrlStats,
mem/dram_interface.cc DRAMStats). Per-requestor vectors print as gem5 does,
`::cpu.inst`, `::cpu.data`, `::total`, leaving out zero and nan elements.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from simobjs.mem.memsys.native import (
    CACHE_STATS,
    COMMANDS,
    DEMAND,
    CounterScalar,
    CounterVector,
    u64_view,
)
from simobjs.sim import stats
from simobjs.sim.stats import Count, Cycle, Formula, Rate, Ratio, Tick, divide

Byte = stats.Byte
BPS = Rate(Byte, stats.Second)
TPC = Rate(Tick, Count)
PER_REQ = {"nozero": True, "nonan": True}


def _elementwise(fn: Callable[[float, float], float], a: Callable, b: Callable) -> Callable:
    return lambda: [fn(x, y) for x, y in zip(a(), b(), strict=True)]


def _add(*parts: Callable[[], list[float]]) -> Callable[[], list[float]]:
    return lambda: [sum(col) for col in zip(*(p() for p in parts), strict=True)]


def _sum(fn: Callable[[], list[float]]) -> Callable[[], float]:
    return lambda: float(sum(fn()))


def _vector(
    owner: Any,
    name: str,
    desc: str,
    fn: Callable,
    unit: str,
    names: Sequence[str],
    total: Any = True,
) -> Formula:
    return Formula(owner, name, desc, fn, unit=unit, subnames=names, total=total, **PER_REQ)


def _ratio(owner, name, desc, num, den, unit, names) -> Formula:
    return _vector(
        owner,
        name,
        desc,
        _elementwise(divide, num, den),
        unit,
        names,
        total=lambda: divide(sum(num()), sum(den())),
    )


def _sim_seconds(owner: Any) -> Callable[[], float]:
    sim = owner.sim
    return lambda: sim.stats.root.simSeconds.value()


# -- caches ------------------------------------------------------------------------------
def cache_stats(cache: Any, native: Any, names: Sequence[str]) -> None:
    """CacheStats and one CacheCmdStats group per command, as BaseCache registers them."""
    stat_index = {n: i for i, n in enumerate(CACHE_STATS)}

    def cmd_fn(cmd: str, stat: str) -> Callable[[], list[float]]:
        view = native.counters(cmd, stat_index[stat])
        return lambda: [float(v) for v in view]

    def demand(stat: str) -> Callable[[], list[float]]:
        return _add(*(cmd_fn(c, stat) for c in DEMAND))

    hits, misses = demand("hits"), demand("misses")
    hit_lat, miss_lat = demand("hitLatency"), demand("missLatency")
    accesses = _add(hits, misses)
    mshr_misses, mshr_lat = demand("mshrMisses"), demand("mshrMissLatency")
    nreq = len(names)
    zeros = lambda: [0.0] * nreq  # noqa: E731 - no MSHR hits behind a blocking CPU
    v = _vector
    v(cache, "demandHits", "number of demand (read+write) hits", hits, Count, names)
    v(cache, "overallHits", "number of overall hits", hits, Count, names)
    v(cache, "demandHitLatency", "number of demand (read+write) hit ticks", hit_lat, Tick, names)
    v(cache, "overallHitLatency", "number of overall hit ticks", hit_lat, Tick, names)
    v(cache, "demandMisses", "number of demand (read+write) misses", misses, Count, names)
    v(cache, "overallMisses", "number of overall misses", misses, Count, names)
    v(cache, "demandMissLatency", "number of demand (read+write) miss ticks", miss_lat, Tick, names)
    v(cache, "overallMissLatency", "number of overall miss ticks", miss_lat, Tick, names)
    v(cache, "demandAccesses", "number of demand (read+write) accesses", accesses, Count, names)
    v(cache, "overallAccesses", "number of overall (read+write) accesses", accesses, Count, names)
    _ratio(cache, "demandMissRate", "miss rate for demand accesses", misses, accesses, Ratio, names)
    _ratio(
        cache, "overallMissRate", "miss rate for overall accesses", misses, accesses, Ratio, names
    )
    _ratio(
        cache,
        "demandAvgMissLatency",
        "average overall miss latency in ticks",
        miss_lat,
        misses,
        TPC,
        names,
    )
    _ratio(
        cache, "overallAvgMissLatency", "average overall miss latency", miss_lat, misses, TPC, names
    )
    blocked = ["no_mshrs", "no_targets"]
    cycles = stats.Vector(
        cache,
        "blockedCycles",
        "number of cycles access was blocked",
        2,
        subnames=blocked,
        unit=Cycle,
    )
    causes = stats.Vector(
        cache,
        "blockedCauses",
        "number of times access was blocked",
        2,
        subnames=blocked,
        unit=Count,
    )
    Formula(
        cache,
        "avgBlocked",
        "average number of cycles each access was blocked",
        lambda: [divide(a, b) for a, b in zip(cycles.values(), causes.values(), strict=True)],
        unit=Rate(Cycle, Count),
        subnames=blocked,
    )
    CounterVector(
        cache,
        "writebacks",
        "number of writebacks",
        u64_view(native.s.writebacks, nreq),
        subnames=names,
        unit=Count,
        total=True,
        **PER_REQ,
    )
    v(cache, "demandMshrHits", "number of demand (read+write) MSHR hits", zeros, Count, names)
    v(cache, "overallMshrHits", "number of overall MSHR hits", zeros, Count, names)
    v(
        cache,
        "demandMshrMisses",
        "number of demand (read+write) MSHR misses",
        mshr_misses,
        Count,
        names,
    )
    v(cache, "overallMshrMisses", "number of overall MSHR misses", mshr_misses, Count, names)
    v(
        cache,
        "overallMshrUncacheable",
        "number of overall MSHR uncacheable misses",
        zeros,
        Count,
        names,
    )
    v(
        cache,
        "demandMshrMissLatency",
        "number of demand (read+write) MSHR miss ticks",
        mshr_lat,
        Tick,
        names,
    )
    v(cache, "overallMshrMissLatency", "number of overall MSHR miss ticks", mshr_lat, Tick, names)
    v(
        cache,
        "overallMshrUncacheableLatency",
        "number of overall MSHR uncacheable ticks",
        zeros,
        Tick,
        names,
    )
    _ratio(
        cache,
        "demandMshrMissRate",
        "mshr miss ratio for demand accesses",
        mshr_misses,
        accesses,
        Ratio,
        names,
    )
    _ratio(
        cache,
        "overallMshrMissRate",
        "mshr miss ratio for overall accesses",
        mshr_misses,
        accesses,
        Ratio,
        names,
    )
    _ratio(
        cache,
        "demandAvgMshrMissLatency",
        "average overall mshr miss latency",
        mshr_lat,
        mshr_misses,
        TPC,
        names,
    )
    _ratio(
        cache,
        "overallAvgMshrMissLatency",
        "average overall mshr miss latency",
        mshr_lat,
        mshr_misses,
        TPC,
        names,
    )
    _ratio(
        cache,
        "overallAvgMshrUncacheableLatency",
        "average overall mshr uncacheable latency",
        zeros,
        zeros,
        TPC,
        names,
    )
    CounterScalar(
        cache, "replacements", "number of replacements", native.s, "replacements", unit=Count
    )
    stats.Scalar(cache, "dataExpansions", "number of data expansions", unit=Count, **PER_REQ)
    stats.Scalar(cache, "dataContractions", "number of data contractions", unit=Count, **PER_REQ)
    for cmd in COMMANDS:
        _cmd_stats(cache, cmd, native, names)


def _cmd_stats(cache: Any, cmd: str, native: Any, names: Sequence[str]) -> None:
    """One CacheCmdStats group: the counters are Vectors (reset with the stats), the
    rest formulas over them."""
    nreq = len(names)

    def counters(stat: str, desc: str, unit: str) -> Callable[[], list[float]]:
        view = native.counters(cmd, CACHE_STATS.index(stat))
        vec = CounterVector(
            cache, f"{cmd}.{stat}", desc, view, subnames=names, unit=unit, total=True, **PER_REQ
        )
        return vec.values

    n = cmd
    hits = counters("hits", f"number of {n} hits", Count)
    misses = counters("misses", f"number of {n} misses", Count)
    counters("hitLatency", f"number of {n} hit ticks", Tick)
    miss_lat = counters("missLatency", f"number of {n} miss ticks", Tick)
    accesses = _add(hits, misses)
    zeros = lambda: [0.0] * nreq  # noqa: E731
    v = _vector
    v(cache, f"{n}.accesses", f"number of {n} accesses(hits+misses)", accesses, Count, names)
    _ratio(cache, f"{n}.missRate", f"miss rate for {n} accesses", misses, accesses, Ratio, names)
    _ratio(cache, f"{n}.avgMissLatency", f"average {n} miss latency", miss_lat, misses, TPC, names)
    v(cache, f"{n}.mshrHits", f"number of {n} MSHR hits", zeros, Count, names)
    mshr_misses = counters("mshrMisses", f"number of {n} MSHR misses", Count)
    v(cache, f"{n}.mshrUncacheable", f"number of {n} MSHR uncacheable", zeros, Count, names)
    mshr_lat = counters("mshrMissLatency", f"number of {n} MSHR miss ticks", Tick)
    v(
        cache,
        f"{n}.mshrUncacheableLatency",
        f"number of {n} MSHR uncacheable ticks",
        zeros,
        Tick,
        names,
    )
    _ratio(
        cache,
        f"{n}.mshrMissRate",
        f"mshr miss rate for {n} accesses",
        mshr_misses,
        accesses,
        Ratio,
        names,
    )
    _ratio(
        cache,
        f"{n}.avgMshrMissLatency",
        f"average {n} mshr miss latency",
        mshr_lat,
        mshr_misses,
        TPC,
        names,
    )
    _ratio(
        cache,
        f"{n}.avgMshrUncacheableLatency",
        f"average {n} mshr uncacheable latency",
        zeros,
        zeros,
        TPC,
        names,
    )


# -- memories ----------------------------------------------------------------------------
def memory_stats(mem: Any, m: Any, names: Sequence[str]) -> None:
    """AbstractMemory's MemStats over an `ms_memstats`."""
    nreq = len(names)
    views = {
        f: u64_view(getattr(m, f), nreq)
        for f in ("bytes_read", "bytes_inst_read", "bytes_written", "num_reads", "num_writes")
    }

    def counters(name: str, desc: str, field: str, unit: str) -> CounterVector:
        return CounterVector(
            mem, name, desc, views[field], subnames=names, unit=unit, total=True, **PER_REQ
        )

    read = counters("bytesRead", "Number of bytes read from this memory", "bytes_read", Byte)
    inst = counters(
        "bytesInstRead",
        "Number of instructions bytes read from this memory",
        "bytes_inst_read",
        Byte,
    )
    written = counters(
        "bytesWritten", "Number of bytes written to this memory", "bytes_written", Byte
    )
    counters("numReads", "Number of read requests responded to by this memory", "num_reads", Count)
    counters(
        "numWrites", "Number of write requests responded to by this memory", "num_writes", Count
    )
    stats.Vector(
        mem,
        "numOther",
        "Number of other requests responded to by this memory",
        nreq,
        subnames=names,
        unit=Count,
        total=True,
        **PER_REQ,
    )
    seconds = _sim_seconds(mem)

    def bandwidth(name: str, desc: str, *parts: CounterVector) -> None:
        def fn() -> list[float]:
            s = seconds()
            return [divide(sum(p.values()[i] for p in parts), s) for i in range(nreq)]

        Formula(
            mem,
            name,
            desc,
            fn,
            unit=BPS,
            subnames=names,
            precision=0,
            total=lambda: divide(sum(p.total() for p in parts), seconds()),
            **PER_REQ,
        )

    bandwidth("bwRead", "Total read bandwidth from this memory", read)
    bandwidth("bwInstRead", "Instruction read bandwidth from this memory", inst)
    bandwidth("bwWrite", "Write bandwidth from this memory", written)
    bandwidth("bwTotal", "Total bandwidth to/from this memory", read, written)


def ctrl_stats(ctrl: Any, d: Any, names: Sequence[str], burst_size: int) -> None:
    """MemCtrl's CtrlStats over an `ms_dram`."""
    nreq = len(names)

    def scalar(name: str, desc: str, field: str, unit: str = Count) -> CounterScalar:
        return CounterScalar(ctrl, name, desc, d, field, unit=unit)

    scalar("readReqs", "Number of read requests accepted", "readReqs")
    scalar("writeReqs", "Number of write requests accepted", "writeReqs")
    scalar(
        "readBursts",
        "Number of controller read bursts, including those serviced by the write queue",
        "readBursts",
    )
    scalar(
        "writeBursts",
        "Number of controller write bursts, including those merged in the write queue",
        "writeBursts",
    )
    scalar(
        "servicedByWrQ",
        "Number of controller read bursts serviced by the write queue",
        "servicedByWrQ",
    )
    scalar(
        "mergedWrBursts",
        "Number of controller write bursts merged with an existing one",
        "mergedWrBursts",
    )
    stats.Scalar(
        ctrl,
        "neitherReadNorWriteReqs",
        "Number of requests that are neither read nor write",
        unit=Count,
    )
    stats.Scalar(
        ctrl, "numRdRetry", "Number of times read queue was full causing retry", unit=Count
    )
    stats.Scalar(
        ctrl, "numWrRetry", "Number of times write queue was full causing retry", unit=Count
    )
    sizes = burst_size.bit_length()  # gem5: ceilLog2(burst size) + 1 entries
    CounterVector(
        ctrl,
        "readPktSize",
        "Read request sizes (log2)",
        u64_view(d.readPktSize, 16)[:sizes],
        unit=Count,
    )
    CounterVector(
        ctrl,
        "writePktSize",
        "Write request sizes (log2)",
        u64_view(d.writePktSize, 16)[:sizes],
        unit=Count,
    )
    scalar("bytesReadWrQ", "Total number of bytes read from write queue", "bytesReadWrQ", Byte)
    scalar("bytesReadSys", "Total read bytes from the system interface side", "bytesReadSys", Byte)
    scalar(
        "bytesWrittenSys",
        "Total written bytes from the system interface side",
        "bytesWrittenSys",
        Byte,
    )
    seconds = _sim_seconds(ctrl)
    Formula(
        ctrl,
        "avgRdBWSys",
        "Average system read bandwidth in Byte/s",
        lambda: divide(d.bytesReadSys, seconds()),
        unit=BPS,
        precision=8,
    )
    Formula(
        ctrl,
        "avgWrBWSys",
        "Average system write bandwidth in Byte/s",
        lambda: divide(d.bytesWrittenSys, seconds()),
        unit=BPS,
        precision=8,
    )
    scalar("totGap", "Total gap between requests", "totGap", Tick)
    Formula(
        ctrl,
        "avgGap",
        "Average gap between requests",
        lambda: divide(d.totGap, d.readReqs + d.writeReqs),
        unit=TPC,
        precision=2,
    )

    def per_req(name, desc, field, unit) -> CounterVector:
        return CounterVector(
            ctrl,
            name,
            desc,
            u64_view(getattr(d, field), nreq),
            subnames=names,
            unit=unit,
            **PER_REQ,
        )

    rd_bytes = per_req(
        "requestorReadBytes", "Per-requestor bytes read from memory", "rq_read_bytes", Byte
    )
    wr_bytes = per_req(
        "requestorWriteBytes", "Per-requestor bytes write to memory", "rq_write_bytes", Byte
    )
    for name, desc, src in (
        ("requestorReadRate", "Per-requestor bytes read from memory rate", rd_bytes),
        ("requestorWriteRate", "Per-requestor bytes write to memory rate", wr_bytes),
    ):
        Formula(
            ctrl,
            name,
            desc,
            (lambda s: lambda: [divide(x, seconds()) for x in s.values()])(src),
            unit=BPS,
            subnames=names,
            precision=12,
            **PER_REQ,
        )
    rd_acc = per_req(
        "requestorReadAccesses", "Per-requestor read serviced memory accesses", "rq_read_acc", Count
    )
    wr_acc = per_req(
        "requestorWriteAccesses",
        "Per-requestor write serviced memory accesses",
        "rq_write_acc",
        Count,
    )
    rd_lat = per_req(
        "requestorReadTotalLat",
        "Per-requestor read total memory access latency",
        "rq_read_lat",
        Tick,
    )
    wr_lat = per_req(
        "requestorWriteTotalLat",
        "Per-requestor write total memory access latency",
        "rq_write_lat",
        Tick,
    )
    for name, desc, lat, acc in (
        ("requestorReadAvgLat", "Per-requestor read average memory access latency", rd_lat, rd_acc),
        (
            "requestorWriteAvgLat",
            "Per-requestor write average memory access latency",
            wr_lat,
            wr_acc,
        ),
    ):
        Formula(
            ctrl,
            name,
            desc,
            (
                lambda a, b: (
                    lambda: [divide(x, y) for x, y in zip(a.values(), b.values(), strict=True)]
                )
            )(lat, acc),
            unit=TPC,
            subnames=names,
            precision=2,
            **PER_REQ,
        )


def dram_stats(dram: Any, d: Any, banks: int, peak_bw: float) -> None:
    """DRAMInterface's DRAMStats over an `ms_dram` (peak_bw in bytes/s)."""

    def scalar(name: str, desc: str, field: str, unit: str = Count) -> CounterScalar:
        return CounterScalar(dram, name, desc, d, field, unit=unit)

    scalar("readBursts", "Number of DRAM read bursts", "dramReadBursts")
    scalar("writeBursts", "Number of DRAM write bursts", "dramWriteBursts")
    CounterVector(
        dram, "perBankRdBursts", "Per bank write bursts", u64_view(d.per_bank_rd, banks), unit=Count
    )
    CounterVector(
        dram, "perBankWrBursts", "Per bank write bursts", u64_view(d.per_bank_wr, banks), unit=Count
    )
    scalar("totQLat", "Total ticks spent queuing", "totQLat", Tick)
    scalar("totBusLat", "Total ticks spent in databus transfers", "totBusLat", Tick)
    scalar(
        "totMemAccLat",
        "Total ticks spent from burst creation until serviced by the DRAM",
        "totMemAccLat",
        Tick,
    )
    for name, desc, field in (
        ("avgQLat", "Average queueing delay per DRAM burst", "totQLat"),
        ("avgBusLat", "Average bus latency per DRAM burst", "totBusLat"),
        ("avgMemAccLat", "Average memory access latency per DRAM burst", "totMemAccLat"),
    ):
        Formula(
            dram,
            name,
            desc,
            (lambda f: lambda: divide(getattr(d, f), d.dramReadBursts))(field),
            unit=TPC,
            precision=2,
        )
    scalar("readRowHits", "Number of row buffer hits during reads", "readRowHits")
    scalar("writeRowHits", "Number of row buffer hits during writes", "writeRowHits")
    Formula(
        dram,
        "readRowHitRate",
        "Row buffer hit rate for reads",
        lambda: divide(d.readRowHits, d.dramReadBursts) * 100,
        unit=Ratio,
        precision=2,
    )
    Formula(
        dram,
        "writeRowHitRate",
        "Row buffer hit rate for writes",
        lambda: divide(d.writeRowHits, d.dramWriteBursts) * 100,
        unit=Ratio,
        precision=2,
    )
    scalar("dramBytesRead", "Total bytes read", "dramBytesRead", Byte)
    scalar("dramBytesWritten", "Total bytes written", "dramBytesWritten", Byte)
    seconds = _sim_seconds(dram)
    rd_bw = lambda: divide(d.dramBytesRead / 1e6, seconds())  # noqa: E731
    wr_bw = lambda: divide(d.dramBytesWritten / 1e6, seconds())  # noqa: E731
    peak = peak_bw / 1e6
    Formula(
        dram, "avgRdBW", "Average DRAM read bandwidth in MiBytes/s", rd_bw, unit=BPS, precision=2
    )
    Formula(
        dram, "avgWrBW", "Average DRAM write bandwidth in MiBytes/s", wr_bw, unit=BPS, precision=2
    )
    Formula(
        dram,
        "peakBW",
        "Theoretical peak bandwidth in MiByte/s",
        lambda: peak,
        unit=BPS,
        precision=2,
    )
    Formula(
        dram,
        "busUtil",
        "Data bus utilization in percentage",
        lambda: divide(rd_bw() + wr_bw(), peak) * 100,
        unit=Ratio,
        precision=2,
    )
    Formula(
        dram,
        "busUtilRead",
        "Data bus utilization in percentage for reads",
        lambda: divide(rd_bw(), peak) * 100,
        unit=Ratio,
        precision=2,
    )
    Formula(
        dram,
        "busUtilWrite",
        "Data bus utilization in percentage for writes",
        lambda: divide(wr_bw(), peak) * 100,
        unit=Ratio,
        precision=2,
    )
    Formula(
        dram,
        "pageHitRate",
        "Row buffer hit rate, read and write combined",
        lambda: divide(d.writeRowHits + d.readRowHits, d.dramWriteBursts + d.dramReadBursts) * 100,
        unit=Ratio,
        precision=2,
    )
