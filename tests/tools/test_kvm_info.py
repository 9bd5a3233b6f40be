import json

import pytest

from simobjs.guest.snippets import assemble
from simobjs.tools import kvm_info as info


def test_embedded_guests_match_their_assembly():
    assert info.COUNT_LOOP == assemble("1: dec %rcx\n jnz 1b\n out %al, $0x10")
    assert info.EXIT_LOOP == assemble("1: out %al, $0x10\n jmp 1b")
    assert info.SPIN == assemble("1: jmp 1b")


def test_unavailable_device_is_reported_not_raised(tmp_path):
    d = info.collect_info(measure=False, path=str(tmp_path / "nokvm"))
    assert d["available"] is False
    assert "modprobe" in d["remedy"]
    text = info.format_info(d)
    assert "unavailable" in text and "remedy" in text


@pytest.mark.kvm
def test_collect_info_without_measuring():
    d = info.collect_info(measure=False)
    json.dumps(d)
    assert d["api_version"] == 12
    assert set(d["capabilities"]) == set(info.USED_CAPABILITIES)
    assert isinstance(d["pmu"]["available"], bool) and d["pmu"]["reason"]
    assert "guest_speed" not in d
    assert "Capabilities:" in info.format_info(d)


@pytest.mark.kvm
def test_collect_info_measures_cpl_speed_and_exits():
    d = info.collect_info(measure=True)
    g = d["guest_speed"]
    assert g["cpl3_mips"] > 0 and g["cpl0_mips"] > 0
    assert g["cpl0_emulated"] == (g["cpl3_over_cpl0"] > 20)
    if d["module"] == "kvm_pvm":
        assert g["cpl0_emulated"] and "ring 3" in g["verdict"]
    assert d["exit_cost_us"]["cpl3_pio"] > 0
    assert d["timer"]["slice_1ms_overshoot_us"] > -1000
    text = info.format_info(d)
    assert g["verdict"] in text


@pytest.mark.kvm
def test_main_prints_json(capsys):
    assert info.main(["--json", "--no-measure"]) == 0
    assert json.loads(capsys.readouterr().out)["available"] is True
