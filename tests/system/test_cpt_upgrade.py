"""A checkpoint written by simobjs before checkpoint versions (data/cpt_unversioned_timer:
the timer guest on the reference CPU, stopped with the PIT's interrupt pending at the
8259 and the local APIC) is upgraded on load and restores into either CPU."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from pcrun import guest, run
from test_checkpoints import restore_in_fresh_process

from simobjs.config import build as config_build
from simobjs.demo.config import build_system
from simobjs.sim import checkpoint, cpt_upgrade

OLD = Path(__file__).resolve().parent / "data" / "cpt_unversioned_timer"
RECORDED = json.loads((OLD / "recorded.json").read_text())


@pytest.fixture
def old_cpt(tmp_path) -> str:
    """A copy, so nothing can touch the recorded files."""
    dst = tmp_path / "cpt.old"
    shutil.copytree(OLD, dst, ignore=shutil.ignore_patterns("recorded.json"))
    return str(dst)


def test_the_recorded_checkpoint_is_unversioned_and_upgrades_in_memory(old_cpt):
    cp = checkpoint.load(old_cpt)
    assert cpt_upgrade.version_of(cp) == 0 and cp.has_section("system.pit.counter0")
    assert cpt_upgrade.upgrade(cp) == ["device sections with gem5's key names"]
    assert cpt_upgrade.version_of(cp) == cpt_upgrade.CPT_VERSION
    pic = cp.section("system.pic")
    assert (pic["IRR"], pic["IMR"], pic["vectorOffset"], pic["cascadeMode"]) == (
        "1",
        "250",
        "32",
        "true",
    )
    assert cp.section("system.uart")["LCR"] == "3"
    pit = cp.section("system.pit")
    assert not cp.has_section("system.pit.counter0")
    assert pit["pit.counter0.initial_count"] == "1193" and pit["pit.counter0.mode"] == "2"
    assert pit.get_bool("pit.counter0.eventScheduled")
    assert cp.section("system.cpu.interrupts").get_bool("pendingExtInt")
    assert cpt_upgrade.upgrade(cp) == []  # already current
    assert "simobjs_cpt_version" not in (OLD / "m5.cpt").read_text()  # files untouched


def test_an_old_checkpoint_restores_into_the_reference_cpu(old_cpt, capsys):
    restored = run(RECORDED["guest"], cpu="reference", restore=old_cpt)
    assert "has simobjs layout 0, upgraded on load" in capsys.readouterr().out
    assert restored.output == RECORDED["remaining_output"]
    assert (restored.causes[-1], restored.code) == ("m5_exit instruction encountered", 0)
    assert restored.ticks == RECORDED["end_tick_reference"]  # exactly where the old code ended


@pytest.mark.kvm
def test_an_old_checkpoint_restores_into_the_kvm_cpu(old_cpt, tmp_path):
    restored = restore_in_fresh_process(old_cpt, "kvm", tmp_path / "kvm")
    assert restored["output"] == RECORDED["remaining_output"]
    assert (restored["cause"], restored["code"]) == ("m5_exit instruction encountered", 0)


def _sections_now(directory: str) -> dict[str, dict[str, str]]:
    cp = checkpoint.load(directory)
    return {name: dict(cp.section(name).items()) for name in cp.sections()}


def test_the_upgrade_gives_what_the_current_code_writes(old_cpt, tmp_path):
    """Run the same guest to the same tick now and checkpoint it: every device
    section equals the upgraded old one (needs the same guest binary)."""
    elf = guest(RECORDED["guest"])
    if hashlib.sha256(Path(elf).read_bytes()).hexdigest() != RECORDED["guest_sha256"]:
        elf = str(OLD / "timer.elf")  # the SDK changed since: the guest that was recorded
    assert hashlib.sha256(Path(elf).read_bytes()).hexdigest() == RECORDED["guest_sha256"]
    root = build_system(elf, cpu="reference")
    root.system.terminal.outfile = "none"
    sim = config_build.instantiate(root, outdir=str(tmp_path / "out"))
    try:
        sim.scheduleTickExitAbsolute(RECORDED["tick"], "checkpoint here")
        assert sim.simulate().getCause() == "checkpoint here"
        new_dir = sim.checkpoint(str(tmp_path / "cpt.new"))
    finally:
        sim.close()
    new = _sections_now(new_dir)
    cp = checkpoint.load(old_cpt)
    cpt_upgrade.upgrade(cp)
    for name in ("system.pic", "system.pic2", "system.uart", "system.pit"):
        mode = new[name].pop("mode", None)  # an old I8259 section does not say its mode
        assert mode == {"system.pic": "0", "system.pic2": "1"}.get(name)
        assert dict(cp.section(name).items()) == new[name], name
    apic = cp.section("system.cpu.interrupts")
    for key in apic.keys():
        assert apic[key] == new["system.cpu.interrupts"][key], key
    assert new["root.globals"]["simobjs_cpt_version"] == str(cpt_upgrade.CPT_VERSION)
