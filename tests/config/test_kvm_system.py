"""Acceptance: the gem5-style KVM system script and its config.ini/json."""

import json

import pytest
from config_helpers import load_config

from simobjs.config import config_ini, config_json, prepare, write_all


@pytest.fixture
def cfg():
    return load_config("config_kvm_system")


def sections(ini: str) -> dict[str, list[str]]:
    out = {}
    for block in ini.strip("\n").split("\n\n"):
        lines = block.split("\n")
        out[lines[0].strip("[]")] = lines[1:]
    return out


def test_root_block_exactly(cfg):
    root = cfg.build(1)
    prepare(root)
    ini = config_ini(root)
    assert ini.startswith(
        "[root]\n"
        "type=Root\n"
        "children=system\n"
        "eventq_index=0\n"
        "full_system=true\n"
        "sim_quantum=0\n"
        "time_sync_enable=false\n"
        "time_sync_period=100000000000\n"
        "time_sync_spin_threshold=100000000\n"
        "\n"
    )


def test_cpu_kvm_and_port_lines(cfg):
    root = cfg.build(1)
    prepare(root)
    s = sections(config_ini(root))
    cpu = s["system.cpu"]
    for line in [
        "type=X86KvmCPU",
        "children=decoder interrupts isa mmu power_state tracer",
        "hostFreq=500",
        "hostFactor=1.0",
        "alwaysSyncTC=false",
        "useCoalescedMMIO=false",
        "usePerf=true",
        "usePerfOverflow=false",
        "useXSave=true",
        "switched_out=false",
        "system=system",
        "clk_domain=system.clk_domain",
        "icache_port=system.membus.cpu_side_ports[1]",
        "dcache_port=system.membus.cpu_side_ports[2]",
    ]:
        assert line in cpu, line
    assert not any(ln.startswith("kvmVM=") for ln in cpu)  # gem5 v24 has no kvmVM param
    params = [ln for ln in cpu[2:] if not ln.endswith("_port") and "_port=" not in ln]
    assert params == sorted(params)
    assert cpu.index("useXSave=true") < cpu.index("dcache_port=system.membus.cpu_side_ports[2]")
    assert s["system.kvm_vm"] == ["type=KvmVM", "coalescedMMIO=", "eventq_index=0", "system=system"]
    assert (
        "cpu_side_ports=system.system_port system.cpu.icache_port system.cpu.dcache_port"
        in s["system.membus"]
    )
    assert "mem_side_ports=system.mem_ctrl.port system.uart.pio" in s["system.membus"]
    assert "type=CoherentXBar" in s["system.membus"]
    assert "mem_mode=atomic_noncaching" in s["system"]
    assert "memories=system.mem_ctrl" in s["system"]
    assert "range=0:536870912" in s["system.mem_ctrl"]
    assert "latency=30000" in s["system.mem_ctrl"]
    assert "clock=1000" in s["system.clk_domain"]
    assert "voltage=1.0" in s["system.clk_domain.voltage_domain"]
    assert "pio_addr=%d" % (0x8000000000000000 | 0x3F8) in s["system.uart"]
    assert "device=system.terminal" in s["system.uart"]
    assert "outfile=stdout" in s["system.terminal"]


def test_two_cpus_and_frozen_params(cfg):
    root = cfg.build(2)
    prepare(root)
    system = root.system
    assert [c.path() for c in system.cpu] == ["system.cpu0", "system.cpu1"]
    fp = system.cpu[1].frozen_params()
    assert fp["hostFreq"] == 500 and fp["hostFactor"] == 1.0 and fp["cpu_id"] == 1
    assert fp["system"] is system and "kvmVM" not in fp
    assert fp["clk_domain"] is system.clk_domain
    assert fp["interrupts"] == [system.cpu[1].interrupts[0]]
    assert system.frozen_params()["memories"] == [system.mem_ctrl]
    assert system.mem_ctrl.frozen_params()["range"].size() == 512 * 2**20
    assert system.clk_domain.frozen_params()["clock"] == [1000]
    assert "children=clk_domain cpu0 cpu1 dvfs_handler" in config_ini(root)


def test_json_layout(cfg):
    root = cfg.build(1)
    prepare(root)
    d = json.loads(config_json(root))
    assert d["type"] == "Root" and d["name"] is None and d["path"] == "root"
    sysd = d["system"]
    assert sysd["cxx_class"] == "gem5::System"
    assert sysd["mem_ranges"] == ["0:536870912"]
    assert sysd["workload"]["type"] == "X86BareMetalWorkload"  # child replaces the path
    cpu = sysd["cpu"][0]  # a one-element vector child is a list
    assert cpu["hostFreq"] == 500 and cpu["usePerf"] is True
    assert cpu["dcache_port"] == {
        "role": "GEM5 REQUESTOR",
        "peer": "system.membus.cpu_side_ports[2]",
        "is_source": "True",
    }
    assert sysd["membus"]["mem_side_ports"]["peer"] == ["system.mem_ctrl.port", "system.uart.pio"]
    assert sysd["membus"]["mem_side_ports"]["is_source"] == "True"
    assert sysd["mem_ctrl"]["port"]["is_source"] == "False"


def test_write_all(cfg, tmp_path):
    root = cfg.build(1)
    files = write_all(root, tmp_path / "m5out")
    names = {f.name for f in files}
    assert {"config.ini", "config.json", "config.dot"} <= names
    dot = (tmp_path / "m5out" / "config.dot").read_text()
    assert dot.startswith("digraph") and '"system.cpu" -> "system.membus"' in dot


def test_frozen_after_prepare(cfg):
    root = cfg.build(1)
    prepare(root)
    with pytest.raises(RuntimeError, match="frozen"):
        root.system.cpu[0].hostFactor = 2.0
    with pytest.raises(AttributeError, match="Not allowed to set hostFactor"):
        root.system.cpu.hostFactor = 2.0
    cpu = root.system.cpu[0]
    with pytest.raises(Exception, match="not built yet"):
        cpu.getCCObject()
    cpu._ccobject = object()
    assert cpu.getCCObject() is cpu._ccobject


def test_switch_config_wires_the_interrupt_path():
    root = load_config("config_kvm_switch").build("g.elf")
    prepare(root)
    s = sections(config_ini(root))
    # gem5 prints a vector port's unconnected hole (input 1 here) as None
    assert "inputs=system.pit.int_pin None system.pic2.output" in s["system.pic"]
    assert "output=system.cpu.interrupts.lint0" in s["system.pic"]
    assert "lint0=system.pic.output" in s["system.cpu.interrupts"]
    assert "mode=I8259Master" in s["system.pic"] and "slave=system.pic2" in s["system.pic"]
    assert "output=system.pic.inputs[2]" in s["system.pic2"]
    assert "switched_out=true" in s["system.switch_cpus"]
    assert "isa=system.cpu.isa" in s["system.switch_cpus"]
    assert not any(line.startswith("dcache_port=") for line in s["system.switch_cpus"])
    binding = root.system.cpu.interrupts[0].port_bindings()
    assert [(b.port, b.peer.path(), b.peer_port) for b in binding] == [
        ("lint0", "system.pic", "output")
    ]
