"""The DRAM model: row hits, misses and conflicts, page policies, refresh, the write
queue, and the params gem5's presets give it (a MemCtrl with DDR3_1600_8x8 built
from its declaration, driven through its native node)."""

from __future__ import annotations

import pytest

from simobjs.config import build
from simobjs.mem.memsys.native import CMD, lib

NS = 1000
DATA = 1  # a requestor id the system has (no CPU here: writebacks, functional, interrupt)
T = lib.MS_TIMING
# DDR3_1600_8x8 and MemCtrl's defaults
tRCD = tCL = tRP = 13750
tBURST, tRAS, tRFC, tREFI = 5000, 35000, 260000, 7_800_000
FRONT = BACK = 10 * NS
ROW = 8 * 1024  # 8 devices x 1 KiB: consecutive addresses share a row
BANK_STRIDE = ROW  # RoRaBaCoCh: the next row buffer's worth of addresses is the next bank


@pytest.fixture(autouse=True)
def _fresh(fresh_simulation):
    yield


def controller(page_policy: str = "open_adaptive", **ctrl):
    from m5.objects import (
        AddrRange,
        DDR3_1600_8x8,
        MemCtrl,
        Root,
        SrcClockDomain,
        System,
        VoltageDomain,
    )

    system = System(mem_ranges=[AddrRange("64MiB")])
    system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
    system.mem_ctrl = MemCtrl(
        dram=DDR3_1600_8x8(range=system.mem_ranges[0], page_policy=page_policy), **ctrl
    )
    Root(full_system=True, system=system)
    sim = build.instantiate(outdir=None)
    return sim.model("system.mem_ctrl")


def read(ctrl, addr: int, t: int) -> int:
    return lib.ms_access(ctrl.native.node, CMD["ReadReq"], addr, 64, DATA, t, T) - t


def write(ctrl, addr: int, t: int) -> int:
    return lib.ms_access(ctrl.native.node, CMD["WritebackDirty"], addr, 64, DATA, t, T) - t


def test_geometry_comes_from_the_preset():
    ctrl = controller()
    d = ctrl.dram
    assert (d.burst_size, d.row_buffer_size, d.bursts_per_row) == (64, 8192, 128)
    assert (d.banks, d.ranks) == (8, 2)
    assert d.rows == 8 * 2**30 // (8192 * 8 * 2)  # 8 GiB of devices: 65536 rows a bank
    assert ctrl.native.s.atomic_latency == tRP + tRCD + tCL


def test_closed_row_hit_and_conflict_latencies():
    ctrl = controller()
    closed = FRONT + tRCD + tCL + tBURST + BACK
    assert read(ctrl, 0x1000, 0) == closed
    assert read(ctrl, 0x1040, 100 * NS) == FRONT + tCL + tBURST + BACK  # row hit
    # same bank, another row: precharge, activate, read
    other_row = 0x1000 + ROW * 8 * 2
    assert read(ctrl, other_row, 200 * NS) == FRONT + tRP + tRCD + tCL + tBURST + BACK
    s = ctrl.native.s
    assert (s.readReqs, s.dramReadBursts, s.readRowHits) == (3, 3, 1)
    assert s.totMemAccLat == closed - FRONT - BACK + tCL + tBURST + tRP + tRCD + tCL + tBURST


def test_a_conflict_waits_for_tras():
    ctrl = controller()
    read(ctrl, 0, 0)  # activates at 0: precharge not before tRAS
    other_row = ROW * 8 * 2
    lat = read(ctrl, other_row, NS)
    assert lat == (tRAS + tRP + tRCD + tCL + tBURST) - NS + FRONT + BACK


def test_close_policy_precharges_after_every_access():
    ctrl = controller("close")
    closed = FRONT + tRCD + tCL + tBURST + BACK
    assert read(ctrl, 0x1000, 0) == closed
    assert read(ctrl, 0x1040, 100 * NS) == closed
    assert ctrl.native.s.readRowHits == 0


def test_open_policy_closes_after_max_accesses_per_row():
    ctrl = controller("open")
    for i in range(16):
        read(ctrl, 64 * i, 100 * NS * i)
    s = ctrl.native.s
    assert s.readRowHits == 15
    read(ctrl, 64 * 16, 100 * NS * 16)  # the 16th access closed the row
    assert s.readRowHits == 15


def test_consecutive_rows_of_addresses_go_to_other_banks():
    ctrl = controller()
    read(ctrl, 0, 0)
    read(ctrl, BANK_STRIDE, 100 * NS)
    banks = [ctrl.native.s.per_bank_rd[i] for i in range(16)]
    assert banks[:2] == [1, 1] and sum(banks) == 2


def test_refresh_closes_rows_and_delays_the_next_access():
    ctrl = controller()
    read(ctrl, 0, 0)
    first_refresh = tREFI - tRP
    lat = read(ctrl, 0, first_refresh + NS)
    # the open row is precharged (tRP), the rank refreshes (tRFC), the row reopens
    done = first_refresh + tRP + tRFC + tRCD + tCL + tBURST
    assert lat == done - (first_refresh + NS) + FRONT + BACK
    assert ctrl.native.s.readRowHits == 0


def test_writes_are_posted_queued_and_drained_in_batches():
    ctrl = controller()
    s = ctrl.native.s
    assert write(ctrl, 0, 0) == FRONT
    assert s.wq_len == 1 and s.dramWriteBursts == 0
    assert read(ctrl, 0, NS) == FRONT  # served by the write queue
    assert (s.servicedByWrQ, s.bytesReadWrQ) == (1, 64)
    write(ctrl, 0, 2 * NS)
    assert s.mergedWrBursts == 1
    for i in range(1, 33):  # past write_low_thresh_perc (50% of 64): a batch goes to the banks
        write(ctrl, 64 * i, (3 + i) * NS)
    assert s.dramWriteBursts == 33 - s.wq_len > 0
    assert s.wq_len == 64 * 50 // 100 - 16 - 1  # left: the low threshold - min writes - 1
    lib.ms_dram_drain(s, 100 * NS)
    assert s.wq_len == 0 and s.dramWriteBursts == 33
    assert s.writeRowHits == 30  # one row, reopened after max_accesses_per_row (16) accesses
    assert (s.writeReqs, s.writeBursts) == (34, 34)


def test_atomic_accesses_take_gem5s_access_latency():
    ctrl = controller()
    got = lib.ms_access(ctrl.native.node, CMD["ReadReq"], 0, 64, DATA, 0, lib.MS_ATOMIC)
    assert got == tRP + tRCD + tCL
    assert ctrl.native.s.readReqs == 0  # gem5's atomic path keeps no controller stats
    assert ctrl.native.s.mem.bytes_read[DATA] == 64
