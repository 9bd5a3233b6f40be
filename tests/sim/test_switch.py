"""m5.switchCpus: gem5's checks and messages, then drain, switch out, take over."""

import pytest
from kernel_models import DemoCPU, DemoKvmLikeCPU, NoHandoverCPU, make_root

import m5
from simobjs.config import build
from simobjs.errors import ConfigError


def _system(tmp_path, new_cls=DemoCPU, **extra):
    root = make_root()
    sysd = root.system
    sysd.cpu = DemoCPU(cpu_id=0)
    sysd.cpu.dcache_port = sysd.mem.port
    sysd.switch_cpu = new_cls(cpu_id=0, switched_out=True)
    for k, v in extra.items():
        setattr(sysd, k, v)
    build.instantiate(root, outdir=str(tmp_path))
    return root


def test_switch_moves_threads_ports_and_state(tmp_path, capsys):
    root = _system(tmp_path)
    old, new = root.system.cpu.getCCObject(), root.system.switch_cpu.getCCObject()
    mem = root.system.mem.getCCObject()
    m5.simulate(10_000)
    rip, insts = old.state.rip, old.totalInsts()
    assert insts > 0 and old.dcache_port.peer is mem.port
    m5.switchCpus(root.system, [(root.system.cpu, root.system.switch_cpu)])
    assert "switching cpus" in capsys.readouterr().out
    assert old.switchedOut() and not new.switchedOut()
    assert new.dcache_port.peer is mem.port and mem.port.peer is new.dcache_port
    assert old.dcache_port.peer is None
    assert new.state.rip == rip and new.thread.contextId() == 0
    assert root.system.getCCObject().threads[0] is new.thread
    m5.simulate(10_000)
    assert new.totalInsts() > 0 and old.totalInsts() == insts
    # and back again
    m5.switchCpus(root.system, [(new, old)], verbose=False)
    assert old.dcache_port.peer is mem.port and not old.switchedOut()


def test_switch_to_noncaching_writes_back_and_invalidates(tmp_path):
    root = _system(tmp_path, DemoKvmLikeCPU)
    mem = root.system.mem.getCCObject()
    m5.simulate(1000)
    m5.switchCpus(root.system, [(root.system.cpu, root.system.switch_cpu)])
    assert root.system.getCCObject().getMemoryMode() == "atomic_noncaching"
    assert mem.writebacks == 1 and mem.invalidates == 1


@pytest.mark.parametrize(
    "make_list, exc, message",
    [
        (lambda s: (s.cpu, s.switch_cpu), RuntimeError, "Must pass a list to this function"),
        (lambda s: [(s.cpu,)], RuntimeError, r"List must have tuples of \(oldCPU,newCPU\)"),
        (lambda s: [(s.cpu, s.mem)], TypeError, "system.mem is not of type BaseCPU"),
        (
            lambda s: [(s.switch_cpu, s.cpu)],
            RuntimeError,
            r"New CPU \(system.cpu\) is already active.",
        ),
        (
            lambda s: [(s.cpu, s.switch_cpu), (s.switch_cpu, s.cpu)],
            RuntimeError,
            r"is in the list of old CPUs",
        ),
    ],
)
def test_gem5_checks(tmp_path, make_list, exc, message):
    root = _system(tmp_path)
    with pytest.raises(exc, match=message) as info:
        m5.switchCpus(root.system, make_list(root.system))
    assert isinstance(info.value, ConfigError)
    assert not root.system.cpu.getCCObject().switchedOut()  # nothing happened


def test_new_cpu_without_handover(tmp_path):
    root = _system(tmp_path, NoHandoverCPU)
    with pytest.raises(RuntimeError, match="does not support CPU handover"):
        m5.switchCpus(root.system, [(root.system.cpu, root.system.switch_cpu)])


def test_mixed_memory_modes_and_inactive_old(tmp_path):
    root = _system(
        tmp_path,
        other=DemoKvmLikeCPU(cpu_id=1, switched_out=True),
        third=DemoCPU(cpu_id=1, switched_out=True),
    )
    s = root.system
    with pytest.raises(RuntimeError, match="require different memory modes"):
        m5.switchCpus(s, [(s.cpu, s.switch_cpu), (s.cpu, s.other)])
    with pytest.raises(RuntimeError, match=r"Old CPU \(system.third\) is inactive."):
        m5.switchCpus(s, [(s.third, s.switch_cpu)])
