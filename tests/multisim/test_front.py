"""The sweep's pure logic: ids, the command line of a sweep script, shipped files,
jobs, failure reasons, the results table, the progress line."""

import io
import json
import sys

import pytest

from simobjs.multisim import front, sweep, table
from simobjs.multisim.job import Job, MultisimError, Result, collect, write_files
from simobjs.multisim.progress import SweepProgress
from simobjs.multisim.worker import failure_reason


@pytest.fixture(autouse=True)
def clean_front(monkeypatch, tmp_path):
    front.reset()
    monkeypatch.setattr(sys, "argv", ["sweep.py"])
    from simobjs.options import options

    monkeypatch.setattr(options, "outdir", str(tmp_path / "m5out"))
    yield
    front.reset()


@pytest.mark.parametrize("bad", ["", "1st", "_a", "a_", "a b", "a/b", "a.b", None])
def test_ids_follow_gem5s_rules(bad):
    with pytest.raises(MultisimError, match="multisim: "):
        front.check_id(bad)


def test_module_run_only_records():
    front.module_run = True
    ran = []
    assert front.add("a", ran.append) == "a"
    assert front.add(None, ran.append) == "sim_1"  # gem5's default id
    assert ran == [] and front.num_simulations() == 2
    with pytest.raises(MultisimError, match="two simulations have the id 'a'"):
        front.add("a", ran.append)


def test_list_prints_each_id(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["sweep.py", "-l"])
    ran = []
    front.add("one", ran.append)
    front.add("two", ran.append)
    assert capsys.readouterr().out == "one\ntwo\n" and ran == []
    assert front.check_after_script(0) == 0


def test_an_id_runs_that_simulation_in_its_own_outdir(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "argv", ["sweep.py", "two"])
    ran = []
    front.add("one", ran.append)
    front.add("two", ran.append)  # the hook a Simulator-based front end uses
    assert ran == [tmp_path / "m5out" / "two"] and ran[0].is_dir()
    assert front.check_after_script(0) == 0


def test_an_unknown_id_is_an_error(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["sweep.py", "three"])
    front.add("one", lambda d: None)
    assert front.check_after_script(0) == 1
    assert "no simulation has the id 'three' (ids: one)" in capsys.readouterr().err


def test_no_id_says_how_to_run():
    with pytest.raises(MultisimError, match="-m simobjs.multisim"):
        front.add("one", lambda d: None)


def test_set_num_processes_checks_like_gem5():
    front.set_num_processes(3)
    assert front.description()["num_processes"] == 3
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError):
            front.set_num_processes(bad)


def test_shipped_files_go_to_the_simulations_that_name_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("a.elf", "b.elf", "common.py"):
        (tmp_path / name).write_text(name)
    front.module_run = True
    common = front.ship("common.py")
    assert common == str(tmp_path / "common.py")
    front.add_simulation("a", dict, guest=front.ship("a.elf"))
    front.add_simulation("b", dict, guests=[front.ship("b.elf")])
    front.report_stats("system.cpu.numCycles")
    files = front.description()["files"]
    assert files["common"] == [common]
    assert files["by_id"] == {"a": [str(tmp_path / "a.elf")], "b": [str(tmp_path / "b.elf")]}
    assert front.description()["stats"] == ["system.cpu.numCycles"]
    with pytest.raises(MultisimError, match="no such file"):
        front.ship("missing.elf")


def test_a_shipped_path_resolves_to_the_copy_on_the_worker(tmp_path):
    files = front.WorkerFiles(
        shipped={"/home/u/run/g.elf": "g.elf", "/opt/bin/x": "_shipped/abc/x"},
        client_cwd="/home/u",
        client_script_dir="/home/u/run",
        work_dir=str(tmp_path),
    )
    assert files.resolve("run/g.elf") == str(tmp_path / "g.elf")  # relative to the client's cwd
    assert files.resolve("/opt/bin/x") == str(tmp_path / "_shipped/abc/x")
    assert files.resolve(str(tmp_path / "g.elf")) == str(tmp_path / "g.elf")  # from __file__
    assert files.resolve("other.elf") == "other.elf"  # not shipped here: as given


def test_layout_keeps_places_under_the_script_directory():
    assert sweep.layout("/s/guests/a.elf", "/s") == "guests/a.elf"
    far = sweep.layout("/elsewhere/a.elf", "/s")
    assert far.startswith("_shipped/") and far.endswith("/a.elf")


def test_jobs_carry_what_they_need(tmp_path):
    script = tmp_path / "sweep.py"
    script.write_text("# sweep")
    (tmp_path / "a.elf").write_bytes(b"A")
    desc = {
        "ids": ["a", "b"],
        "checkpoints": False,
        "files": {"common": [], "by_id": {"a": [str(tmp_path / "a.elf")], "b": []}},
    }
    a, b = sweep.jobs_for(script, desc, ["--stats-file=s.txt"])
    assert a.argv == ("a",) and a.output_dir == "m5out/a" and a.options == ("--stats-file=s.txt",)
    assert a.files == {"sweep.py": b"# sweep", "a.elf": b"A"}
    assert b.files == {"sweep.py": b"# sweep"}


def test_jobs_refuse_paths_that_leave_their_directory():
    with pytest.raises(MultisimError, match="unsafe path"):
        Job("a", "s.py", files={"s.py": b"", "../x": b""})
    with pytest.raises(MultisimError, match="not in its files"):
        Job("a", "s.py")


def test_collect_leaves_checkpoints_unless_asked(tmp_path):
    write_files({"stats.txt": b"s", "cpt.1/m5.cpt": b"c", "cpt.1/mem": b"m", "d/x": b"x"}, tmp_path)
    assert set(collect(tmp_path, checkpoints=False)) == {"stats.txt", "d/x"}
    assert set(collect(tmp_path, checkpoints=True)) == {
        "stats.txt",
        "d/x",
        "cpt.1/m5.cpt",
        "cpt.1/mem",
    }


@pytest.mark.parametrize(
    "code,err,want",
    [
        (
            1,
            "info: x\nfatal: system.clk_domain.clock: bad\n",
            "fatal: system.clk_domain.clock: bad",
        ),
        (
            1,
            'Traceback (most recent call last):\n  File "s.py"\nValueError: no\nwarn: x\n',
            "ValueError: no",
        ),
        (-9, "info: Entering event queue\n", "killed by SIGKILL: info: Entering event queue"),
        (3, "", "m5_fail instruction encountered (exit code 3)"),
    ],
)
def test_failure_reasons(code, err, want):
    result = Result("a", "failed", exit_cause="m5_fail instruction encountered", exit_code=code)
    assert failure_reason(code, err, result) == want


def test_table_rows_and_resume_marker(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "stats.txt").write_text(
        "---------- Begin Simulation Statistics ----------\n"
        "simTicks 500 # t\nsimInsts nan # i\nsystem.cpu.numCycles 9 # c\n"
        "---------- End Simulation Statistics   ----------\n"
    )
    done = table.run_info(
        Result(
            "a",
            "done",
            exit_cause="m5_exit instruction encountered",
            exit_code=0,
            worker="tcp://w",
            host="h",
            host_seconds=1.5,
        )
    )
    table.write_marker(tmp_path / "a", done)
    assert table.completed(tmp_path / "a") == done
    failed = table.run_info(Result("b", "failed", error="fatal: bad"))
    rows, stats = table.rows(tmp_path, [done, failed], ["system.cpu.numCycles"])
    assert stats == ["simTicks", "simInsts", "hostSeconds", "system.cpu.numCycles"]
    assert rows[0]["simTicks"] == 500 and rows[0]["simInsts"] is None
    assert rows[0]["system.cpu.numCycles"] == 9
    assert rows[1]["status"] == "failed" and rows[1]["simTicks"] is None
    table.write(tmp_path, rows, stats, script="s.py")
    doc = json.loads((tmp_path / "multisim.json").read_text())
    assert doc["script"] == "s.py" and [r["id"] for r in doc["simulations"]] == ["a", "b"]
    lines = (tmp_path / "multisim.csv").read_text().splitlines()
    assert lines[0].startswith("id,status,error,exit_cause,exit_code,worker,host,host_seconds,")
    assert lines[1].startswith("a,done,,m5_exit instruction encountered,0,tcp://w,h,1.5,500,")


def test_progress_line_counts():
    out = io.StringIO()
    p = SweepProgress(5, skipped=1, stream=out, show=False)
    p.started("a")
    p.started("b")
    p.finished("a", ok=True)
    p.finished("b", ok=False, error="fatal: bad")
    assert p.line().startswith("[multisim] 2/5 done (1 skipped) | 0 running | 1 failed | 2 waiting")
    assert out.getvalue() == "multisim: b failed: fatal: bad\n"  # not a terminal: no line drawn
    p.close()


def test_the_cluster_comes_from_dasks_own_configuration(tmp_path, monkeypatch):
    import dask

    from simobjs.multisim import engine

    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)
    (tmp_path / "cluster.yaml").write_text("scheduler-address: tcp://10.0.0.7:8786\n")
    try:
        dask.config.refresh(paths=[str(tmp_path)])
        assert engine.scheduler_address() == "tcp://10.0.0.7:8786"
        monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://10.0.0.8:8786")
        dask.config.refresh(paths=[str(tmp_path)])
        assert engine.scheduler_address() == "tcp://10.0.0.8:8786"  # the environment wins
        monkeypatch.delenv("DASK_SCHEDULER_ADDRESS")
        dask.config.refresh(paths=[])
        assert engine.scheduler_address() is None  # no cluster named: a local one
    finally:
        monkeypatch.undo()
        dask.config.refresh()


def test_jobs_need_good_and_distinct_ids(tmp_path):
    from simobjs.multisim import engine

    with pytest.raises(MultisimError, match="must start with a letter"):
        Job("1a", "s.py", files={"s.py": b""})
    job = Job("a", "s.py", files={"s.py": b""})
    with pytest.raises(MultisimError, match="two jobs have the same id: a"):
        engine.run_jobs([job, job], tmp_path)
