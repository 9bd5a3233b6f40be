"""Static C programs (glibc and musl builds of simobjs/guest/se) in SE mode give the
same stdout and exit status as natively, on both CPUs."""

from __future__ import annotations

import pytest
import serun

from simobjs.guest.se_build import se_example

CASES = {
    "hello": (["one", "two words"], ""),
    "signals": (["die"], ""),
    "procs": ([], ""),
    "threads": ([], ""),
}


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / "input.txt").write_text("".join(f"line {i}\n" for i in range(1000)))
    monkeypatch.chdir(work)
    return work


@pytest.mark.kvm
@pytest.mark.parametrize("libc", ["glibc", "musl"])
@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("cpu", ["kvm", "ref", "switching"])
def test_program_matches_native(workdir, name, libc, cpu):
    """switching: from KVM to the reference CPU and back every 0-2 ms of simulated time."""
    prog = str(se_example(name, libc))
    args, stdin = CASES[name]
    want = serun.native(prog, args, stdin)
    if cpu == "switching":
        got = serun.run(prog, args, "kvm", workdir.parent / "m5out", switch_to="ref",
                        input=stdin, every=2_000_000_000, seed=len(name))  # fmt: skip
        assert got.switches >= 2
    else:
        got = serun.run(prog, args, cpu, workdir.parent / "m5out", input=stdin)
    assert got.stdout.decode() == want.stdout.decode()
    assert got.code == want.code
