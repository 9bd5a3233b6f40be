"""Every example guest gives its recorded output on the KVM CPU, on the reference
CPU, and across CPU switches: at the guest's m5_switch_cpu() points and at 50 or
more random simulated times in one run, in both directions. Guest RAM at the end
is the same in every case (except for the timer guest, whose tick counter and
interrupt frames depend on timing)."""

from __future__ import annotations

import pytest
from pcrun import DETERMINISTIC, EXAMPLES, expected, run

_reference: dict[str, object] = {}


def reference_run(name: str):
    """The reference CPU's run of `name` (once per session: other tests compare to it)."""
    if name not in _reference:
        _reference[name] = run(name, cpu="reference")
    return _reference[name]


def assert_like_the_reference(name: str, r) -> None:
    """The recorded output, and (for a guest whose RAM does not depend on timing) the
    reference CPU's RAM at the end."""
    assert r.output == expected(name)
    if name in DETERMINISTIC:
        assert r.mem_hash == reference_run(name).mem_hash


@pytest.mark.parametrize("name", EXAMPLES)
def test_reference_cpu_prints_the_recorded_output(name):
    r = reference_run(name)
    assert r.output == expected(name)
    assert (r.causes[-1], r.code) == ("m5_exit instruction encountered", 0)
    assert r.stats["system.cpu.commitStats0.numInsts"] > 0


@pytest.mark.kvm
@pytest.mark.parametrize("name", EXAMPLES)
def test_kvm_cpu_prints_the_recorded_output(name):
    r = run(name, cpu="kvm")
    assert_like_the_reference(name, r)
    assert (r.causes[-1], r.code) == ("m5_exit instruction encountered", 0)


@pytest.mark.kvm
@pytest.mark.parametrize("start,other", [("kvm", "reference"), ("reference", "kvm")])
@pytest.mark.parametrize("name", EXAMPLES)
def test_switching_at_the_guests_switch_points(name, start, other):
    r = run(name, cpu=start, switch_to=other)
    assert_like_the_reference(name, r)
    assert r.switches == r.causes.count("switchcpu") == (2 if name == "switch" else 0)


@pytest.mark.kvm
@pytest.mark.parametrize("start,other", [("kvm", "reference"), ("reference", "kvm")])
@pytest.mark.parametrize("name", EXAMPLES)
def test_switching_at_random_simulated_times(name, start, other):
    # a mean interval of 1/800 of the reference run: well over 30 switches whichever
    # CPU sets the pace (KVM's time comes from host cycles, the reference CPU's from
    # instructions; a KVM run lasts at least what an entry costs on the host)
    mean = max(reference_run(name).ticks // 800, 1000)
    r = run(name, cpu=start, switch_to=other, random_switch_every=2 * mean, seed=len(name))
    assert_like_the_reference(name, r)
    assert r.switches >= 30
