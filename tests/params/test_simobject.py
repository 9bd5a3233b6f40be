"""The SimObject declaration base: defaults, overrides, children, naming, errors."""

import pytest

from simobjs.errors import ConfigError
from simobjs.params import NULL, Param, Parent, SimObject, VectorParam
from simobjs.params.simobject import get_root, reset_for_tests


class Widget(SimObject):
    type = "Widget"
    _model = "tests:Widget"
    size = Param.Unsigned(4, "size")
    name_tag = Param.String("w", "tag")
    ratio = Param.Float(1.0, "ratio")
    peer = Param.Widget(NULL, "another widget")


class BigWidget(Widget):
    size = 64


class Holder(SimObject):
    type = "Holder"
    _model = "tests:Holder"
    widget = Param.Widget(Widget(size=8), "class-level instance")
    extra = Widget(size=9)
    items = VectorParam.Widget([], "widgets")


class TopRoot(SimObject):
    type = "Root"
    _model = "tests:Root"
    _is_root = True
    eventq_index = 0


def test_defaults_and_overrides():
    w = Widget()
    assert w.size == 4 and isinstance(w.ratio, float)
    assert BigWidget().size == 64
    w2 = Widget(size="0x10", ratio="2.5")
    assert w2.size == 16 and w2.ratio == 2.5
    assert Widget().size == 4


def test_unknown_param_and_bad_value():
    w = Widget()
    with pytest.raises(AttributeError, match="Class Widget has no parameter sise"):
        w.sise = 3
    with pytest.raises(ConfigError) as e:
        w.size = -1
    assert isinstance(e.value, TypeError)
    assert "Error setting param Widget.size to -1" in str(e.value)
    assert e.value.problems[0].param == "size"


def test_unknown_type_fails_at_class_creation():
    with pytest.raises(
        ConfigError, match=r"unknown param type 'Unsigend'.*Did you mean Unsigned"
    ) as e:

        class Broken(SimObject):
            x = Param.Unsigend(1, "typo")

    assert "Known types:" in str(e.value)


def test_self_reference_in_class_body():
    w, v = Widget(), Widget()
    w.peer = v
    assert v.path() == "<orphan Widget>.peer"


def test_multiple_inheritance_rejected_but_mixins_fine():
    class Other(SimObject):
        type = "Other"

    with pytest.raises(TypeError, match="SimObjects do not support multiple inheritance"):

        class Both(Widget, Other):
            pass

    class Mixin:
        def hello(self):
            return "hi"

    class Mixed(Widget, Mixin):
        pass

    assert Mixed().hello() == "hi"


def test_class_level_instances_are_cloned():
    a, b = Holder(), Holder()
    assert a.widget is not b.widget and a.widget.size == 8
    assert a.extra is not b.extra and a.extra.size == 9
    assert a.extra.path() == "<orphan Holder>.extra"
    a.widget.size = 1
    assert b.widget.size == 8


def test_cannot_set_simobject_after_instantiation():
    class Fresh(SimObject):
        type = "Fresh"
        w = Param.Widget(NULL, "w")

    Fresh()
    with pytest.raises(RuntimeError) as e:
        Fresh.w = Widget()
    assert str(e.value) == (
        "cannot set SimObject parameter 'w' after\n    class Fresh has been instantiated or subclassed"
    )
    Fresh.w = NULL  # not a SimObject: still allowed


def test_vector_child_naming():
    for n, names in [
        (1, ["cpu"]),
        (2, ["cpu0", "cpu1"]),
        (10, [f"cpu{i}" for i in range(10)]),
        (11, [f"cpu{i:02d}" for i in range(11)]),
    ]:
        h = Holder()
        h.cpu = [Widget() for _ in range(n)]
        assert [w.get_name() for w in h.cpu] == names


def test_paths_root_and_indexing():
    root = TopRoot()
    root.system = Holder()
    root.system.cpu = Widget()
    assert root.path() == "root"
    assert root.system.path() == "system"
    assert root.system.cpu.path() == "system.cpu"
    assert root.system.cpu[0] is root.system.cpu
    with pytest.raises(IndexError):
        root.system.cpu[1]
    assert get_root() is root


def test_root_singleton():
    TopRoot()
    with pytest.raises(ConfigError, match=r"Attempt to allocate multiple instances of Root\."):
        TopRoot()
    reset_for_tests()
    TopRoot()


def test_descendants_preorder_sorted():
    root = TopRoot()
    root.b = Holder()
    root.a = Widget()
    root.b.z = Widget()
    root.b.y = [Widget(), Widget()]
    paths = [o.path() for o in root.descendants()]
    assert paths == ["root", "a", "b", "b.extra", "b.y0", "b.y1", "b.z"]


def test_implicit_child_with_parent_is_not_moved(capsys):
    h1, h2 = Holder(), Holder()
    w = Widget()
    h1.w = w
    h2.w = w
    assert w.path() == "<orphan Holder>.w" and w._parent is h1
    assert "already has parent" in capsys.readouterr().err


def test_clone_with_call():
    w = Widget(size=3)
    c = w(ratio=0.5)
    assert c is not w and c.size == 3 and c.ratio == 0.5


def test_proxy_default_is_shared_safely():
    class P(SimObject):
        type = "P"
        size = Param.Unsigned(Parent.size, "from parent")

    a, b = P(), P()
    assert a.size is b.size
    assert str(a.size) == "parent.size"
