"""Reference engine speed: exact counting through the engine against a bare Unicorn
count-mode loop over the same compute kernel, in the same run. Prints MIPS of
both and the ratio.

    python bench/reference_cpu.py [--quick]

Target: engine/bare >= 0.8. The engine runs in slices (`--slice`, as the CPU
model does between events); the bare loop is one `emu_start(count=N)`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from unicorn import UC_ARCH_X86, UC_MODE_64, UC_PROT_ALL, Uc

from simobjs.cpu.reference.engine import ReferenceEngine
from simobjs.guest.snippets import CODE_AT, assemble, long_mode_state, write_tables
from simobjs.mem.guest_ram import GuestRam

RAM = 4 << 20
STACK = RAM - 0x1000
# xorshift64 plus a table read-modify-write: 12 instructions an iteration, never ends
KERNEL = """
    mov $0x9E3779B97F4A7C15, %rax
    mov $0x100000, %rdi
1:  mov %rax, %rdx
    shl $13, %rdx
    xor %rdx, %rax
    mov %rax, %rdx
    shr $7, %rdx
    xor %rdx, %rax
    mov %rax, %rdx
    shl $17, %rdx
    xor %rdx, %rax
    movzbl %al, %ecx
    addq %rax, (%rdi, %rcx, 8)
    jmp 1b
"""


def make_ram() -> GuestRam:
    ram = GuestRam(0, RAM, name="bench-ram")
    write_tables(ram, STACK)
    ram.write(CODE_AT, assemble(KERNEL))
    return ram


def engine_run(n: int, slice_: int) -> float:
    ram = make_ram()
    eng = ReferenceEngine([ram])
    eng.load_state(long_mode_state(0, CODE_AT, STACK))
    eng.run(100_000)  # warm-up: first translations
    done = 0
    t0 = time.perf_counter()
    while done < n:
        stop = eng.run(min(slice_, n - done))
        done += stop.instructions
    elapsed = time.perf_counter() - t0
    eng.close()
    ram.close()
    return n / elapsed / 1e6


def bare_run(n: int) -> float:
    """Plain Unicorn in count mode over the same memory and state (set by the engine)."""
    ram = make_ram()
    eng = ReferenceEngine([ram])
    eng.load_state(long_mode_state(0, CODE_AT, STACK))
    eng.close()  # keeps the state recipe only; the bare Uc below starts its own
    uc = Uc(UC_ARCH_X86, UC_MODE_64)
    uc.mem_map_ptr(0, RAM, UC_PROT_ALL, ram.host_address)
    _long_mode(uc)
    uc.emu_start(CODE_AT, 0, 0, 100_000)
    rip = uc.reg_read(_rip())
    t0 = time.perf_counter()
    uc.emu_start(rip, 0, 0, n)
    elapsed = time.perf_counter() - t0
    del uc
    ram.close()
    return n / elapsed / 1e6


def _rip() -> int:
    from unicorn import x86_const as X

    return X.UC_X86_REG_RIP


def _long_mode(uc: Uc) -> None:
    from unicorn import x86_const as X

    from simobjs.guest.snippets import GDT_AT, PML4_AT

    uc.reg_write(X.UC_X86_REG_GDTR, (0, GDT_AT, 7 * 8 - 1, 0))
    uc.reg_write(X.UC_X86_REG_CR4, 0x620)
    uc.reg_write(X.UC_X86_REG_CR3, PML4_AT)
    uc.msr_write(0xC0000080, 0xD01)
    uc.reg_write(X.UC_X86_REG_CR0, 0x80010033)
    uc.reg_write(X.UC_X86_REG_RSP, STACK)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="5 M instructions a sample, not 30 M")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--slice", type=int, default=1_000_000, help="instructions per engine run()")
    args = p.parse_args(argv)
    n = 5_000_000 if args.quick else 30_000_000
    eng, bare = [], []
    for _ in range(args.repeats):  # interleaved, so host noise hits both
        bare.append(bare_run(n))
        eng.append(engine_run(n, args.slice))
    e, b = statistics.median(eng), statistics.median(bare)
    print(f"compute kernel, {n / 1e6:.0f} M instructions, median of {args.repeats}")
    print(f"  bare Unicorn, count mode (one emu_start)      {b:8.1f} MIPS")
    print(f"  reference engine, exact count, {args.slice:>9,}/run {e:8.1f} MIPS")
    print(f"  ratio engine/bare                              {e / b:8.2f}  (target >= 0.8)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
