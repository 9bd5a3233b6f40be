"""Compile the port graph below a CPU into one native model the engine's hooks drive.

`CpuMemory(cpu)` owns the CPU's `struct ms_cpu` (what the C code and memory
hooks see); `compile()` follows the CPU's icache_port and dcache_port down
through caches and crossbars to the memories, building each model's native
object once and linking them. Every RAM range must reach a memory through
models the C side knows (Cache, crossbars, MemCtrl, SimpleMemory), otherwise
compile() raises a ConfigError naming the object in the way.
"""

from __future__ import annotations

import ctypes
from typing import Any

from simobjs.errors import ConfigError, Problem
from simobjs.mem.memsys.native import Native, ffi, lib, link, period_inverse
from simobjs.sim.port import Port

FETCH_BYTES = 8  # gem5's x86 decoder asks for sizeof(MachInst) bytes per fetch
MAX_RAM_RANGES = 8


class Compiler:
    """One compile: builds (or reuses) native objects, links each model once."""

    def __init__(self) -> None:
        self._nodes: dict[int, Any] = {}
        self._visiting: set[int] = set()
        self.models: list[Any] = []

    def node_of(self, port: Port) -> Any | None:
        """The native node of what `port` is bound to (None: not modelled, or unbound)."""
        peer = port.peer
        if peer is None:
            return None
        owner = peer.owner
        build = getattr(owner, "memsys_native", None)
        if build is None:
            return None
        key = id(owner)
        if key in self._nodes:
            return self._nodes[key]
        if key in self._visiting:
            raise ConfigError(Problem(owner.name(), "the memory system loops through this object"))
        self._visiting.add(key)
        try:
            node = build(self)
        finally:
            self._visiting.discard(key)
        self._nodes[key] = node
        self.models.append(owner)
        return node

    def link(self, field: Any, port: Port) -> None:
        """Point a `struct ms_node` field at what `port` is bound to."""
        link(field, self.node_of(port))


def path_to_memory(port: Port, addr: int) -> list[Any]:
    """The models a request for `addr` goes through from `port` down to a memory."""
    from simobjs.mem.cache import Cache
    from simobjs.mem.dram import MemCtrl
    from simobjs.mem.simple_mem import SimpleMemory
    from simobjs.mem.xbar import XBar

    path: list[Any] = []
    while True:
        peer = port.peer
        if peer is None:
            where = path[-1].name() if path else port.full_name()
            raise ConfigError(
                Problem(
                    where,
                    f"no path to the memory at {addr:#x}: {port.full_name()} is not connected",
                )
            )
        owner = peer.owner
        path.append(owner)
        if isinstance(owner, MemCtrl | SimpleMemory):
            return path
        if isinstance(owner, Cache):
            port = owner.mem_side
        elif isinstance(owner, XBar):
            nxt = owner.route(addr)
            if nxt is None and owner.default.peer is not None:
                nxt = owner.default
            if nxt is None:
                raise ConfigError(Problem(owner.name(), f"no route for the memory at {addr:#x}"))
            port = nxt
        else:
            raise ConfigError(
                Problem(
                    owner.name(),
                    f"{owner.name()} ({type(owner).__name__}) is on the path to the memory at "
                    f"{addr:#x}; the compiled memory system does not model it",
                    expected="caches, crossbars, MemCtrl or SimpleMemory",
                    got=type(owner).__name__,
                )
            )


def _function_address(cfunc: Any) -> int:
    return ctypes.cast(cfunc, ctypes.c_void_p).value


class CpuMemory(Native):
    """A CPU's side of the compiled memory system: its `struct ms_cpu` and hooks."""

    ctype = "ms_cpu"
    kind = lib.MS_NONE

    def __init__(
        self,
        *,
        period: int,
        timing: bool,
        inst_rq: int,
        data_rq: int,
        line_size: int,
        inst_stalls: bool = False,
        data_stalls: bool = False,
    ) -> None:
        super().__init__()
        if line_size <= 0 or line_size & (line_size - 1):
            raise ValueError(f"the cache line size must be a power of two, got {line_size}")
        c = self.s
        c.period = period
        c.period_inv = period_inverse(period)
        c.timing = lib.MS_TIMING if timing else lib.MS_ATOMIC
        c.inst_stalls, c.data_stalls = int(inst_stalls), int(data_stalls)
        c.inst_rq, c.data_rq = inst_rq, data_rq
        c.line_size = line_size
        c.fetch_bytes = FETCH_BYTES
        c.tick_limit = 2**64 - 1
        from unicorn.unicorn_py3.unicorn import uclib

        c.vmem_translate = ffi.cast(
            "int (*)(void *, uint64_t, int, uint64_t *)", _function_address(uclib.uc_vmem_translate)
        )
        self.has_cache = False
        self.models: list[Any] = []

    # -- what the engine installs ---------------------------------------------------------
    @property
    def code_hook(self) -> int:
        return int(ffi.cast("uintptr_t", ffi.addressof(lib, "ms_code_hook")))

    @property
    def mem_hook(self) -> int:
        return int(ffi.cast("uintptr_t", ffi.addressof(lib, "ms_mem_hook")))

    @property
    def user_data(self) -> int:
        return int(ffi.cast("uintptr_t", self.s))

    def translations_changed(self) -> None:
        """Forget the instruction-fetch translations (the guest's mappings may differ)."""
        lib.ms_cpu_flush_translations(self.s)

    # -- compiling ------------------------------------------------------------------------
    def compile(self, icache_port: Port, dcache_port: Port, rams: list[Any]) -> None:
        """(Re)link this CPU to the models below its ports; check every RAM is reachable."""
        from simobjs.mem.cache import Cache

        if len(rams) > MAX_RAM_RANGES:
            raise ConfigError(
                Problem(icache_port.owner.name(), f"more than {MAX_RAM_RANGES} memory ranges")
            )
        has_cache = False
        for port in (icache_port, dcache_port):
            for ram in rams:
                path = path_to_memory(port, int(ram.start))
                has_cache |= any(isinstance(m, Cache) for m in path)
        compiler = Compiler()
        self.attach(compiler.node_of(icache_port), compiler.node_of(dcache_port), rams)
        self.has_cache = has_cache
        self.models = compiler.models

    def attach(self, ifetch: Any, data: Any, rams: list[Any]) -> None:
        """Point the CPU's ports at native nodes and tell it where RAM is (RAM alone
        goes through the compiled model: everything else is device I/O)."""
        c = self.s
        link(c.ifetch, ifetch)
        link(c.data, data)
        c.nram = len(rams)
        for i, ram in enumerate(rams):
            c.ram_start[i] = int(ram.start)
            c.ram_end[i] = int(ram.start) + int(ram.size)

    # -- a slice -----------------------------------------------------------------------------
    def begin(self, now: int, tick_limit: int) -> None:
        """A slice starts at `now`; no instruction may start at or after `tick_limit`."""
        lib.ms_cpu_begin(self.s, now, tick_limit)

    def end(self) -> int:
        """The tick at which the slice's last instruction is complete (on a clock edge)."""
        return int(lib.ms_cpu_end(self.s))

    @property
    def now(self) -> int:
        return int(self.s.now)

    def charge(self, ticks: int) -> None:
        """Add time the Python side spent on the current instruction (device I/O)."""
        self.s.now += ticks

    def last_start(self) -> int:
        return int(self.s.inst_start)
