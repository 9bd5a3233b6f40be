"""Standard-library pieces that need no run: ISAs, runtime, requires, CPU types,
exit-event translation and generators, boards, memories and hierarchies as
declarations."""

import pytest

import m5
from gem5.coherence_protocol import CoherenceProtocol
from gem5.components.boards.mem_mode import MemMode, mem_mode_to_string
from gem5.components.boards.simple_board import SimpleBoard
from gem5.components.cachehierarchies.classic.no_cache import NoCache
from gem5.components.cachehierarchies.classic.private_l1_private_l2_cache_hierarchy import (
    PrivateL1PrivateL2CacheHierarchy,
)
from gem5.components.memory.simple import SingleChannelSimpleMemory
from gem5.components.processors.cpu_types import (
    CPUTypes,
    get_cpu_type_from_str,
    get_mem_mode,
)
from gem5.components.processors.simple_core import SimpleCore
from gem5.components.processors.simple_processor import SimpleProcessor
from gem5.isas import ISA, get_isa_from_str
from gem5.runtime import get_runtime_coherence_protocol, get_runtime_isa, get_supported_isas
from gem5.simulate.exit_event import ExitEvent
from gem5.simulate.exit_event_generators import (
    exit_generator,
    skip_generator,
    switch_generator,
    warn_default_decorator,
)
from gem5.utils.override import overrides
from gem5.utils.requires import requires
from simobjs.params.desc import is_simobject_class

pytestmark = pytest.mark.usefixtures("fresh_simulation")


def test_isas_and_runtime():
    assert get_supported_isas() == {ISA.X86}
    assert get_runtime_isa() is ISA.X86  # gem5 v22-v23, deprecated
    assert get_isa_from_str("X86") is ISA.X86
    with pytest.raises(Exception, match="Known ISAs:"):
        get_isa_from_str("vax")
    with pytest.raises(NotImplementedError, match="no Ruby"):
        get_runtime_coherence_protocol()


def test_requires_names_the_caller_and_what_is_missing(monkeypatch):
    requires(isa_required=ISA.X86)
    with pytest.raises(
        Exception,
        match=r"\[test_requires_names_the_caller_and_what_is_missing\] The required ISA is .ARM.",
    ):
        requires(isa_required=ISA.ARM)
    with pytest.raises(Exception, match="'MESI_TWO_LEVEL' is required, but simobjs has no Ruby"):
        requires(coherence_protocol_required=CoherenceProtocol.MESI_TWO_LEVEL)
    monkeypatch.setattr("os.access", lambda *a: False)
    with pytest.raises(Exception, match="KVM is required but is unavailable"):
        requires(kvm_required=True)


def test_cpu_types_and_memory_modes():
    assert get_cpu_type_from_str("Timing") is CPUTypes.TIMING
    assert get_mem_mode(CPUTypes.KVM) is MemMode.ATOMIC_NONCACHING
    assert mem_mode_to_string(MemMode.TIMING) == "timing"
    with pytest.raises(Exception, match="Known CPU Types:"):
        get_cpu_type_from_str("pipelined")
    for kind in (CPUTypes.O3, CPUTypes.MINOR):
        with pytest.raises(Exception, match="not modelled by simobjs"):
            SimpleCore(cpu_type=kind, core_id=0, isa=ISA.X86)
    assert SimpleCore.cpu_class_factory(CPUTypes.KVM, ISA.X86).__name__ == "X86KvmCPU"
    assert SimpleCore.cpu_class_factory(CPUTypes.ATOMIC, ISA.X86).__name__ == "X86AtomicSimpleCPU"


def test_every_simobjs_exit_cause_translates():
    causes = {
        "m5_exit instruction encountered": ExitEvent.EXIT,
        "exiting with last active thread context": ExitEvent.EXIT,
        "m5_fail instruction encountered": ExitEvent.FAIL,
        "checkpoint": ExitEvent.CHECKPOINT,
        "switchcpu": ExitEvent.SWITCHCPU,
        "workbegin": ExitEvent.WORKBEGIN,
        "workend": ExitEvent.WORKEND,
        "work started count reach": ExitEvent.WORKBEGIN,
        "work started on specific cpu": ExitEvent.WORKBEGIN,
        "work items exit count reached": ExitEvent.WORKEND,
        "simulate() limit reached": ExitEvent.MAX_TICK,
        "Tick exit reached": ExitEvent.SCHEDULED_TICK,
        "user interrupt received": ExitEvent.USER_INTERRUPT,
        "a thread reached the max instruction count": ExitEvent.MAX_INSTS,
        "all threads reached the max instruction count": ExitEvent.MAX_INSTS,
    }
    for cause, kind in causes.items():
        assert ExitEvent.translate_exit_status(cause) is kind
    with pytest.raises(NotImplementedError, match="Exit event 'my exit' not implemented"):
        ExitEvent.translate_exit_status("my exit")


def test_generators(capsys):
    assert next(exit_generator()) is True and next(skip_generator()) is False
    assert next(switch_generator(processor=object())) is False
    gen = warn_default_decorator(exit_generator, "thing", "exiting")()
    assert next(gen) is True
    assert "No behavior was set by the user for thing. Default behavior is exiting." in (
        capsys.readouterr().err
    )


def test_overrides_checks_the_base():
    class Base:
        def f(self):
            pass

    class Good(Base):
        @overrides(Base)
        def f(self):
            pass

    with pytest.raises(NotImplementedError, match="function g is an @override"):

        class Bad(Base):
            @overrides(Base)
            def g(self):
                pass


def _board(hierarchy):
    processor = SimpleProcessor(cpu_type=CPUTypes.ATOMIC, num_cores=2, isa=ISA.X86)
    memory = SingleChannelSimpleMemory(
        latency="30ns", latency_var="0ns", bandwidth="12.8GiB/s", size="32MiB"
    )
    return SimpleBoard(
        clk_freq="3GHz", processor=processor, memory=memory, cache_hierarchy=hierarchy
    )


def test_simple_board_wiring_with_no_cache():
    board = _board(NoCache())
    assert [(r.start, r.end) for r in board.mem_ranges] == [(0, 32 << 20)]
    assert board.get_cache_line_size() == 64 and not board.has_io_bus()
    with pytest.raises(Exception, match="not yet to be set"):
        board.is_fullsystem()
    with pytest.raises(NotImplementedError, match="does not have an IO Bus"):
        board.get_io_bus()
    board._pre_instantiate()
    with pytest.raises(Exception, match="already been called"):
        board._connect_things()
    membus = board.cache_hierarchy.membus
    assert type(membus.badaddr_responder).__name__ == "BadAddr"
    assert int(membus.width) == 64 and int(membus.max_routing_table_size) == 2048
    cores = board.get_processor().get_cores()
    assert [int(c.core.cpu_id) for c in cores] == [0, 1] and board.mem_mode == "atomic"
    assert all(len(c.core.interrupts) == 1 for c in cores)


def test_memory_size_must_match_the_range():
    memory = SingleChannelSimpleMemory(
        latency="30ns", latency_var="0ns", bandwidth="12.8GiB/s", size="32MiB"
    )
    with pytest.raises(Exception, match="single range which matches the memory's size"):
        memory.set_memory_range([m5.objects.AddrRange("16MiB")])


def test_two_level_hierarchy_declares_gem5s_tree(capsys):
    board = _board(PrivateL1PrivateL2CacheHierarchy("32KiB", "32KiB", "256KiB"))
    hierarchy = board.cache_hierarchy
    try:
        board._pre_instantiate()
    except Exception as e:  # the caches need the memory system's declarations
        assert "Cache" in str(e) and "not modelled" in str(e)
        pytest.skip("Cache is not declared on this tree yet")
    names = {n for n, _ in hierarchy.children_items()}
    assert {"l2-cache-0", "l1i-cache-1", "l1d-cache-0", "l2buses", "membus"} <= names
    assert int(getattr(hierarchy, "l2-cache-0").assoc) == 16
    assert "StridePrefetcher is not modelled" in capsys.readouterr().err


def test_a_gem5_module_simobjs_lacks_says_why():
    with pytest.raises(ModuleNotFoundError, match="full-system boards .* are not modelled"):
        from gem5.components.boards.x86_board import X86Board  # noqa: F401
    with pytest.raises(ImportError, match="Ruby is not modelled"):
        import gem5.components.cachehierarchies.ruby.mesi_two_level_cache_hierarchy  # noqa: F401


def test_dual_channel_memory_is_refused_with_the_reason():
    from gem5.components.memory import DualChannelDDR3_1600
    from gem5.simulate.simulator import Simulator

    if not is_simobject_class(getattr(m5.objects, "MemCtrl", None)):
        pytest.skip("MemCtrl is not declared on this tree yet")
    processor = SimpleProcessor(cpu_type=CPUTypes.ATOMIC, num_cores=1, isa=ISA.X86)
    board = SimpleBoard(
        clk_freq="3GHz",
        processor=processor,
        memory=DualChannelDDR3_1600(size="64MiB"),
        cache_hierarchy=NoCache(),
    )
    ranges = [c.dram.range for c in board.memory.mem_ctrl]
    assert [r.intlvMatch for r in ranges] == [0, 1]
    board._set_fullsystem(False)
    with pytest.raises(Exception, match="interleaved address ranges are not modelled"):
        Simulator(board=board, full_system=False).run()
