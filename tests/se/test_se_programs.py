"""Static C programs (glibc and musl builds of simobjs/guest/se) in SE mode give the
same stdout and exit status as natively, on both CPUs."""

from __future__ import annotations

import pytest
import serun

from simobjs.guest.se_build import se_example

CASES = {  # test id: (program, arguments, stdin, most ticks between random switches)
    "hello": ("hello", ["one", "two words"], "input.txt", 1_000_000_000),
    "signals": ("signals", ["die"], "", 100_000_000_000),  # it sleeps 1 s: fewer switches
    "procs": ("procs", [], "", 1_000_000_000),
    "threads": ("threads", [], "", 1_000_000_000),
    "misc": ("misc", ["crash"], "", 1_000_000_000),
}
MODES = [
    ("glibc", "kvm"),
    ("glibc", "ref"),
    ("glibc", "switching"),
    ("musl", "kvm"),
    ("musl", "ref"),
    ("musl", "switching"),
]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / "input.txt").write_text("".join(f"line {i}\n" for i in range(1000)))
    monkeypatch.chdir(work)
    return work


@pytest.mark.kvm
@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize(("libc", "cpu"), MODES)
def test_program_matches_native(workdir, name, libc, cpu):
    """switching: from KVM to the reference CPU and back at random simulated times, a
    few milliseconds apart at most."""
    program, args, stdin, every = CASES[name]
    prog = str(se_example(program, libc))
    want = serun.native(prog, args, stdin)
    if cpu == "switching":
        got = serun.run(
            prog,
            args,
            "kvm",
            workdir.parent / "m5out",
            switch_to="ref",
            input=stdin,
            every=every,
            seed=len(name),
        )
        assert got.switches >= 1
    else:
        got = serun.run(prog, args, cpu, workdir.parent / "m5out", input=stdin)
    assert got.stdout.decode() == want.stdout.decode()
    assert got.code == want.code
