"""The C cache model against an independent, plain-Python model of the same rules,
on the same address traces (hypothesis): equal hits, misses and writebacks per
command at every level, and equal memory traffic below.

The rules both implement (gem5's classic cache, one core): write-back,
write-allocate; a miss asks below for the line (ReadExReq for a write,
ReadSharedReq otherwise) and allocates it, evicting the policy's victim; a dirty
victim is written back (WritebackDirty, which always lands below: a hit, or an
allocation); a clean one is dropped; a dirty line served to a cache above by
ReadSharedReq or ReadExReq moves up (the lower copy turns clean).
"""

from __future__ import annotations

import random
from collections import Counter, OrderedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simobjs.mem.memsys.native import (
    CACHE_STATS,
    CMD,
    COMMANDS,
    NativeCache,
    NativeSimpleMemory,
    NativeXBar,
    lib,
    link,
)

LINE = 64
NREQ = 5
INST, DATA = 3, 4  # requestor ids, after writebacks/functional/interrupt


class RefCache:
    """A set-associative cache as ordered dicts: line -> dirty, oldest first."""

    def __init__(self, sets: int, assoc: int, policy: str = "LRU", below=None):
        self.sets = [OrderedDict() for _ in range(sets)]
        self.assoc = assoc
        self.policy = policy
        self.below = below
        self.hits: Counter = Counter()
        self.misses: Counter = Counter()
        self.writebacks = 0

    def access(self, cmd: str, line: int) -> bool:
        """Serve `cmd` for `line`; True when dirty ownership moves to the requester."""
        s = self.sets[line % len(self.sets)]
        if cmd in ("WritebackDirty", "WritebackClean"):
            if line in s:
                self._touch(s, line)
            else:
                self._insert(s, line)
            if cmd == "WritebackDirty":
                s[line] = True
            self.hits[cmd] += 1
            return False
        if line in s:
            self.hits[cmd] += 1
            self._touch(s, line)
            if cmd == "WriteReq":
                s[line] = True
            elif cmd in ("ReadSharedReq", "ReadExReq") and s[line]:
                s[line] = False
                return True
            return False
        self.misses[cmd] += 1
        down = "ReadExReq" if cmd in ("WriteReq", "ReadExReq") else "ReadSharedReq"
        got_dirty = self.below.access(down, line) if self.below is not None else False
        self._insert(s, line)
        s[line] = cmd == "WriteReq" or got_dirty
        if s[line] and cmd == "ReadExReq":
            s[line] = False
            return True
        return False

    def _touch(self, s: OrderedDict, line: int) -> None:
        if self.policy != "FIFO":
            s.move_to_end(line)

    def _insert(self, s: OrderedDict, line: int) -> None:
        if len(s) == self.assoc:
            if self.policy == "MRU":
                victim = next(reversed(s))
                dirty = s.pop(victim)
            else:
                victim, dirty = s.popitem(last=False)
            if dirty:
                self.writebacks += 1
                if self.below is not None:
                    self.below.access("WritebackDirty", victim)
        s[line] = False


class RefMemory:
    def __init__(self) -> None:
        self.reads = 0
        self.writes = 0

    def access(self, cmd: str, line: int) -> bool:
        if cmd.startswith("Writeback"):
            self.writes += 1
        else:
            self.reads += 1
        return False


def native_cache(sets: int, assoc: int, policy: str = "LRU") -> NativeCache:
    return NativeCache(
        sets=sets,
        assoc=assoc,
        line_size=LINE,
        policy=policy,
        period=1000,
        tag_lat=2000,
        data_lat=2000,
        resp_lat=2000,
        sequential=False,
        writeback_clean=False,
        mostly_excl=False,
        read_only=False,
        nreq=NREQ,
        wb_req=0,
    )


def native_memory() -> NativeSimpleMemory:
    return NativeSimpleMemory(latency=30000, ticks_per_byte=0.0, nreq=NREQ)


def counts(c: NativeCache) -> dict[str, Counter]:
    out = {"hits": Counter(), "misses": Counter()}
    for cmd in COMMANDS:
        for stat in ("hits", "misses"):
            n = sum(c.counters(cmd, CACHE_STATS.index(stat)))
            if n:
                out[stat][cmd] = n
    return out


def memory_traffic(m: NativeSimpleMemory) -> tuple[int, int]:
    mem = m.s.mem
    return (sum(mem.num_reads[i] for i in range(NREQ)), sum(mem.num_writes[i] for i in range(NREQ)))


def traces(sets: int, tags: int) -> st.SearchStrategy:
    """(op, line, offset) lists whose lines crowd three sets: conflicts on every access.

    Hypothesis draws a seed, a length and the share of writes; the trace itself comes
    from a seeded generator (long traces at little generation cost)."""

    def make(seed: int, length: int, writes: float) -> list[tuple[str, int, int]]:
        rnd = random.Random(seed)
        out = []
        for _ in range(length):
            op = "W" if rnd.random() < writes else rnd.choice("RI")
            line = rnd.randrange(tags) * sets + rnd.randrange(3)
            out.append((op, line, rnd.randrange(0, LINE - 7)))
        return out

    return st.builds(make, st.integers(0, 2**32), st.integers(1, 400), st.floats(0, 0.6))


def drive(entry, trace) -> None:
    """Send the trace through the C model (atomic mode: counts do not depend on time)."""
    for op, line, offset in trace:
        cmd = CMD["WriteReq"] if op == "W" else CMD["ReadReq"]
        rq = INST | lib.MS_INST_FETCH if op == "I" else DATA
        lib.ms_access(entry(op), cmd, line * LINE + offset, 8, rq, 0, lib.MS_ATOMIC)


GEOMETRIES = [(64, 1), (32, 2), (16, 4), (8, 8), (4, 16)]


@pytest.mark.parametrize("policy", ["LRU", "FIFO", "MRU"])
@pytest.mark.parametrize("sets,assoc", GEOMETRIES)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_one_level_matches_the_reference_model(sets, assoc, policy, data):
    trace = data.draw(traces(sets, assoc + 2))
    mem = native_memory()
    l1 = native_cache(sets, assoc, policy)
    link(l1.s.below, mem.node)
    drive(lambda op: l1.node, trace)
    ref_mem = RefMemory()
    ref = RefCache(sets, assoc, policy, ref_mem)
    for op, line, _ in trace:
        ref.access("WriteReq" if op == "W" else "ReadReq", line)
    got = counts(l1)
    assert got["hits"] == ref.hits
    assert got["misses"] == ref.misses
    assert sum(l1.s.writebacks[i] for i in range(NREQ)) == ref.writebacks
    assert memory_traffic(mem) == (ref_mem.reads, ref_mem.writes)


@pytest.mark.parametrize(
    "l1_geometry,l2_geometry", [((16, 2), (32, 8)), ((64, 1), (16, 16)), ((8, 4), (64, 4))]
)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_two_levels_with_split_l1_match_the_reference_model(l1_geometry, l2_geometry, data):
    """L1I and L1D on a crossbar to one L2, as learning_gem5's two_level.py."""
    # enough tags to overflow the L2's sets that the L1's sets map to
    trace = data.draw(traces(l1_geometry[0], 2 * l2_geometry[1] + 1))
    mem = native_memory()
    l2 = native_cache(*l2_geometry)
    link(l2.s.below, mem.node)
    bus = NativeXBar(period=1000, req_lat=1000, snoop_lat=0, resp_lat=1000)
    bus.set_routes([(0, 2**64 - 1, l2.node)], None)
    l1i, l1d = native_cache(*l1_geometry), native_cache(*l1_geometry)
    link(l1i.s.below, bus.node)
    link(l1d.s.below, bus.node)
    drive(lambda op: (l1i if op == "I" else l1d).node, trace)

    ref_mem = RefMemory()
    ref_l2 = RefCache(*l2_geometry, below=ref_mem)
    ref_l1i, ref_l1d = RefCache(*l1_geometry, below=ref_l2), RefCache(*l1_geometry, below=ref_l2)
    for op, line, _ in trace:
        cache = ref_l1i if op == "I" else ref_l1d
        cache.access("WriteReq" if op == "W" else "ReadReq", line)
    for native, ref in ((l1i, ref_l1i), (l1d, ref_l1d), (l2, ref_l2)):
        got = counts(native)
        assert got["hits"] == ref.hits
        assert got["misses"] == ref.misses
        assert sum(native.s.writebacks[i] for i in range(NREQ)) == ref.writebacks
    assert memory_traffic(mem) == (ref_mem.reads, ref_mem.writes)


def test_a_line_crossing_access_is_the_callers_to_split():
    """The model sees line-sized requests; a dirty line written back is counted once."""
    mem = native_memory()
    l1 = native_cache(1, 1)
    link(l1.s.below, mem.node)
    lib.ms_access(l1.node, CMD["WriteReq"], 0, 8, DATA, 0, lib.MS_ATOMIC)
    lib.ms_access(l1.node, CMD["ReadReq"], LINE, 8, DATA, 0, lib.MS_ATOMIC)  # evicts line 0
    assert l1.s.writebacks[0] == 1 and l1.s.replacements == 1
    assert memory_traffic(mem) == (2, 1)


def test_timing_latencies_follow_gem5s_rules():
    """Hit: max(tag, data); write hit: tag; miss: tag + below + response latency."""
    mem = NativeSimpleMemory(latency=30000, ticks_per_byte=0.0, nreq=NREQ)
    c = NativeCache(
        sets=4,
        assoc=2,
        line_size=LINE,
        policy="LRU",
        period=1000,
        tag_lat=2000,
        data_lat=3000,
        resp_lat=4000,
        sequential=False,
        writeback_clean=False,
        mostly_excl=False,
        read_only=False,
        nreq=NREQ,
        wb_req=0,
    )
    link(c.s.below, mem.node)
    t = lib.MS_TIMING
    assert lib.ms_access(c.node, CMD["ReadReq"], 0, 8, DATA, 0, t) == 2000 + 30000 + 4000
    assert lib.ms_access(c.node, CMD["ReadReq"], 8, 8, DATA, 100000, t) == 100000 + 3000
    assert lib.ms_access(c.node, CMD["WriteReq"], 8, 8, DATA, 200500, t) == 201000 + 2000
    miss_lat = sum(c.counters("ReadReq", CACHE_STATS.index("missLatency")))
    hit_lat = sum(c.counters("ReadReq", CACHE_STATS.index("hitLatency")))
    assert (miss_lat, hit_lat) == (36000, 3000)
    c.s.sequential = 1
    assert lib.ms_access(c.node, CMD["ReadReq"], 8, 8, DATA, 300000, t) == 300000 + 5000


def test_writeback_and_invalidate():
    mem = native_memory()
    c = native_cache(4, 2)
    link(c.s.below, mem.node)
    for line in range(4):
        lib.ms_access(c.node, CMD["WriteReq"], line * LINE, 8, DATA, 0, lib.MS_ATOMIC)
    assert lib.ms_cache_valid_lines(c.s) == 4
    assert sum(c.s.dirty[i] for i in range(8)) == 4
    lib.ms_cache_writeback(c.s)
    assert sum(c.s.dirty[i] for i in range(8)) == 0
    assert lib.ms_cache_valid_lines(c.s) == 4
    lib.ms_cache_invalidate(c.s)
    assert lib.ms_cache_valid_lines(c.s) == 0
    assert memory_traffic(mem) == (4, 0)  # functional writeback: no traffic, no stats


def test_mostly_exclusive_l2_keeps_only_what_comes_from_above_as_a_victim():
    mem = native_memory()
    l2 = NativeCache(
        sets=4,
        assoc=4,
        line_size=LINE,
        policy="LRU",
        period=1000,
        tag_lat=1000,
        data_lat=1000,
        resp_lat=1000,
        sequential=False,
        writeback_clean=False,
        mostly_excl=True,
        read_only=False,
        nreq=NREQ,
        wb_req=0,
    )
    link(l2.s.below, mem.node)
    l1 = NativeCache(
        sets=1,
        assoc=1,
        line_size=LINE,
        policy="LRU",
        period=1000,
        tag_lat=1000,
        data_lat=1000,
        resp_lat=1000,
        sequential=False,
        writeback_clean=True,
        mostly_excl=False,
        read_only=False,
        nreq=NREQ,
        wb_req=0,
    )
    link(l1.s.below, l2.node)
    atomic = lib.MS_ATOMIC
    lib.ms_access(l1.node, CMD["ReadReq"], 0, 8, DATA, 0, atomic)  # fill L1 only
    assert lib.ms_cache_valid_lines(l2.s) == 0
    lib.ms_access(l1.node, CMD["ReadReq"], LINE, 8, DATA, 0, atomic)  # victim 0 -> L2
    assert lib.ms_cache_valid_lines(l2.s) == 1
    lib.ms_access(l1.node, CMD["ReadReq"], 0, 8, DATA, 0, atomic)  # L2 hit moves it up
    assert sum(l2.counters("ReadSharedReq", CACHE_STATS.index("hits"))) == 1
    assert lib.ms_cache_valid_lines(l2.s) == 1  # line 1, the new victim, is there instead
