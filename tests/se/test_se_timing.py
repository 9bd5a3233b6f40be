"""SE mode on X86TimingSimpleCPU: the same stdout and exit status as natively, alone and
switching with KVM at random simulated times (the SE system-call path is the reference
CPU's, unchanged; the timing CPU only keeps time differently)."""

from __future__ import annotations

import pytest
import serun

from simobjs.guest.se_build import se_example


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / "input.txt").write_text("".join(f"line {i}\n" for i in range(1000)))
    monkeypatch.chdir(work)
    return work


def test_a_program_on_the_timing_cpu_matches_native(workdir):
    prog = str(se_example("hello"))
    want = serun.native(prog, ["one"], "input.txt")
    got = serun.run(prog, ["one"], "timing", workdir.parent / "m5out", input="input.txt")
    assert (got.stdout.decode(), got.code) == (want.stdout.decode(), want.code)


@pytest.mark.kvm
def test_switching_between_kvm_and_the_timing_cpu_matches_native(workdir):
    prog = str(se_example("threads"))
    want = serun.native(prog, [])
    got = serun.run(
        prog, [], "kvm", workdir.parent / "m5out", switch_to="timing", every=1_000_000_000, seed=3
    )
    assert got.switches >= 1
    assert (got.stdout.decode(), got.code) == (want.stdout.decode(), want.code)
