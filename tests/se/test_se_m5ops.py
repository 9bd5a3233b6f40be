"""m5ops from SE programs, in both of gem5's forms (the instruction and the m5ops
page): work begin/end exit to the script on both CPUs (which switches CPUs there),
dump-stats calls land in stats.txt, m5_sum passes its six arguments."""

from __future__ import annotations

import pytest
import serun

from simobjs.guest.se_build import se_example

BLOCK = "---------- Begin Simulation Statistics ----------"


@pytest.mark.kvm
@pytest.mark.parametrize("form", ["inst", "addr"])
@pytest.mark.parametrize("cpu", ["kvm", "ref"])
def test_work_items_exit_to_the_script_which_switches_cpus(workdir, cpu, form):
    prog = str(se_example("m5_work", "musl"))
    plain = serun.native(prog, ["none"])  # the same phases without m5ops
    r = serun.run(
        prog, [form], cpu, workdir.parent / "m5out", switch_to=serun.OTHER[cpu], work_items=True
    )
    assert r.causes == ["workbegin", "workend"] * 3 + ["exiting with last active thread context"]
    assert r.switches == 6 and r.code == 0
    assert r.stdout == plain.stdout
    assert r.stdout.decode().splitlines()[-1] == "sum: 21"
    stats = (workdir.parent / "m5out" / "stats.txt").read_text()
    assert stats.count(BLOCK) == 4  # three m5_dump_stats, then the dump at exit
    started = [
        int(line.split()[1])
        for line in stats.splitlines()
        if "numWorkItemsStarted" in line and float(line.split()[1]) > 0
    ]
    assert started, "the work items are counted"


def test_two_reference_runs_give_identical_stats(workdir):
    prog = str(se_example("m5_work", "glibc"))
    texts = []
    for i in range(2):
        r = serun.run(prog, ["inst"], "ref", workdir.parent / f"run{i}")
        assert r.code == 0
        texts.append((workdir.parent / f"run{i}" / "stats.txt").read_text())
    host_free = [[ln for ln in t.splitlines() if not ln.startswith("host")] for t in texts]
    assert host_free[0] == host_free[1]
    assert any(ln.startswith("simInsts") and float(ln.split()[1]) > 0 for ln in host_free[0])
