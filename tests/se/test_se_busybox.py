"""Busybox applets (Debian's busybox-static) in SE mode give byte-identical stdout and
the same exit status as natively, on the KVM CPU, on the reference CPU, and when
the program switches between them every few milliseconds of simulated time."""

from __future__ import annotations

import pytest
import serun

pytestmark = pytest.mark.program(serun.BUSYBOX, "busybox-static")

# One shell script runs every applet the acceptance names: sh arithmetic and
# pipelines, md5sum, sort (files and stdin), gzip | gunzip, ls, wc; it ends with an
# exit status of its own.
SCRIPT = """
echo "arith $((6*7)) $(( (1<<20) % 1000 ))"
i=0; while [ $i -lt 5 ]; do i=$((i+1)); done; echo "loop $i"
md5sum data.txt words.txt
sort words.txt | head -3
sort -n -r < data.txt | head -2
cat words.txt | sort | uniq -c | sort -rn | head -2
gzip -c data.txt | gunzip | md5sum
gzip -c words.txt > /tmp/w.gz && gunzip -c /tmp/w.gz | wc -c
ls
wc data.txt words.txt
wc -l < data.txt
echo "stdin: $(sort | tail -1)"
exit 3
"""


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / "data.txt").write_text("".join(f"{(i * 7919) % 1000} row {i}\n" for i in range(3000)))
    (work / "words.txt").write_text(
        "\n".join(["pear", "apple", "fig", "apple", "kiwi"] * 40) + "\n"
    )
    (work / "input.txt").write_text("".join(f"{(i * 31) % 97}\n" for i in range(500)))
    monkeypatch.chdir(work)
    return work


def _compare(sim: serun.Result, nat: serun.Result) -> None:
    assert sim.stdout.decode() == nat.stdout.decode()
    assert sim.code == nat.code == 3


@pytest.fixture
def expected(workdir):
    return serun.native(serun.BUSYBOX, ["sh", "-c", SCRIPT], input="input.txt")


@pytest.mark.kvm
@pytest.mark.parametrize("cpu", ["kvm", "ref"])
def test_busybox_applets_match_native(workdir, expected, cpu):
    r = serun.run(
        serun.BUSYBOX, ["sh", "-c", SCRIPT], cpu, workdir.parent / "m5out", input="input.txt"
    )
    _compare(r, expected)
    assert r.causes == ["exiting with last active thread context"]


@pytest.mark.kvm
def test_busybox_switching_every_few_ms_matches_native(workdir, expected):
    r = serun.run(
        serun.BUSYBOX,
        ["sh", "-c", SCRIPT],
        "kvm",
        workdir.parent / "m5out",
        switch_to="ref",
        input="input.txt",
        every=3_000_000_000,
        seed=1,
    )
    _compare(r, expected)
    assert r.switches >= 4


@pytest.mark.kvm
@pytest.mark.parametrize("cpu", ["kvm", "ref"])
def test_a_reader_blocked_on_a_pipe_gets_eof_when_the_writer_exits(workdir, cpu):
    """`cat` waits on the pipe before `sleep` exits without writing: the exit's close
    of the pipe's write end wakes it (end of file)."""
    got = serun.run(
        serun.BUSYBOX, ["sh", "-c", "sleep 0.01 | cat; echo done"], cpu, workdir.parent / "m5out"
    )
    assert got.stdout == b"done\n"
    assert got.code == 0
