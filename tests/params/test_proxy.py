"""Proxies: Parent.x, Self.x, .any, .all, chaining, arithmetic, errors."""

import pytest

from simobjs.config import prepare
from simobjs.errors import ConfigError
from simobjs.params import NULL, Param, Parent, Self, SimObject, VectorParam


class PRoot(SimObject):
    type = "Root"
    _model = "tests:Root"
    _is_root = True
    eventq_index = 0
    freq = Param.Unsigned(7, "a number")


class Box(SimObject):
    type = "Box"
    _model = "tests:Box"
    freq = Param.Unsigned(Parent.freq, "inherited")
    double = Param.Unsigned(Self.freq * 2, "twice")
    half = Param.Float(Self.freq / 2, "half")
    floor = Param.Unsigned(Self.freq // 2, "floor half")


class Leaf(SimObject):
    type = "Leaf"
    _model = "tests:Leaf"


class Finder(SimObject):
    type = "Finder"
    _model = "tests:Finder"
    box = Param.Box(Parent.any, "nearest box")


class Collector(SimObject):
    type = "Collector"
    _model = "tests:Collector"
    leaves = VectorParam.Leaf(Self.all, "every leaf below")
    first_freq = Param.Unsigned(Self.boxes[0].freq, "chained")


def test_parent_self_and_arithmetic():
    root = PRoot(freq=10)
    root.box = Box()
    root.box.inner = Box(freq=3)
    prepare(root)
    fp = root.box.frozen_params()
    assert (fp["freq"], fp["double"], fp["half"], fp["floor"]) == (10, 20, 5.0, 5)
    assert root.box.inner.frozen_params()["double"] == 6


def test_any_finds_parent_and_child():
    root = PRoot()
    root.box = Box()
    root.box.finder = Finder()
    root.other = Finder()
    root.other.b = Box()
    root.deep = Leaf()
    root.deep.deeper = Leaf()
    root.deep.deeper.f = Finder()
    prepare(root)
    assert root.box.finder.box is root.box
    # the search starts at the parent, so a Finder's own child box is not seen
    assert root.other.box is root.box
    assert root.deep.deeper.f.box is root.box


def test_any_matched_more_than_one():
    root = PRoot()
    root.f = Finder()
    root.b1 = Box()
    root.b2 = Box()
    with pytest.raises(ConfigError, match=r"parent\.any matched more than one: b1 and b2") as e:
        prepare(root)
    assert any(p.path == "root" or p.path == "f" for p in e.value.problems)


def test_all_and_chaining():
    root = PRoot(freq=4)
    root.c = Collector()
    root.c.boxes = [Box(), Box()]
    root.c.boxes[1].leaf = Leaf()
    root.c.a = Leaf()
    prepare(root)
    assert [leaf.path() for leaf in root.c.leaves] == ["c.a", "c.boxes1.leaf"]
    assert root.c.frozen_params()["first_freq"] == 4
    assert [leaf.path() for leaf in root.c.frozen_params()["leaves"]] == ["c.a", "c.boxes1.leaf"]


def test_unresolvable_proxy_message():
    root = PRoot()
    root.f = Finder()
    with pytest.raises(ConfigError) as e:
        prepare(root)
    assert "Can't resolve proxy 'any' of type 'Box' from 'f'" in str(e.value)


def test_all_unresolved_reported_together():
    class NeedsX(SimObject):
        type = "NeedsX"
        _model = "tests:NeedsX"
        x = Param.Unsigned(Parent.nothing_here, "missing")

    root = PRoot()
    root.a = NeedsX()
    root.b = NeedsX()
    with pytest.raises(ConfigError) as e:
        prepare(root)
    msgs = [str(p) for p in e.value.problems]
    # gem5's words, then what to do about it
    assert msgs == [
        f"Can't resolve proxy 'nothing_here' of type 'Unsigned' from '{name}' (param x: "
        f"nothing in {name} or its parents matches; set the param or add what it refers to)"
        for name in ("a", "b")
    ]


def test_proxy_cycle_is_an_error():
    class Loop(SimObject):
        type = "Loop"
        _model = "tests:Loop"
        a = Param.Unsigned(Self.b, "a")
        b = Param.Unsigned(Self.a, "b")

    root = PRoot()
    root.loop = Loop()
    with pytest.raises(ConfigError, match="cycle"):
        prepare(root)


def test_proxy_wrong_type_result():
    class WantsBox(SimObject):
        type = "WantsBox"
        _model = "tests:WantsBox"
        b = Param.Box(Parent.thing, "a box")

    root = PRoot()
    root.thing = Leaf()
    root.w = WantsBox()
    with pytest.raises(ConfigError, match="expected a Box object, got Leaf"):
        prepare(root)


def test_proxy_arithmetic_rejects_non_numbers():
    with pytest.raises(TypeError, match="Proxy multiplier must be a numerical value"):
        Parent.x * "2"
    assert str(Parent.x.y[2]) == "parent.x.y[2]"
    assert str(Self.any) == "self.any"
    assert NULL.ini_str() == "Null"
