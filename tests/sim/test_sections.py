"""Checkpoint sections: gem5's value forms, typed reads naming the key at fault."""

import pytest

from simobjs.errors import CheckpointError
from simobjs.sim.serialize import CheckpointIn, CheckpointOut, Section


def test_values_are_written_gem5s_way():
    s = Section("system.cpu")
    s["n"] = 42
    s["flag"] = True
    s["off"] = False
    s["f"] = 0.1
    s["list"] = [1, 2, 3]
    s["bytes"] = b"\x00\x01\xff"
    s["text"] = "x86"
    assert dict(s.items()) == {
        "n": "42",
        "flag": "true",
        "off": "false",
        "f": "0.1",
        "list": "1 2 3",
        "bytes": "0 1 255",
        "text": "x86",
    }
    assert s.get_int("n") == 42 and s.get_bool("flag") is True and s.get_float("f") == 0.1
    assert s.get_ints("list") == [1, 2, 3] and s.get_bytes("bytes") == b"\x00\x01\xff"


def test_typed_reads_name_section_and_key():
    s = Section("system.dev", {"n": "abc", "b": "maybe", "v": "1 2"})
    with pytest.raises(CheckpointError) as info:
        s.get_int("missing")
    assert (info.value.section, info.value.key) == ("system.dev", "missing")
    assert "[system.dev] missing" in str(info.value)
    with pytest.raises(CheckpointError, match=r"\[system.dev\] n: expected an integer"):
        s.get_int("n")
    with pytest.raises(CheckpointError, match="true or false"):
        s.get_bool("b")
    with pytest.raises(CheckpointError, match="expected 3 values, got 2"):
        s.get_ints("v", 3)
    with pytest.raises(CheckpointError, match="newline"):
        s["bad"] = "a\nb"


def test_m5_cpt_round_trip_and_layout():
    out = CheckpointOut("/nowhere")
    out.section("system.cpu")["instCnt"] = 7
    xc = out.section("system.cpu").subsection("xc.0")
    xc["_status"] = 0
    out.section("root")["FullSystem"] = False
    text = out.text(now=0)
    assert text.startswith("## checkpoint generated: ")
    assert (
        "\n[system.cpu]\ninstCnt=7\n\n[system.cpu.xc.0]\n_status=0\n\n[root]\nFullSystem=false\n"
        in text
    )
    cp = CheckpointIn.parse("/nowhere", "ignored=1\n" + text)
    assert cp.sections() == ["system.cpu", "system.cpu.xc.0", "root"]
    assert cp.section("system.cpu").subsection("xc.0").get_int("_status") == 0
    assert cp.section("root").dir == "/nowhere"
    with pytest.raises(CheckpointError, match=r"\[system.gone\]: missing section"):
        cp.section("system.gone")
