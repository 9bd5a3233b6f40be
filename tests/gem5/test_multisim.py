"""gem5.utils.multisim on simobjs's multisim engine, with the standard-library
example configs/gem5_library/multisim/multisim-print-this.py: a SimpleProcessor
sweep of X86 SE runs of tests/gem5/programs/print_this.c, the binary found
through a resources JSON (file:// URL) outside the script's directory; listed
with -l, run one by id, run all on a local Dask cluster (with a simulator whose
binary cannot be obtained failing alone), and on a cluster of separate worker
processes in another directory, the binary and the resources JSON shipped to
them and the outputs back in the client's outdir."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from resources_json import write_binaries

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "gem5_library" / "multisim" / "multisim-print-this.py"
PROGRAMS = Path(__file__).parent / "programs"
IDS = ["atomic-1", "atomic-2", "timing-1", "timing-2"]
EXIT = "exiting with last active thread context"

sys.path.insert(0, str(ROOT / "tests" / "multisim"))
from dask_cluster import environment, left_in, separate_cluster  # noqa: E402

# the example with one more simulator, first: its binary is not in the resources JSON
MISSING = """
missing = SimpleBoard(
    clk_freq="1GHz",
    processor=SimpleProcessor(cpu_type=CPUTypes.ATOMIC, isa=ISA.X86, num_cores=1),
    memory=SingleChannelDDR3_1600(size="32MiB"),
    cache_hierarchy=NoCache(),
)
missing.set_se_binary_workload(binary=obtain_resource("x86-no-such-binary"))
multisim.add_simulator(Simulator(board=missing, id="missing"))
"""


@pytest.fixture(scope="module")
def resources(tmp_path_factory) -> Path:
    """A resources JSON in a directory of its own naming the built print_this by a
    file:// URL (the binary is in the build cache: outside the script's directory)."""
    from simobjs.guest import se_build

    programs = {
        "x86-print-this": se_build.build_se_program(
            [PROGRAMS / "print_this.c"], "gem5lib-print-this"
        ),
        "x86-checkpoint-hello": se_build.build_se_program(
            [PROGRAMS / "checkpoint_hello.c"], "gem5lib-checkpoint"
        ),
    }
    return write_binaries(tmp_path_factory.mktemp("resources") / "resources.json", programs)


def simobjs(resources: Path, cwd: Path, *args: str, **env: str):
    return subprocess.run(
        [sys.executable, "-m", "simobjs.cli", "-q", *args],
        cwd=cwd,
        env=environment(GEM5_RESOURCE_JSON=str(resources), **env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def rows(outdir: Path) -> dict[str, dict]:
    return {r["id"]: r for r in json.loads((outdir / "multisim.json").read_text())["simulations"]}


def check_done(outdir: Path, row: dict) -> None:
    """A simulation that completed: its row, and its outputs in OUTDIR/<id>/."""
    id = row["id"]
    cpu, times = id.split("-")
    assert row["status"] == "done" and row["error"] == "", row
    assert row["exit_cause"] == EXIT and row["exit_code"] == 0
    assert row["simTicks"] > 0 and row["simInsts"] > 0
    out = (outdir / id / "simout.txt").read_text()
    lines = [f"{n}: Hello from {id}" for n in range(1, int(times) + 1)]
    assert "\n".join([*lines, f"printed {times} time"]) in out
    ini = (outdir / id / "config.ini").read_text()
    assert {"atomic": "type=BaseAtomicSimpleCPU", "timing": "type=BaseTimingSimpleCPU"}[cpu] in ini
    assert (outdir / id / "stats.txt").is_file()


def _board():
    from gem5.components.boards.simple_board import SimpleBoard
    from gem5.components.cachehierarchies.classic.no_cache import NoCache
    from gem5.components.memory import SingleChannelDDR3_1600
    from gem5.components.processors.cpu_types import CPUTypes
    from gem5.components.processors.simple_processor import SimpleProcessor
    from gem5.isas import ISA

    return SimpleBoard(
        clk_freq="1GHz",
        processor=SimpleProcessor(cpu_type=CPUTypes.ATOMIC, isa=ISA.X86, num_cores=1),
        memory=SingleChannelDDR3_1600(size="32MiB"),
        cache_hierarchy=NoCache(),
    )


@pytest.mark.usefixtures("fresh_simulation")
def test_simulator_ids_as_gem5_gives_them(monkeypatch, capsys):
    import gem5.utils.multisim as multisim
    from gem5.simulate.simulator import Simulator
    from gem5.utils.multisim import multisim as module
    from simobjs.multisim import MultisimError

    module.reset()
    monkeypatch.setattr(sys, "argv", ["print-this.py", "-l"])  # list: print each id
    try:
        named = Simulator(board=_board(), id="first")
        multisim.add_simulator(named)
        unnamed = [Simulator(board=_board()) for _ in range(2)]
        for sim in unnamed:
            multisim.add_simulator(sim)
        assert [s.get_id() for s in unnamed] == ["sim_1", "sim_2"]  # gem5's default ids
        multisim.add_simulator(named)  # the same simulator again: still one
        assert multisim.num_simulators() == 3
        with pytest.raises(MultisimError, match="two simulations have the id 'first'"):
            multisim.add_simulator(Simulator(board=_board(), id="first"))
        assert capsys.readouterr().out.split() == ["first", "sim_1", "sim_2"]
        with pytest.raises(ValueError, match="ID must start with a letter"):
            Simulator(board=_board(), id="1st")
        with pytest.raises(ValueError, match="greater than 0"):
            multisim.set_num_processes(0)
        assert module.module_run is False
    finally:
        module.reset()


def test_ids_and_processes_read_from_the_script_in_another_process():
    import gem5.utils.multisim as multisim
    from gem5.utils.multisim import multisim as module

    try:
        # no resources JSON here: the binary cannot be obtained, the ids are still listed
        assert multisim.get_simulator_ids(CONFIG) == IDS
        assert multisim.get_num_processes(CONFIG) == 2
        assert multisim.num_simulators() == 0  # nothing was added in this process
    finally:
        module.reset()


def test_resources_resolve_to_copies_shipped_with_the_job(monkeypatch, tmp_path):
    """Without Dask: what the client records while the script obtains its resources
    becomes the job's files; with the client's files gone, the simulation's
    process finds the same resources among the job's copies."""
    from gem5.resources import client, local_files
    from gem5.resources.resource import BinaryResource, obtain_resource
    from simobjs.multisim import front, sweep
    from simobjs.multisim.job import write_files

    home, work = tmp_path / "client", tmp_path / "work"
    (home / "bins").mkdir(parents=True)
    (home / "cpt" / "cpt.100").mkdir(parents=True)
    (home / "bins" / "prog").write_bytes(b"program")
    (home / "cpt" / "cpt.100" / "m5.cpt").write_text("[root]\n")
    (home / "own").write_bytes(b"own")
    (home / "packed.gz").write_bytes(gzip.compress(b"unpacked"))
    listing = [
        {"category": "binary", "id": "prog", "resource_version": "1", "url": "bins/prog"},
        {
            "category": "checkpoint",
            "id": "cpt",
            "resource_version": "1",
            "url": f"file://{home}/cpt",
        },
        {"category": "file", "id": "packed", "resource_version": "1", "url": "packed.gz"}
        | {"is_zipped": True},
    ]
    (home / "resources.json").write_text(json.dumps(listing))
    (home / "script.py").write_text("")
    for key in ("GEM5_RESOURCE_JSON_APPEND", "GEM5_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("GEM5_RESOURCE_DIR", str(tmp_path / "placed"))
    monkeypatch.setenv("GEM5_RESOURCE_JSON", "resources.json")  # relative to the client's cwd
    monkeypatch.chdir(home)
    monkeypatch.setattr(client, "clientwrapper", None)
    front.reset()
    local_files.reset()
    try:
        front.module_run = True  # the client lists the script's simulations
        local_files.pass_on_environment()
        assert obtain_resource("prog", gem5_version=None).get_local_path() == str(
            home / "bins/prog"
        )
        obtain_resource("cpt", gem5_version=None).get_local_path()
        BinaryResource(local_path=str(home / "own")).get_local_path()
        placed = tmp_path / "placed" / "packed"  # unpacked into the resource directory
        assert obtain_resource("packed", gem5_version=None).get_local_path() == str(placed)
        front.add("one", lambda outdir: None)
        desc = front.description()
        assert desc["files"]["common"] == sorted(
            [str(placed), *(str(home / p) for p in ("bins/prog", "cpt", "own", "resources.json"))]
        )
        (job,) = sweep.jobs_for(home / "script.py", desc, [])
        assert job.env == {
            "GEM5_RESOURCE_JSON": "resources.json",
            "GEM5_RESOURCE_DIR": os.environ["GEM5_RESOURCE_DIR"],
        }
        assert set(job.env_unset) == {"GEM5_RESOURCE_JSON_APPEND", "GEM5_CONFIG"}

        # where the simulation runs: the job's files, and none of the client's
        work.mkdir()
        write_files(job.files, work)
        home.rename(tmp_path / "gone")
        monkeypatch.chdir(work)
        monkeypatch.setattr(client, "clientwrapper", None)
        front.reset()
        front.use_worker_files(
            front.WorkerFiles(
                shipped=dict(job.shipped),
                client_cwd=job.client_cwd,
                client_script_dir=job.client_script_dir,
                work_dir=str(work),
            )
        )
        prog = obtain_resource("prog", gem5_version=None).get_local_path()
        assert prog == str(work / "bins" / "prog") and Path(prog).read_bytes() == b"program"
        cpt = Path(obtain_resource("cpt", gem5_version=None).get_local_path())
        assert cpt.is_relative_to(work) and (cpt / "cpt.100" / "m5.cpt").read_text() == "[root]\n"
        own = BinaryResource(local_path=str(home / "own")).get_local_path()
        assert Path(own).is_relative_to(work) and Path(own).read_bytes() == b"own"
        placed.unlink()  # the worker's resource directory does not have it either
        packed = Path(obtain_resource("packed", gem5_version=None).get_local_path())
        assert packed.is_relative_to(work) and packed.read_bytes() == b"unpacked"
    finally:
        front.reset()
        local_files.reset()


def test_list_the_ids(resources, tmp_path):
    out = simobjs(resources, tmp_path, str(CONFIG), "-l")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == IDS
    assert not (tmp_path / "m5out").exists() or not list((tmp_path / "m5out").iterdir())


@pytest.mark.kvm
def test_run_one_by_id(resources, tmp_path):
    out = simobjs(resources, tmp_path, "-d", "out", str(CONFIG), "timing-2")
    assert out.returncode == 0, out.stderr
    assert "1: Hello from timing-2\n2: Hello from timing-2\nprinted 2 times" in out.stdout
    assert "atomic-1" not in out.stdout
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["timing-2"]
    assert "type=BaseTimingSimpleCPU" in (tmp_path / "out" / "timing-2" / "config.ini").read_text()
    wrong = simobjs(resources, tmp_path, str(CONFIG), "no-such-id")
    assert wrong.returncode == 1 and "no simulation has the id 'no-such-id'" in wrong.stderr
    bare = simobjs(resources, tmp_path, str(CONFIG))
    assert bare.returncode == 1 and "-m gem5.utils.multisim" in bare.stderr


@pytest.mark.kvm
def test_all_on_a_local_cluster_one_failing_alone(resources, tmp_path):
    script = tmp_path / "print-this-and-a-missing-one.py"
    text = CONFIG.read_text()
    anchor = "multisim.set_num_processes(2)\n"
    script.write_text(text.replace(anchor, anchor + MISSING))
    listed = simobjs(resources, tmp_path, str(script), "-l")
    assert listed.stdout.split() == ["missing", *IDS]  # the simulators after it are there
    assert "simulation 'missing' will fail when it runs" in listed.stderr

    out = simobjs(resources, tmp_path, "-d", "out", "-m", "gem5.utils.multisim", str(script))
    assert out.returncode == 1, out.stderr
    outdir = tmp_path / "out"
    table = rows(outdir)
    assert list(table) == ["missing", *IDS]
    failed = table["missing"]
    assert failed["status"] == "failed"
    assert "Resource with ID 'x86-no-such-binary' not found" in failed["error"]
    assert failed["simTicks"] is None
    for id in IDS:
        check_done(outdir, table[id])
    assert "multisim: 4 done, 1 failed" in out.stderr
    assert len({table[id]["worker"] for id in IDS}) == 2  # two local workers
    # each simulation read the binary shipped with it, not the client's file
    ini = (outdir / "atomic-1" / "config.ini").read_text()
    executable = next(ln for ln in ini.splitlines() if ln.startswith("executable="))
    assert "/_shipped/" in executable and "simobjs-multisim-atomic-1-" in executable


RESTORE = """
from pathlib import Path

import gem5.utils.multisim as multisim
from gem5.components.boards.simple_board import SimpleBoard
from gem5.components.cachehierarchies.classic.no_cache import NoCache
from gem5.components.memory import SingleChannelDDR3_1600
from gem5.components.processors.cpu_types import get_cpu_type_from_str
from gem5.components.processors.simple_processor import SimpleProcessor
from gem5.isas import ISA
from gem5.resources.resource import obtain_resource
from gem5.simulate.simulator import Simulator

for cpu in ("atomic", "timing"):
    board = SimpleBoard(
        clk_freq="3GHz",
        processor=SimpleProcessor(cpu_type=get_cpu_type_from_str(cpu), isa=ISA.X86, num_cores=1),
        memory=SingleChannelDDR3_1600(size="512MiB"),
        cache_hierarchy=NoCache(),
    )
    board.set_se_binary_workload(
        obtain_resource("x86-checkpoint-hello"), checkpoint=Path({checkpoint!r})
    )
    multisim.add_simulator(Simulator(board=board, id=f"restore-{{cpu}}"))
"""


@pytest.mark.kvm
def test_a_sweep_restoring_one_checkpoint_ships_the_checkpoint(resources, tmp_path):
    save = ROOT / "configs" / "gem5_library" / "checkpoints" / "x86-hello-save-checkpoint.py"
    cpts, sweep_dir = tmp_path / "cpts", tmp_path / "sweep"
    out = simobjs(
        resources,
        tmp_path,
        "-d",
        "save",
        str(save),
        "--checkpoint-dir",
        str(cpts),
        "--arguments",
        "addr",
    )
    assert out.returncode == 0, out.stderr
    (cpt,) = cpts.iterdir()
    sweep_dir.mkdir()
    (sweep_dir / "restore.py").write_text(RESTORE.format(checkpoint=str(cpt)))
    out = simobjs(resources, sweep_dir, "-d", "out", "-m", "gem5.utils.multisim", "restore.py")
    assert out.returncode == 0, out.stderr
    table = rows(sweep_dir / "out")
    assert list(table) == ["restore-atomic", "restore-timing"]
    for id, row in table.items():
        assert row["status"] == "done" and row["exit_cause"] == EXIT, row
        simout = (sweep_dir / "out" / id / "simout.txt").read_text()
        assert "after the checkpoint (counter 42)" in simout
        assert "before the checkpoint" not in simout  # it resumed from the checkpoint


@pytest.mark.kvm
def test_all_on_a_cluster_of_separate_workers(resources, tmp_path):
    client_dir, far = tmp_path / "client", tmp_path / "far"
    client_dir.mkdir()
    with separate_cluster(far, workers=2) as address:
        out = simobjs(
            resources,
            client_dir,
            "-d",
            "sweep",
            "-m",
            "gem5.utils.multisim",
            str(CONFIG),
            DASK_SCHEDULER_ADDRESS=address,
        )
        assert out.returncode == 0, out.stderr + (far / "worker0.log").read_text()
    outdir = client_dir / "sweep"
    table = rows(outdir)
    assert list(table) == IDS
    for id in IDS:
        check_done(outdir, table[id])
    assert json.loads((outdir / "multisim.json").read_text())["cluster"] == address
    assert sorted(p.name for p in outdir.iterdir()) == sorted(
        [*IDS, "multisim.json", "multisim.csv"]
    )
    # each ran from the copies shipped to its worker (the workers' temporary files are in far)
    ini = (outdir / "timing-1" / "config.ini").read_text()
    executable = next(ln for ln in ini.splitlines() if ln.startswith("executable="))
    assert executable.startswith(f"executable={far}/") and "/_shipped/" in executable
    assert left_in(far) == []  # the job directories on the workers are removed
