"""The System model: memory mode, RAM lookup, thread registry."""

import pytest
from kernel_models import make_root

from simobjs.config import build
from simobjs.errors import SimulationError


def test_system_runtime_services(tmp_path):
    root = make_root(mem_size="8MiB")
    build.instantiate(root, outdir=str(tmp_path))
    system = root.system.getCCObject()
    ram = root.system.mem.getCCObject().ram
    assert system.getMemoryMode() == "atomic" and system.isAtomicMode()
    system.setMemoryMode("atomic_noncaching")
    assert system.bypassCaches()
    with pytest.raises(ValueError, match="unknown memory mode"):
        system.setMemoryMode("fast")
    assert system.guest_ram_at(0x1000, 8) is ram and system.rams() == [ram]
    with pytest.raises(SimulationError, match="no guest RAM at 0x800000"):
        system.guest_ram_at(8 << 20)
    assert system.m5ops_base == 0xFFFF0000
    tc_a, tc_b = object(), object()
    assert system.registerThreadContext(tc_a) == 0
    assert system.registerThreadContext(tc_b, 3) == 3 and system.numContexts() == 4
    with pytest.raises(SimulationError, match="context id 3 registered twice"):
        system.registerThreadContext(object(), 3)
    system.setKvmVM("vm")
    assert system.getKvmVM() == "vm"
