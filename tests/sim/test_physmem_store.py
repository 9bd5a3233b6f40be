"""Sparse memory stores: only non-zero pages, checksum, refusals."""

import os

import pytest

from simobjs.errors import CheckpointError
from simobjs.mem.guest_ram import GuestRam
from simobjs.sim import physmem_store
from simobjs.sim.physmem_store import nonzero_runs, read_store, write_store

SIZE = 8 << 20


@pytest.fixture
def ram():
    r = GuestRam(0, SIZE, "test-ram", prefault=False)
    yield r
    r.close()


def _fill(ram):
    ram.write(0x0, b"\x01")
    ram.write(0x1000, b"\x02" * 4096)
    ram.write(0x2FFF, b"\x03")
    ram.write(0x200000, b"hello")
    ram.write(SIZE - 1, b"\xff")


def test_runs_cover_exactly_the_nonzero_pages(ram):
    _fill(ram)
    runs = nonzero_runs(ram.view, ram.host_address)
    assert runs == [(0, 3), (0x200, 1), (SIZE // 4096 - 1, 1)]
    assert nonzero_runs(ram.view, None, vectorised=False) == runs  # the portable paths agree
    assert nonzero_runs(ram.view, ram.host_address, vectorised=False) == runs


def test_round_trip_is_sparse(tmp_path, ram):
    _fill(ram)
    path = str(tmp_path / "s.pmem")
    data = write_store(path, ram.view, ram.host_address)
    assert data == 5 * 4096
    assert os.path.getsize(path) < 6 * 4096
    other = GuestRam(0, SIZE, "other", prefault=False)
    try:
        read_store(path, other.view, "system.physmem.store0")
        assert bytes(other.view) == bytes(ram.view)
    finally:
        other.close()


def _written(tmp_path, ram):
    _fill(ram)
    path = str(tmp_path / "s.pmem")
    write_store(path, ram.view, ram.host_address)
    return path


def _fresh():
    return GuestRam(0, SIZE, "target", prefault=False)


def test_flipped_byte_fails_the_checksum(tmp_path, ram):
    path = _written(tmp_path, ram)
    with open(path, "r+b") as f:
        f.seek(200)
        b = f.read(1)
        f.seek(200)
        f.write(bytes([b[0] ^ 0x40]))
    target = _fresh()
    try:
        with pytest.raises(CheckpointError, match="checksum") as info:
            read_store(path, target.view, "system.physmem.store0")
        assert info.value.section == "system.physmem.store0" and info.value.key == "filename"
    finally:
        target.close()


def test_truncated_store_is_refused(tmp_path, ram):
    path = _written(tmp_path, ram)
    os.truncate(path, os.path.getsize(path) - 100)
    target = _fresh()
    try:
        with pytest.raises(CheckpointError, match="truncated"):
            read_store(path, target.view, "s")
        os.truncate(path, 10)
        with pytest.raises(CheckpointError, match="truncated"):
            read_store(path, target.view, "s")
    finally:
        target.close()


def test_size_mismatch_is_refused(tmp_path, ram):
    path = _written(tmp_path, ram)
    small = GuestRam(0, SIZE // 2, "small", prefault=False)
    try:
        with pytest.raises(CheckpointError, match="holds 8388608 bytes") as info:
            read_store(path, small.view, "sec")
        assert info.value.key == "range_size"
    finally:
        small.close()


def test_not_a_store(tmp_path):
    path = tmp_path / "x.pmem"
    path.write_bytes(b"\x1f\x8b" + bytes(100))
    ram = _fresh()
    try:
        with pytest.raises(CheckpointError, match="not a memory store"):
            read_store(str(path), ram.view)
    finally:
        ram.close()
    assert physmem_store.MAGIC == b"SOPMEM01"
