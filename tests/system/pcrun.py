"""Run example guests on the demo's PC (simobjs.demo.config) and collect what
the end-to-end tests compare: the guest's output, the exit causes, a hash of
guest RAM at the end, the stats, and how many CPU switches happened."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import m5
from simobjs.config import build as config_build
from simobjs.demo.config import build_system
from simobjs.guest import build

EXAMPLES = build.example_names()
# Guests whose memory at the end does not depend on timing (the timer guest's
# tick counter and interrupt frames do).
DETERMINISTIC = [n for n in EXAMPLES if n not in ("timer", "apic_timer", "smp")]
RANDOM_SWITCH = "random switch"
DRAIN = "drain now"


@dataclass
class Run:
    output: str
    causes: list[str]
    code: int
    ticks: int
    mem_hash: str
    switches: int = 0
    drains: int = 0
    checkpoints: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    extra: Any = None


GUESTS = Path(__file__).resolve().parent / "guests"


def guest(name: str) -> str:
    """The ELF of example `name`, of test guest `guests/<name>.c`, or `name` if it is a path."""
    if name in EXAMPLES:
        return str(build.example_guest(name))
    source = GUESTS / f"{name}.c"
    if source.is_file():
        return str(build.build_guest([source], f"test-{name}"))
    return name


def expected(name: str) -> str:
    return build.expected_output(name)


def ram_hash(sim) -> str:
    h = hashlib.sha256()
    for ram in sim.model("system").rams():
        h.update(ram.read(ram.start, ram.size))
    return h.hexdigest()


def run(
    name: str,
    cpu: str = "kvm",
    switch_to: str | None = None,
    outdir: str | None = None,
    random_switch_every: int = 0,
    seed: int = 0,
    drain_every: int = 0,
    checkpoint_at: str | None = None,
    restore: str | None = None,
    configure=None,
    prepare=None,
    between=None,
    at_end=None,
    caches: bool = False,
    dram: bool = False,
    num_cpus: int = 1,
) -> Run:
    """Run guest `name` (see guest()) to its end on `cpu`.

    switch_to: a switched-out CPU of that kind; the guest's m5_switch_cpu() points
    switch to it and back. random_switch_every: also switch at random simulated
    times, each at most that many ticks after the last stop. drain_every: drain the
    whole system every that many ticks (m5.drain(), then go on). checkpoint_at: a
    directory pattern for m5.checkpoint at the guest's checkpoint exits.
    restore: a checkpoint directory to start from. configure(root) may change the
    declarations; prepare(sim) runs before the first simulate(); between(sim, event) runs after every simulate() that does not end;
    at_end(sim) runs before the simulation is closed, its result goes to Run.extra.
    caches, dram: learning_gem5's L1I/L1D/L2 and a DDR3 MemCtrl (simobjs.demo.config).
    num_cpus: that many CPUs (system.cpu0, ...); a switch moves all of them together.
    """
    root = build_system(
        guest(name), cpu=cpu, switch_to=switch_to, caches=caches, dram=dram, num_cpus=num_cpus
    )
    root.system.terminal.outfile = "none"
    if configure is not None:
        configure(root)
    sim = config_build.instantiate(root, ckpt_dir=restore, outdir=outdir)
    if prepare is not None:
        prepare(sim)
    system = root.system
    cpus = list(system.cpu) if num_cpus > 1 else [system.cpu]
    running, spare = cpus, (list(system.switch_cpus) if switch_to else None)
    rnd = random.Random(seed)
    result = Run("", [], 0, 0, "")

    def arm() -> None:
        if random_switch_every:
            delay = rnd.randrange(1, random_switch_every + 1)
            sim.scheduleTickExitAbsolute(sim.curTick() + delay, RANDOM_SWITCH)

    arm()
    if drain_every:
        sim.scheduleTickExitFromCurrent(drain_every, DRAIN)
    try:
        while True:
            event = sim.simulate()
            cause = event.getCause()
            result.causes.append(cause)
            if cause in ("switchcpu", RANDOM_SWITCH):
                if spare is not None:
                    m5.switchCpus(system, list(zip(running, spare, strict=True)), verbose=False)
                    running, spare = spare, running
                    result.switches += 1
                if cause == RANDOM_SWITCH:
                    arm()
            elif cause == DRAIN:
                sim.drain()
                result.drains += 1
                sim.scheduleTickExitFromCurrent(drain_every, DRAIN)
            elif cause == "checkpoint":
                if checkpoint_at is not None:
                    result.checkpoints.append(sim.checkpoint(checkpoint_at))
            else:
                result.code = event.getCode()
                break
            if between is not None:
                between(sim, event)
        for ev in list(sim.tick_exits):
            if ev.scheduled():
                sim.eventq.deschedule(ev)
        result.output = sim.model("system.terminal").text()
        result.ticks = sim.curTick()
        result.mem_hash = ram_hash(sim)
        result.stats = stat_values(sim)
        if at_end is not None:
            result.extra = at_end(sim)
        sim.finalize()  # the exit-path stats dump, as the command does
    finally:
        sim.close()
    return result


def symbol(elf: str, name: str) -> int:
    """The address of symbol `name` in an ELF file."""
    from elftools.elf.elffile import ELFFile

    with open(elf, "rb") as f:
        (sym,) = ELFFile(f).get_section_by_name(".symtab").get_symbol_by_name(name)
        return sym["st_value"]


def read_u64(sim, addr: int) -> int:
    ram = sim.model("system").guest_ram_at(addr, 8)
    return int.from_bytes(ram.read(addr, 8), "little")


def stat_values(sim) -> dict[str, Any]:
    """Every stat's values by full name (what stats.txt would print now)."""
    from simobjs.sim import stats

    sim.stats.root.prepare()
    out: dict[str, Any] = {}
    for owner in sim.stats.owners():
        for stat in stats.stats_of(owner):
            values = stat.values()
            out[stat.fullName()] = values[0] if len(values) == 1 else values
    return out
