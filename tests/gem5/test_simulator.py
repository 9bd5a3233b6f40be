"""The standard library's Simulator on a bare-metal PC board (tests/gem5/pcboard.py):
the run loop, the exit handlers in their three forms, the expected order, tick
limits, instruction stops, switching processors, checkpoints, stats, ids."""

import json
import sys
from pathlib import Path

import pytest

import m5
from gem5.components.cachehierarchies.classic.no_cache import NoCache
from gem5.components.memory.simple import SingleChannelSimpleMemory
from gem5.components.processors.cpu_types import CPUTypes
from gem5.components.processors.simple_processor import SimpleProcessor
from gem5.components.processors.simple_switchable_processor import SimpleSwitchableProcessor
from gem5.isas import ISA
from gem5.resources.resource import BinaryResource
from gem5.simulate.exit_event import ExitEvent
from gem5.simulate.exit_event_generators import save_checkpoint_generator
from gem5.simulate.simulator import Simulator
from simobjs.guest import build
from simobjs.sim import core

sys.path.insert(0, str(Path(__file__).parent))
from pcboard import PcTestBoard  # noqa: E402

pytestmark = pytest.mark.usefixtures("fresh_simulation")
GUESTS = Path(__file__).parent / "guests"


def guest(name):
    if (GUESTS / f"{name}.c").is_file():
        return BinaryResource(local_path=str(build.build_guest([GUESTS / f"{name}.c"], name)))
    return BinaryResource(local_path=str(build.example_guest(name)))


def board(cpu=CPUTypes.KVM, switch_to=None, program="hello", **workload):
    if switch_to is None:
        processor = SimpleProcessor(cpu_type=cpu, num_cores=1, isa=ISA.X86)
    else:
        processor = SimpleSwitchableProcessor(
            starting_core_type=cpu, switch_core_type=switch_to, num_cores=1, isa=ISA.X86
        )
    memory = SingleChannelSimpleMemory(
        latency="30ns", latency_var="0ns", bandwidth="12.8GiB/s", size="64MiB"
    )
    b = PcTestBoard(clk_freq="3GHz", processor=processor, memory=memory, cache_hierarchy=NoCache())
    b.set_bare_metal_workload(guest(program), **workload)
    return b


def output():
    return core.current().model("board.terminal").text()


@pytest.mark.kvm
@pytest.mark.parametrize("cpu", [CPUTypes.KVM, CPUTypes.ATOMIC])
def test_hello_with_the_default_handlers(cpu, tmp_path):
    sim = Simulator(board=board(cpu), id="hello-1")
    sim.override_outdir(tmp_path / "out")
    sim.run()
    assert output() == "Hello from a simobjs guest!\nrunning at CPL 3\n"
    assert sim.get_last_exit_event_cause() == "m5_exit instruction encountered"
    assert sim.get_last_exit_event_code() == 0 and sim.get_id() == "hello-1"
    assert sim.get_tick_stopwatch() == [(ExitEvent.EXIT, sim.get_current_tick())]
    ini = (tmp_path / "out" / "config.ini").read_text()
    assert "[board.processor.cores.core]" in ini and "[board.cache_hierarchy.membus]" in ini
    root = sim._root
    if cpu is CPUTypes.KVM:  # gem5's KVM set-up: a quantum, the CPU on queue 1
        assert int(root.sim_quantum) == 10**9 and root.board.mem_mode == "atomic_noncaching"
        assert int(root.board.processor.cores[0].core.eventq_index) == 1
    else:
        assert int(root.sim_quantum) == 0 and root.board.mem_mode == "atomic"


@pytest.mark.kvm
def test_switchable_processor_switches_at_each_switchcpu_exit(capsys):
    b = board(CPUTypes.KVM, switch_to=CPUTypes.ATOMIC, program="switch")
    order = [ExitEvent.SWITCHCPU, ExitEvent.SWITCHCPU, ExitEvent.EXIT]
    sim = Simulator(board=b, expected_execution_order=order)
    seen = []
    sim._default_on_exit_dict[ExitEvent.SWITCHCPU] = (
        seen.append(type(b.processor.get_cores()[0].core).__name__) or b.processor.switch()
        for _ in iter(int, 1)
    )
    sim.run()
    assert output() == build.expected_output("switch")
    assert [e for e, _ in sim.get_tick_stopwatch()] == order
    assert seen == ["X86KvmCPU", "X86AtomicSimpleCPU"]
    assert type(b.processor.get_cores()[0].core).__name__ == "X86KvmCPU"


@pytest.mark.kvm
def test_default_switch_handler_warns_and_switches(capsys):
    b = board(CPUTypes.KVM, switch_to=CPUTypes.ATOMIC, program="switch")
    sim = Simulator(board=b)
    sim.run()
    assert output() == build.expected_output("switch")
    assert "No behavior was set by the user for switch CPU" in capsys.readouterr().err


def test_handlers_as_list_generator_and_function():
    calls = []

    def begin_stop():
        calls.append("list-begin-1")
        return False

    def ends():
        while True:
            calls.append("gen-end")
            yield False

    sim = Simulator(
        board=board(CPUTypes.ATOMIC, program="work"),
        on_exit_event={
            ExitEvent.WORKBEGIN: [begin_stop],  # then the default: reset stats
            ExitEvent.WORKEND: ends(),
            ExitEvent.EXIT: lambda: calls.append("exit") or True,
        },
    )
    sim.run()
    assert calls == ["list-begin-1", "gen-end", "gen-end", "exit"]
    kinds = [e for e, _ in sim.get_tick_stopwatch()]
    assert kinds == [ExitEvent.WORKBEGIN, ExitEvent.WORKEND] * 2 + [ExitEvent.EXIT]
    rois = sim.get_roi_ticks()
    assert len(rois) == 2 and all(t > 0 for t in rois)
    assert output() == "work: start\nwork: done\n"


def test_an_unexpected_exit_order_is_an_error():
    sim = Simulator(
        board=board(CPUTypes.ATOMIC, program="work"),
        expected_execution_order=[ExitEvent.WORKBEGIN, ExitEvent.EXIT],
    )
    with pytest.raises(Exception, match="Expected a 'exit' exit event but a 'workend'"):
        sim.run()


def test_max_ticks_and_max_insts_exits():
    sim = Simulator(board=board(CPUTypes.ATOMIC), max_ticks=1_000_000)
    sim.run()
    assert sim.get_tick_stopwatch()[0] == (ExitEvent.MAX_TICK, 1_000_000)
    cpu = core.current().cpus()[0]
    start = cpu.thread.getCurrentInstCount()
    sim.schedule_max_insts(500)  # from now, as gem5's scheduleInstStopAnyThread
    sim.run(max_ticks=m5.MaxTick)
    assert sim.get_last_exit_event_cause() == "a thread reached the max instruction count"
    assert cpu.thread.getCurrentInstCount() == start + 500
    sim.run()
    assert sim.get_last_exit_event_cause() == "m5_exit instruction encountered"
    assert [e for e, _ in sim.get_tick_stopwatch()] == [
        ExitEvent.MAX_TICK,
        ExitEvent.MAX_INSTS,
        ExitEvent.EXIT,
    ]


@pytest.mark.kvm
def test_checkpoint_saved_by_the_generator_restores_through_the_workload(tmp_path, capsys):
    cpts = tmp_path / "cpts"
    sim = Simulator(
        board=board(CPUTypes.KVM, program="checkpoint"),
        on_exit_event={ExitEvent.CHECKPOINT: save_checkpoint_generator(cpts)},
    )
    sim.run()
    assert output() == build.expected_output("checkpoint")
    (saved,) = list(cpts.iterdir())
    assert saved.name == f"cpt.{sim.get_tick_stopwatch()[0][1]}"
    m5.close()

    sim = Simulator(board=board(CPUTypes.ATOMIC, program="checkpoint", checkpoint=saved))
    sim.run()
    assert output() == "checkpoint: after (counter 42)\n"
    assert sim.get_last_exit_event_cause() == "m5_exit instruction encountered"
    m5.close()

    sim = Simulator(board=board(CPUTypes.KVM, program="checkpoint"), checkpoint_path=saved)
    assert "deprecated" in capsys.readouterr().err
    sim.run()
    assert output() == "checkpoint: after (counter 42)\n"


def test_stats_as_json_and_extra_outputs(tmp_path):
    sim = Simulator(board=board(CPUTypes.ATOMIC))
    sim.override_outdir(tmp_path)
    with pytest.raises(Exception, match="prior to initialization"):
        sim.get_stats()
    sim.add_json_stats_output(str(tmp_path / "extra.json"))
    sim.add_text_stats_output("extra.txt")
    sim.run()
    stats = sim.get_stats()
    assert stats["tick"] == sim.get_current_tick()
    insts = stats["stats"]["board.processor.cores.core.commitStats0.numInsts"]
    assert insts["value"] > 500 and insts["unit"] == "Count"
    m5.stats.dump()
    assert "board.processor.cores.core.numCycles" in (tmp_path / "extra.txt").read_text()
    assert json.loads((tmp_path / "extra.json").read_text())[-1]["tick"] == stats["tick"]
    with pytest.raises(Exception, match="invalid"):
        sim.add_text_stats_output(str(tmp_path / "no" / "such" / "dir" / "s.txt"))
    with pytest.raises(Exception, match="after the simulation has been instantiated"):
        sim.override_outdir(tmp_path / "late")


@pytest.mark.parametrize(
    "bad,why",
    [("", "empty"), ("1abc", "start with a letter"), ("abc-", "end with"), ("a b", "only contain")],
)
def test_id_rules(bad, why):
    sim = Simulator(board=board(CPUTypes.ATOMIC))
    assert sim.get_id() is None
    with pytest.raises(ValueError, match=why):
        sim.set_id(bad)
    sim.set_id("sweep_a-1")
    assert sim.get_id() == "sweep_a-1"


def test_banned_modules_and_bad_handlers(monkeypatch):
    with pytest.raises(Exception, match="not a Generator or List"):
        Simulator(board=board(CPUTypes.ATOMIC), on_exit_event={ExitEvent.EXIT: 3})
    monkeypatch.setitem(sys.modules, "common.Options", object())
    with pytest.raises(Exception, match="banned module 'common.Options'"):
        Simulator(board=board(CPUTypes.ATOMIC)).run()


def test_tick_exits_scheduled_before_the_simulator_instantiates():
    m5.scheduleTickExitFromCurrent(1_000_000)  # gem5's to_tick tests do this
    m5.scheduleTickExitAbsolute(3_000_000)
    ticks = []
    sim = Simulator(
        board=board(CPUTypes.ATOMIC),
        on_exit_event={ExitEvent.SCHEDULED_TICK: lambda: ticks.append(m5.curTick()) or False},
    )
    sim.run()
    assert ticks == [1_000_000, 3_000_000]
    assert sim.get_last_exit_event_cause() == "m5_exit instruction encountered"


def test_max_tick_set_before_the_simulator_and_kept_across_runs():
    m5.setMaxTick(250)  # gem5's to_tick test "before execution"
    assert m5.getMaxTick() == 250
    sim = Simulator(board=board(CPUTypes.ATOMIC))
    sim.run()  # passes MaxTick to m5.simulate(), which keeps the limit (gem5: unsigned -1)
    assert (m5.curTick(), m5.getMaxTick(), m5.getTicksUntilMax()) == (250, 250, 0)
    assert sim.get_last_exit_event_cause() == "simulate() limit reached"
