"""How the compiled memory system keeps time for the reference engine: real assembled
code on real Unicorn, a SimpleMemory node with a known latency below both ports."""

from __future__ import annotations

import pytest

from simobjs.cpu.reference.engine import ReferenceEngine
from simobjs.guest.snippets import CODE_AT, assemble, long_mode_state, write_tables
from simobjs.mem.guest_ram import GuestRam
from simobjs.mem.memsys.compile import CpuMemory
from simobjs.mem.memsys.native import NativeSimpleMemory

RAM = 4 << 20
STACK = RAM - 0x1000
DATA_AT = 0x200000
PERIOD = 1000
LAT = 7 * PERIOD  # the memory's latency: a whole number of CPU cycles
NREQ, INST, DATA = 5, 3, 4


class Rig:
    def __init__(self, source: str, timing: bool = True, latency: int = LAT, io=None, **stalls):
        self.ram = GuestRam(0, RAM, name="timing-test")
        write_tables(self.ram, STACK)
        self.ram.write(CODE_AT, assemble(source))
        self.mem = NativeSimpleMemory(latency=latency, ticks_per_byte=0.0, nreq=NREQ)
        self.cpu = CpuMemory(
            period=PERIOD, timing=timing, inst_rq=INST, data_rq=DATA, line_size=64, **stalls
        )
        self.cpu.attach(self.mem.node, self.mem.node, [self.ram])
        self.engine = ReferenceEngine([self.ram], io_read=io, instrument=self.cpu)
        st = long_mode_state(0, CODE_AT, STACK)
        st.set_reg("rdi", DATA_AT)
        self.engine.load_state(st)

    def run(self, n: int, start: int = 0, limit: int = 2**64 - 1) -> tuple[int, int]:
        """(instructions, end tick) of one slice."""
        self.cpu.begin(start, limit)
        stop = self.engine.run(n)
        return stop.instructions, self.cpu.end()

    def reads(self, req: int) -> int:
        return self.mem.s.mem.num_reads[req]

    def close(self) -> None:
        self.engine.close()
        self.ram.close()


@pytest.fixture
def rig():
    made = []

    def make(source: str, **kw) -> Rig:
        r = Rig(source, **kw)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def test_each_instruction_fetches_its_8_byte_chunks_and_waits(rig):
    r = rig(".rept 10\nnop\n.endr\nhlt")
    n, end = r.run(10)
    assert (n, end) == (10, 10 * LAT)  # one-byte nops: one fetch each
    assert r.reads(INST) == 10 and r.mem.s.mem.bytes_inst_read[INST] == 80


def test_an_instruction_across_a_chunk_boundary_fetches_twice(rig):
    # 7 one-byte nops, then a 5-byte mov spanning the chunk boundary at CODE_AT + 8
    r = rig(".rept 7\nnop\n.endr\nmov $1, %eax\nhlt")
    n, end = r.run(8)
    assert n == 8 and r.reads(INST) == 9 and end == 9 * LAT


def test_a_load_and_a_store_each_wait_for_the_data_port(rig):
    r = rig("mov (%rdi), %rax\nmov %rax, 8(%rdi)\nhlt")
    n, end = r.run(2)
    assert n == 2 and end == 4 * LAT
    mem = r.mem.s.mem
    assert (mem.num_reads[DATA], mem.num_writes[DATA]) == (1, 1)


def test_latencies_round_up_to_the_cpu_clock(rig):
    r = rig("nop\nnop\nhlt", latency=LAT + 1)
    assert r.run(2) == (2, 2 * (LAT + PERIOD))


def test_a_slice_stops_before_an_instruction_that_would_start_at_its_limit(rig):
    r = rig(".rept 10\nnop\n.endr\nhlt")
    n, end = r.run(100, start=0, limit=3 * LAT + 1)
    assert (n, end) == (4, 4 * LAT)  # started at 0, 7000, 14000 and 21000
    n, end = r.run(100, start=end, limit=end + LAT)
    assert (n, end) == (1, 5 * LAT)


def test_rep_iterations_are_not_fetched_again(rig):
    r = rig("mov %rdi, %rsi\nlea 64(%rdi), %rdi\nmov $4, %ecx\nrep movsb\nhlt")
    n, _ = r.run(7)  # three setup instructions, four iterations counted one each
    assert n == 7
    assert r.reads(INST) == 5  # mov, lea, mov (across a chunk: two), and rep movsb once
    mem = r.mem.s.mem
    assert (mem.num_reads[DATA], mem.num_writes[DATA]) == (4, 4)


def test_atomic_mode_takes_a_cycle_an_instruction_and_stalls_only_when_asked(rig):
    r = rig("mov (%rdi), %rax\nnop\nhlt", timing=False)
    assert r.run(2) == (2, 2 * PERIOD)
    assert r.reads(INST) == 2 and r.reads(DATA) == 1  # the caches still see everything
    r = rig("mov (%rdi), %rax\nnop\nhlt", timing=False, inst_stalls=True, data_stalls=True)
    assert r.run(2) == (2, 2 * PERIOD + 3 * LAT)


def test_accesses_outside_ram_are_left_to_the_devices(rig):
    seen = []
    r = rig("mov $0xE0000000, %esi\nmov (%rsi), %al\nhlt", io=lambda a, n: seen.append(a) or 0)
    n, end = r.run(2)
    assert seen == [0xE0000000]
    assert r.reads(DATA) == 0 and end == 2 * LAT  # the fetches only
