"""Checkpoint versions and the upgraders that bring an older simobjs
checkpoint up to date when it is loaded (gem5's util/cpt_upgrader.py idea,
applied in memory on every restore; the files are left as they are).

`[root.globals] simobjs_cpt_version` holds the layout version (gem5 ignores
the key; gem5's own `version_tags` list stays gem5's). A checkpoint without
it is version 0. Each upgrader works on the parsed sections alone, so it
needs no configuration: it recognises an object's section by its keys.
"""

from __future__ import annotations

from collections.abc import Callable

from simobjs.errors import CheckpointError
from simobjs.sim.serialize import CheckpointIn, Section

GLOBALS = "root.globals"
VERSION_KEY = "simobjs_cpt_version"


def _pic_v0(sec: Section) -> None:
    """I8259: simobjs's snake_case keys -> gem5's (src/dev/x86/i8259.cc). `mode`
    stays out: the old section does not say it, and a restore takes it from the
    configuration anyway."""
    pins = sec.get_int("pin_states")
    init_step = sec.get_int("init_step")
    new = {
        "pinStates": " ".join("true" if pins >> i & 1 else "false" for i in range(8)),
        "IRR": sec["irr"],
        "ISR": sec["isr"],
        "IMR": sec["imr"],
        "vectorOffset": sec["vector_offset"],
        "cascadeMode": "false" if sec.get_bool("single") else "true",
        "cascadeBits": sec["cascade_bits"],
        "edgeTriggered": sec["edge_triggered"],
        "readIRR": sec["read_irr"],
        "expectICW4": sec["expect_icw4"],
        "initControlWord": str(init_step - 1 if init_step else 0),
        "autoEOI": sec["auto_eoi"],
        "lowestPriority": sec["lowest"],
        "rotateAutoEOI": sec["rotate_auto_eoi"],
        "poll": sec["poll"],
        "specialMask": sec["special_mask"],
        "output": sec["output"],
    }
    sec.replace_all(new)


def _uart_v0(sec: Section) -> None:
    """Uart8250: lower-case register keys and `tx_int` -> gem5's `status`, IER, LCR, MCR."""
    new = {
        "status": str(0x2 if sec.get_int("tx_int") else 0),
        "IER": sec["ier"],
        "LCR": sec["lcr"],
        "MCR": sec["mcr"],
        "rxintrwhen": "0",
        "txintrwhen": "0",
        "MSR": sec["msr"],
        "SCR": sec["scr"],
        "DLL": sec["dll"],
        "DLM": sec["dlm"],
    }
    sec.replace_all(new)


def _pit_counter_v0(sec: Section, counter: Section, base: str, cur_tick: int) -> None:
    """One I8254 counter: its own `[<pit>.counterN]` section -> "pit.counterN.*" keys."""
    latched = counter.get_ints("latched")
    when = counter.get_int("event_when")
    low = counter.get_int("write_low")
    values = {
        "initial_count": counter["initial"],
        "latched_count": str(
            latched[0] | (latched[1] << 8) if len(latched) == 2 else (latched[0] if latched else 0)
        ),
        "period": counter["initial"],
        "mode": counter["mode"],
        "output_high": counter["output"],
        "latch_on": "true" if latched else "false",
        "read_byte": str(counter.get_int("read_msb_next")),
        "write_byte": "1" if low >= 0 else "0",
        "event_tick_offset": str(when - cur_tick if when >= 0 else 0),
        "eventScheduled": "true" if when >= 0 else "false",
        "rw": counter["rw"],
        "bcd": counter["bcd"],
        "running": counter["running"],
        "loadTick": counter["start"],
        "expiries": counter["expiries"],
        "nullCount": counter["null_count"],
        "writeLow": counter["write_low"],
        "latchedBytes": counter["latched"],
        "statusLatched": counter["status_latched"],
    }
    for key, value in values.items():
        sec.set_raw(f"{base}.{key}", value)


def _lapic_v0(sec: Section) -> None:
    """X86LocalApic: `ext_int_pending`/`nmi_pending` -> gem5's pendingExtInt/pendingNmi
    (the other gem5 keys are written by the next checkpoint)."""
    nmi = sec.get_bool("nmi_pending")
    sec.replace_all(
        {
            "pendingExtInt": "true" if sec.get_bool("ext_int_pending") else "false",
            "pendingNmi": "true" if nmi else "false",
            "nmiVector": "2" if nmi else "0",
            "pendingUnmaskableInt": "true" if nmi else "false",
        }
    )


_PIC_V0 = {"irr", "isr", "imr", "vector_offset", "cascade_bits", "init_step", "pin_states"}
_UART_V0 = {"ier", "lcr", "mcr", "msr", "scr", "dll", "dlm", "tx_int"}
_PIT_COUNTER_V0 = {"mode", "rw", "initial", "start", "expiries", "event_when"}
_LAPIC_V0 = {"ext_int_pending", "nmi_pending"}


def _v0_to_v1(cp: CheckpointIn) -> None:
    """Device sections with gem5's key names (I8259, Uart8250, I8254, local APIC)."""
    cur_tick = cp.section(GLOBALS).get_int("curTick")
    for name in cp.sections():
        if not cp.has_section(name):
            continue  # a PIT counter section already folded into its PIT
        sec = cp.section(name)
        keys = set(sec.keys())
        if _PIC_V0 <= keys:
            _pic_v0(sec)
        elif keys == _UART_V0:
            _uart_v0(sec)
        elif keys == _LAPIC_V0:
            _lapic_v0(sec)
        elif all(
            cp.has_section(f"{name}.counter{i}")
            and _PIT_COUNTER_V0 <= set(cp.section(f"{name}.counter{i}").keys())
            for i in range(3)
        ):
            for i in range(3):
                counter = cp.section(f"{name}.counter{i}")
                _pit_counter_v0(sec, counter, f"pit.counter{i}", cur_tick)
                cp.remove_section(counter.name)


# (version it upgrades from, what it does, the upgrader); applied in order
UPGRADERS: list[tuple[int, str, Callable[[CheckpointIn], None]]] = [
    (0, "device sections with gem5's key names", _v0_to_v1),
]
CPT_VERSION = len(UPGRADERS)


def version_of(cp: CheckpointIn) -> int:
    g = cp.section(GLOBALS)
    return g.get_int(VERSION_KEY) if VERSION_KEY in g else 0


def upgrade(cp: CheckpointIn) -> list[str]:
    """Bring `cp` to CPT_VERSION in place; the names of the upgraders applied."""
    version = version_of(cp)
    if version > CPT_VERSION:
        raise CheckpointError(
            f"checkpoint layout version {version} is newer than this simobjs "
            f"understands ({CPT_VERSION}): restore it with a newer simobjs",
            GLOBALS,
            VERSION_KEY,
        )
    applied = []
    for from_version, what, func in UPGRADERS:
        if from_version >= version:
            func(cp)
            applied.append(what)
    cp.section(GLOBALS).set_raw(VERSION_KEY, str(CPT_VERSION))
    return applied
