"""BaseCPU: instruction-count events, takeover checks, thread contexts, checkpoint layout."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "sim"))
from kernel_models import DemoCPU, make_root  # noqa: E402

from simobjs.config import build
from simobjs.cpu.base import BaseCPU as BaseCPUModel  # noqa: E402
from simobjs.cpu.base import InstCountQueue, Status  # noqa: E402
from simobjs.errors import ConfigError, SimulationError  # noqa: E402
from simobjs.params.simobject import reset_for_tests  # noqa: E402

pytestmark = pytest.mark.usefixtures("fresh_simulation")


def _one_cpu(tmp_path, **params):
    root = make_root()
    root.system.cpu = DemoCPU(cpu_id=0, **params)
    root.system.cpu.dcache_port = root.system.mem.port
    sim = build.instantiate(root, outdir=str(tmp_path))
    return sim, root.system.cpu.getCCObject()


def test_max_insts_any_thread_stops_exactly(tmp_path):
    sim, cpu = _one_cpu(tmp_path, max_insts_any_thread=1234)
    ev = sim.simulate()
    assert ev.getCause() == "a thread reached the max instruction count"
    assert cpu.totalInsts() == 1234 and cpu.thread.getCurrentInstCount() == 1234


def test_max_insts_all_threads(tmp_path):
    sim, cpu = _one_cpu(tmp_path, max_insts_all_threads=55)
    assert sim.simulate().getCause() == "all threads reached the max instruction count"
    assert cpu.totalInsts() == 55


def test_inst_count_queue_orders_and_fires_once():
    q, fired = InstCountQueue(), []
    q.schedule(30, lambda: fired.append(30))
    q.schedule(10, lambda: fired.append(10))
    assert q.next_count() == 10
    q.advance(9)
    assert fired == []
    q.advance(25)
    assert fired == [10, 30] and q.next_count() is None and q.count == 34


def test_stats_and_registers(tmp_path):
    sim, cpu = _one_cpu(tmp_path)
    sim.simulate(100_000)  # 100 cycles at 1 GHz, 10 insts each
    assert cpu.numCycles.value() == 100 and cpu.numInsts.value() == 1000
    assert cpu.ipc.value() == 10.0
    tc = cpu.thread
    tc.setReg("rax", 0x1234)
    tc.setReg("rip", 0x401000)
    assert tc.getReg("rax") == 0x1234 and tc.pcState() == 0x401000
    assert tc.status() == Status.Active and cpu.memory_mode() == "atomic"
    cpu.suspendContext()
    assert tc.status() == Status.Suspended
    cpu.wakeup()
    assert tc.status() == Status.Active
    lines = [x for x in sim.stats.text().splitlines() if x.startswith("system.cpu.")]
    names = [x.split()[0] for x in lines]
    assert names[:5] == [
        "system.cpu.numCycles",
        "system.cpu.cpi",
        "system.cpu.ipc",
        "system.cpu.numWorkItemsStarted",
        "system.cpu.numWorkItemsCompleted",
    ]
    assert "system.cpu.commitStats0.numInsts" in names
    ipc = next(x for x in lines if x.startswith("system.cpu.ipc "))
    assert ipc.split()[1] == "10.000000" and ipc.endswith(
        "# IPC: instructions per cycle (core level) ((Count/Cycle))"
    )


def test_take_over_checks(tmp_path):
    root = make_root()
    root.system.cpu = DemoCPU(cpu_id=0)
    root.system.cpu.dcache_port = root.system.mem.port
    root.system.other = DemoCPU(cpu_id=3, switched_out=True)
    root.system.spare = DemoCPU(cpu_id=0, switched_out=True)
    build.instantiate(root, outdir=str(tmp_path))
    cpu, other, spare = (getattr(root.system, n).getCCObject() for n in ("cpu", "other", "spare"))
    with pytest.raises(ConfigError) as info:
        other.takeOverFrom(cpu)
    text = str(info.value)
    assert "cpu_id 3 differs from system.cpu's cpu_id 0" in text
    assert "system.cpu has not been switched out" in text
    cpu.switchOut()
    with pytest.raises(SimulationError, match="already switched out"):
        cpu.switchOut()
    spare.takeOverFrom(cpu)
    assert not spare.switchedOut() and spare.dcache_port.peer is not None


def test_checkpoint_sections(tmp_path):
    sim, cpu = _one_cpu(tmp_path)
    sim.simulate(10_000)
    cpu.thread.setReg("rax", 77)
    path = sim.checkpoint(str(tmp_path / "cpt"))
    text = open(os.path.join(path, "m5.cpt")).read()
    assert f"[system.cpu]\ninstCnt={cpu.totalInsts()}\n_pid=18446744073709551615\n" in text
    assert "[system.cpu.xc.0]\n_status=0\n" in text and "rax=77" in text


def test_thread_state_survives_a_checkpoint(tmp_path):
    sim, cpu = _one_cpu(tmp_path)
    sim.simulate(10_000)
    cpu.thread.setReg("rax", 77)
    rip, insts = cpu.thread.pcState(), cpu.totalInsts()
    path = sim.checkpoint(str(tmp_path / "cpt"))
    sim.close()
    reset_for_tests()
    root = make_root()
    root.system.cpu = DemoCPU(cpu_id=0)
    root.system.cpu.dcache_port = root.system.mem.port
    sim2 = build.instantiate(root, ckpt_dir=path, outdir=str(tmp_path / "again"))
    cpu2 = root.system.cpu.getCCObject()
    assert cpu2.thread.getReg("rax") == 77 and cpu2.thread.pcState() == rip
    assert cpu2.totalInsts() == insts and cpu2.thread.status() == Status.Active
    sim2.simulate(1000)
    assert cpu2.thread.pcState() > rip


def test_default_thread_serialization_uses_gem5s_layout(tmp_path):
    import kernel_models

    class PlainCPUModel(kernel_models.DemoCPUModel):
        serializeThread = BaseCPUModel.serializeThread
        unserializeThread = BaseCPUModel.unserializeThread

    kernel_models.PlainCPUModel = PlainCPUModel

    class PlainCPU(DemoCPU):
        type = "PlainCPU"
        _model = "kernel_models:PlainCPUModel"

    root = make_root()
    root.system.cpu = PlainCPU(cpu_id=0)
    root.system.cpu.dcache_port = root.system.mem.port
    sim = build.instantiate(root, outdir=str(tmp_path))
    cpu = root.system.cpu.getCCObject()
    sim.simulate(5000)
    cpu.state.set_reg("r15", 0x1122334455667788)
    cpu.state.cr3 = 0x9000
    expected = cpu.get_state()
    path = sim.checkpoint(str(tmp_path / "cpt"))
    text = open(os.path.join(path, "m5.cpt")).read()
    assert "[system.cpu.xc.0]\n_status=0\nregs.integer=" in text
    assert "[system.cpu.isa]\n" in text and "isaName=x86" in text
    sim.close()
    reset_for_tests()
    root = make_root()
    root.system.cpu = PlainCPU(cpu_id=0)
    root.system.cpu.dcache_port = root.system.mem.port
    build.instantiate(root, ckpt_dir=path, outdir=str(tmp_path / "b"))
    got = root.system.cpu.getCCObject().get_state()
    assert got.diff(expected) == []
