"""SimpleBoard in SE mode, in-process: a program from a local resources JSON on
KVM and the atomic CPU, its arguments, environment and stdio files, a
KVM -> atomic switch at its first work-begin exit, a checkpoint saved by the
exit generator and restored through set_se_binary_workload(checkpoint=...)."""

from pathlib import Path

import pytest
from resources_json import write_binaries

import m5
import m5.objects
from gem5.components.boards.simple_board import SimpleBoard
from gem5.components.cachehierarchies.classic.no_cache import NoCache
from gem5.components.memory.simple import SingleChannelSimpleMemory
from gem5.components.processors.cpu_types import CPUTypes
from gem5.components.processors.simple_processor import SimpleProcessor
from gem5.components.processors.simple_switchable_processor import SimpleSwitchableProcessor
from gem5.isas import ISA
from gem5.resources.resource import FileResource, obtain_resource
from gem5.simulate.exit_event import ExitEvent
from gem5.simulate.exit_event_generators import save_checkpoint_generator
from gem5.simulate.simulator import Simulator
from simobjs.params.desc import is_simobject_class

PROGRAMS = Path(__file__).parent / "programs"
pytestmark = [
    pytest.mark.kvm,
    pytest.mark.usefixtures("fresh_simulation"),
    pytest.mark.skipif(
        not is_simobject_class(getattr(m5.objects, "SEWorkload", None)),
        reason="needs SE mode (SEWorkload, Process)",
    ),
]


@pytest.fixture(scope="module")
def listing(tmp_path_factory):
    from simobjs.guest import se_build

    programs = {
        "x86-hello64-static": se_build.build_se_program([PROGRAMS / "hello.c"], "gem5lib-hello"),
        "x86-echo": se_build.build_se_program([PROGRAMS / "echo.c"], "gem5lib-echo"),
        "x86-checkpoint-hello": se_build.build_se_program(
            [PROGRAMS / "checkpoint_hello.c"], "gem5lib-checkpoint"
        ),
        "x86-m5-work": se_build.se_example("m5_work"),
    }
    path = tmp_path_factory.mktemp("resources") / "resources.json"
    return write_binaries(path, programs, versions=("24.0",), url=False)


@pytest.fixture
def resources(listing, monkeypatch, tmp_path):
    monkeypatch.setenv("GEM5_RESOURCE_JSON", str(listing))
    monkeypatch.delenv("GEM5_RESOURCE_JSON_APPEND", raising=False)
    m5.setOutputDir(str(tmp_path / "m5out"))
    yield
    m5.setOutputDir("m5out")


def simple_board(processor):
    memory = SingleChannelSimpleMemory(
        latency="30ns", latency_var="0ns", bandwidth="12.8GiB/s", size="256MiB"
    )
    return SimpleBoard(
        clk_freq="3GHz", processor=processor, memory=memory, cache_hierarchy=NoCache()
    )


@pytest.mark.parametrize("cpu", [CPUTypes.KVM, CPUTypes.ATOMIC])
def test_hello(resources, cpu, capfd):
    board = simple_board(SimpleProcessor(cpu_type=cpu, num_cores=1, isa=ISA.X86))
    board.set_se_binary_workload(obtain_resource("x86-hello64-static"))
    sim = Simulator(board=board)
    sim.run()
    assert "Hello world!\n" in capfd.readouterr().out
    assert sim.get_last_exit_event_cause() == "exiting with last active thread context"
    assert sim.get_last_exit_event_code() == 0 and not board.is_fullsystem()
    assert board.mem_mode == ("atomic_noncaching" if cpu is CPUTypes.KVM else "atomic")


def test_arguments_environment_and_stdio_files(resources, tmp_path):
    (tmp_path / "in.txt").write_text("a line of input\n")
    board = simple_board(SimpleProcessor(cpu_type=CPUTypes.KVM, num_cores=1, isa=ISA.X86))
    board.set_se_binary_workload(
        obtain_resource("x86-echo"),
        arguments=["one", "two"],
        env_list=["GREETING=hi"],
        stdin_file=FileResource(local_path=str(tmp_path / "in.txt")),
        stdout_file=Path("out.txt"),
        stderr_file=Path("err.txt"),
    )
    sim = Simulator(board=board)
    sim.run()
    assert sim.get_last_exit_event_code() == 3
    out = (tmp_path / "m5out" / "out.txt").read_text()
    assert out == "arg one\narg two\nGREETING=hi\nstdin: a line of input\n"
    assert (tmp_path / "m5out" / "err.txt").read_text() == "to stderr\n"


def test_switch_from_kvm_at_the_first_work_begin(resources, capfd):
    processor = SimpleSwitchableProcessor(
        starting_core_type=CPUTypes.KVM,
        switch_core_type=CPUTypes.ATOMIC,
        num_cores=1,
        isa=ISA.X86,
    )
    board = simple_board(processor)
    board.set_se_binary_workload(obtain_resource("x86-m5-work"), arguments=["addr"])
    seen = []

    def at_begin():
        seen.append(type(processor.get_cores()[0].core).__name__)
        if len(seen) == 1:
            processor.switch()
        return False

    sim = Simulator(board=board, on_exit_event={ExitEvent.WORKBEGIN: at_begin})
    sim.run()
    out = capfd.readouterr().out
    assert "phase 2: " in out and "sum: 21" in out
    assert seen == ["X86KvmCPU", "X86AtomicSimpleCPU", "X86AtomicSimpleCPU"]
    assert len(sim.get_roi_ticks()) == 3


def test_checkpoint_saved_and_restored_through_the_workload(resources, tmp_path, capfd):
    cpts = tmp_path / "cpts"
    board = simple_board(SimpleProcessor(cpu_type=CPUTypes.KVM, num_cores=1, isa=ISA.X86))
    board.set_se_binary_workload(obtain_resource("x86-checkpoint-hello"), arguments=["addr"])
    sim = Simulator(
        board=board, on_exit_event={ExitEvent.CHECKPOINT: save_checkpoint_generator(cpts)}
    )
    sim.run()
    assert "after the checkpoint (counter 42)" in capfd.readouterr().out
    (cpt,) = cpts.iterdir()
    m5.close()

    board = simple_board(SimpleProcessor(cpu_type=CPUTypes.KVM, num_cores=1, isa=ISA.X86))
    board.set_se_binary_workload(
        obtain_resource("x86-checkpoint-hello"), arguments=["addr"], checkpoint=cpt
    )
    sim = Simulator(board=board)
    sim.run()
    out = capfd.readouterr().out
    assert "after the checkpoint (counter 42)" in out and "before" not in out
    assert sim.get_last_exit_event_cause() == "exiting with last active thread context"
