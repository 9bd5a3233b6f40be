"""Faults around the output directory, end to end through the command: signals during a
run and during a checkpoint, two runs on one outdir, planted links, a read-only or
full file system. Each asserts a clean message, the exit status, and that nothing
written before was lost."""

from __future__ import annotations

import os
import subprocess

import pytest
from faultrun import clean, command, env, run, script, start, terminate

from simobjs.sim import checkpoint as cpt_io

BEGIN = "Begin Simulation Statistics"


def _dumps(path) -> int:
    return path.read_text().count(BEGIN)


def test_sigterm_during_a_run_stops_it_and_keeps_the_stats(tmp_path):
    proc = start("-d", "out", str(script(tmp_path)), "run", cwd=tmp_path)
    code, _, err = terminate(proc, delay=0.3)
    assert code == 143, err
    assert "terminated by SIGTERM @ tick" in err
    clean(err)
    out = tmp_path / "out"
    assert _dumps(out / "stats.txt") == 2  # the one made before, and the final dump
    assert (out / "config.ini").stat().st_size > 0
    assert not (out / ".simobjs.lock").exists()


def test_sigterm_outside_simulate_still_writes_the_final_stats(tmp_path):
    proc = start("-d", "out", str(script(tmp_path)), "idle", cwd=tmp_path)
    code, _, err = terminate(proc)
    assert code == 143, err
    clean(err)
    assert _dumps(tmp_path / "out" / "stats.txt") == 1


def test_sigterm_during_checkpoints_leaves_the_last_one_whole(tmp_path):
    proc = start("-d", "out", str(script(tmp_path)), "checkpoints", cwd=tmp_path)
    code, _, err = terminate(proc, delay=0.4)  # checkpoints of 4 MiB go on meanwhile
    assert code == 143, err
    clean(err)
    out = tmp_path / "out"
    cp = cpt_io.load(str(out / "cpt"))  # complete and verified against its manifest
    assert cp.section("root.globals").get_int("curTick") >= 1000
    assert not [n for n in os.listdir(out) if n.startswith(".cpt.")]  # no half-written one
    assert _dumps(out / "stats.txt") == 1


def test_a_second_run_on_a_live_outdir_is_refused_and_breaks_nothing(tmp_path):
    machine = str(script(tmp_path))
    first = start(
        "-d", "out", "-r", machine, "run", cwd=tmp_path, ready_in=tmp_path / "out" / "simout.txt"
    )
    try:
        out = tmp_path / "out"
        before = {n: (out / n).read_bytes() for n in ("config.ini", "config.json")}
        second = run("-d", "out", "-r", machine, "quick", cwd=tmp_path)
        assert second.returncode == 1
        assert f"in use by process {first.pid}" in second.stderr
        clean(second.stderr)
        assert {n: (out / n).read_bytes() for n in before} == before
        assert (out / "simout.txt").stat().st_size > 0  # -r of the second run truncated nothing
    finally:
        code, _, err = terminate(first)
    assert code == 143, err


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    # a pid no process has; and no flock on the file: its holder is gone
    (out / ".simobjs.lock").write_text("999999999\nsimobjs (killed)\n")
    done = run("-d", "out", str(script(tmp_path)), "quick", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (out / ".simobjs.lock").exists()


def test_links_planted_in_the_outdir_are_not_written_through(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victims = {}
    for name in ("stats.txt", "config.ini", "stats.json", "simout.txt"):
        victim = tmp_path / f"victim-{name}"
        victim.write_text("precious\n")
        (out / name).symlink_to(victim)
        victims[name] = victim
    done = run("-d", "out", "-r", "-e", str(script(tmp_path)), "quick", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    for name, victim in victims.items():
        assert victim.read_text() == "precious\n"
        assert not (out / name).is_symlink() and (out / name).is_file()
    assert _dumps(out / "stats.txt") == 1
    assert "was a symbolic link" in (out / "simerr.txt").read_text()


def test_outdir_that_is_a_file_is_a_clean_error(tmp_path):
    (tmp_path / "out").write_text("mine\n")
    done = run("-d", "out", str(script(tmp_path)), "quick", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("fatal: out: ") and "not a directory" in done.stderr
    clean(done.stderr)
    assert (tmp_path / "out").read_text() == "mine\n"


@pytest.fixture
def small_fs(tmp_path):
    """A 1 MiB tmpfs (root only: skipped where mounting is impossible)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def _remount_read_only(mnt) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)


def test_a_full_disk_at_start_names_the_file(tmp_path, small_fs):
    with open(small_fs / "filler", "wb") as f:
        try:
            while True:
                f.write(bytes(65536))
                f.flush()
        except OSError:
            pass
    done = run("-d", str(small_fs / "out"), str(script(tmp_path)), "quick", cwd=tmp_path)
    assert done.returncode == 1
    assert "config.ini: No space left on device" in done.stderr
    clean(done.stderr)


def test_a_disk_that_fills_during_the_run_loses_the_stats_loudly(tmp_path, small_fs):
    out = small_fs / "out"
    done = run("-d", str(out), str(script(tmp_path)), "full-run", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "fatal: could not write the final stats" in done.stderr
    assert "No space left on device" in done.stderr
    clean(done.stderr)
    assert "[root]" in (out / "config.ini").read_text()  # written before: intact


def test_a_disk_that_fills_before_a_checkpoint_keeps_the_previous_one(tmp_path, small_fs):
    out = small_fs / "out"
    done = run("-d", str(out), str(script(tmp_path)), "full-checkpoint", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "fatal: cannot write the checkpoint" in done.stderr
    assert "No space left on device" in done.stderr and "unchanged" in done.stderr
    clean(done.stderr)
    cp = cpt_io.load(str(out / "cpt"))  # the first one, whole
    assert cp.section("root.globals").get_int("curTick") == 1000
    assert not [n for n in os.listdir(out) if n.startswith(".cpt.")]


def test_a_read_only_outdir_is_a_clean_error(tmp_path, small_fs):
    _remount_read_only(small_fs)
    done = run("-d", str(small_fs / "out"), str(script(tmp_path)), "quick", cwd=tmp_path)
    assert done.returncode == 1
    assert "Read-only file system" in done.stderr
    clean(done.stderr)


def test_two_runs_started_together_one_wins(tmp_path):
    machine = str(script(tmp_path))
    procs = [
        subprocess.Popen(
            command("-d", "out", machine, "quick"),
            cwd=tmp_path,
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=60), p.communicate()[1]) for p in procs]
    codes = sorted(code for code, _ in results)
    # both may finish one after the other; never both at once into the same files
    assert codes in ([0, 0], [0, 1]), results
    for code, err in results:
        if code == 1:
            assert "output directory out is in use by" in err
    assert _dumps(tmp_path / "out" / "stats.txt") == 1


def test_a_stats_file_in_a_missing_directory_is_created(tmp_path):
    from simobjs.sim.stat_control import StatsControl

    stats = StatsControl(
        lambda: [], lambda: 7, lambda: [], str(tmp_path / "out"), stats_file="sub/stats.txt"
    )
    stats.enable()
    assert stats.dump(final=True)
    assert _dumps(tmp_path / "out" / "sub" / "stats.txt") == 1
    assert (tmp_path / "out" / "sub" / "stats.json").exists()
