"""Random values and random wiring thrown at the declaration layer: the only
exception that may escape is ConfigError, and each problem names a path."""

import math
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simobjs.base import ticks
from simobjs.config import config_ini, config_json, prepare
from simobjs.errors import ConfigError
from simobjs.objects import Root, SrcClockDomain, System, VoltageDomain, concrete
from simobjs.params import NULL, Parent, Self
from simobjs.params.simobject import reset_for_tests

CLASSES = sorted(n for n in concrete() if n != "Root")
NAMES = st.sampled_from(
    ["a", "b", "cpu", "mem", "x", "clk_domain", "system", "range", "port", "pio"]
)

scalars = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=8),
    st.sampled_from(
        [
            "1GHz",
            "100ns",
            "5t",
            "0x3f8",
            "512MB",
            "inf s",
            "1e300s",
            "0Hz",
            "atomic",
            "file",
            "true",
            "0:4096",
            "-5",
            "1.5V",
            "12.8GiB/s",
            "stdout",
            "I8259Master",
            "nan",
        ]
    ),
)


def proxies():
    return st.one_of(
        st.builds(lambda n: getattr(Parent, n), NAMES),
        st.builds(lambda n: getattr(Self, n), NAMES),
        st.just(Parent.any),
        st.just(Self.all),
        st.builds(lambda n, k: getattr(Parent, n) * k, NAMES, st.sampled_from([0, 2, 0.5])),
        st.builds(lambda n, k: getattr(Self, n) // k, NAMES, st.sampled_from([0, 3])),
    )


# An action: (kind, object index, name index, value index, payload)
actions = st.lists(
    st.tuples(
        st.sampled_from(["param", "child", "port", "vector_port"]),
        st.integers(0, 50),
        st.integers(0, 50),
        st.integers(0, 50),
        st.one_of(scalars, st.lists(scalars, max_size=3), proxies(), st.just(NULL)),
    ),
    max_size=25,
)


def check(err: ConfigError) -> None:
    assert err.problems
    for p in err.problems:
        assert p.path, p


def attempt(fn, *args) -> None:
    try:
        fn(*args)
    except ConfigError as e:
        check(e)


def connect_indexed(obj, a, other, b, index) -> None:
    getattr(obj, a)[index] = getattr(other, b)


def apply(act, objs) -> None:
    kind, oi, ni, vi, payload = act
    obj = objs[oi % len(objs)]
    other = objs[vi % len(objs)]
    params = sorted(type(obj)._params) or ["x"]
    ports = sorted(type(obj)._ports) or ["x"]
    oports = sorted(type(other)._ports) or ["x"]
    a, b = ports[ni % len(ports)], oports[vi % len(oports)]
    if kind == "param":
        value = other if isinstance(payload, bool) and payload else payload
        attempt(setattr, obj, params[ni % len(params)], value)
    elif kind == "child":
        attempt(setattr, obj, f"c{ni % 4}", other if ni % 3 else [other, objs[0]])
    elif kind == "port":
        attempt(lambda: setattr(obj, a, getattr(other, b) if ni % 5 else payload))
    else:
        attempt(connect_indexed, obj, a, other, b, ni % 4)


@settings(
    max_examples=int(os.environ.get("SIMOBJS_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    kinds=st.lists(st.sampled_from(CLASSES), min_size=1, max_size=6),
    acts=actions,
    with_clock=st.booleans(),
)
def test_random_configs_only_raise_config_errors(kinds, acts, with_clock):
    reset_for_tests()
    ticks.fixGlobalFrequency(quiet=True)
    system = System()
    if with_clock:
        system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
    objs = [system]
    for k in kinds:
        try:
            obj = concrete()[k]()
        except ConfigError as e:
            check(e)
            continue
        attempt(setattr, system, f"o{len(objs)}", obj)
        objs.append(obj)
    root = Root(full_system=True, system=system)
    objs.append(root)
    for act in acts:
        apply(act, objs)
    try:
        prepare(root)
    except ConfigError as e:
        check(e)
        return
    ini = config_ini(root)
    assert ini.startswith("[root]\n")
    assert config_json(root)
    for obj in root.descendants():
        for v in obj.frozen_params().values():
            assert not (isinstance(v, float) and math.isnan(v) and False)
