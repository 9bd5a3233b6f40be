"""The catalog: gem5 names, defaults, model strings, CPU helpers, m5.objects."""

import importlib

import pytest

import m5.objects
from simobjs.config import config_ini, prepare
from simobjs.errors import ConfigError
from simobjs.objects import (
    I8254,
    I8259,
    AtomicSimpleCPU,
    BaseKvmCPU,
    KvmVM,
    Root,
    SimpleMemory,
    SrcClockDomain,
    System,
    SystemXBar,
    Terminal,
    VoltageDomain,
    X86AtomicSimpleCPU,
    X86BareMetalWorkload,
    X86KvmCPU,
    X86LocalApic,
    catalog,
    concrete,
    x86IOAddress,
)

MODELS = {
    "Root": "simobjs.sim.root:Root",
    "System": "simobjs.sim.system:System",
    "SrcClockDomain": "simobjs.sim.clock_domain:SrcClockDomain",
    "VoltageDomain": "simobjs.sim.clock_domain:VoltageDomain",
    "SystemXBar": "simobjs.mem.xbar:XBar",
    "IOXBar": "simobjs.mem.xbar:XBar",
    "SimpleMemory": "simobjs.mem.simple_mem:SimpleMemory",
    "KvmVM": "simobjs.cpu.kvm.vm:KvmVM",
    "X86KvmCPU": "simobjs.cpu.kvm.x86_cpu:X86KvmCPU",
    "X86AtomicSimpleCPU": "simobjs.cpu.reference.cpu:X86AtomicSimpleCPU",
    "X86LocalApic": "simobjs.arch.x86.interrupts:X86LocalApic",
    "X86ISA": "simobjs.sim.model:Model",
    "X86MMU": "simobjs.sim.model:Model",
    "Uart8250": "simobjs.dev.uart:Uart8250",
    "Terminal": "simobjs.dev.terminal:Terminal",
    "I8254": "simobjs.dev.pit:I8254",
    "I8259": "simobjs.dev.pic:I8259",
    "X86BareMetalWorkload": "simobjs.arch.x86.workload:X86BareMetalWorkload",
}


def test_model_strings():
    cat = catalog()
    for name, model in MODELS.items():
        assert cat[name]._model == model, name
    for name, cls in concrete().items():
        mod, _, attr = cls._model.partition(":")
        assert mod.startswith("simobjs.") and attr, name


def test_cpu_classmethods():
    assert BaseKvmCPU.memory_mode() == "atomic_noncaching"
    assert X86KvmCPU.require_caches() is False and X86KvmCPU.support_take_over() is True
    assert X86AtomicSimpleCPU.memory_mode() == "atomic" and AtomicSimpleCPU is X86AtomicSimpleCPU
    assert X86AtomicSimpleCPU.type == "BaseAtomicSimpleCPU"
    assert BaseKvmCPU.abstract and not X86KvmCPU.abstract


def test_defaults_match_gem5():
    cpu = X86KvmCPU()
    assert cpu.hostFreq.ini_str() == "500" and float(cpu.hostFactor) == 1.0
    assert bool(cpu.usePerf) and bool(cpu.useXSave) and not bool(cpu.alwaysSyncTC)
    assert int(cpu.cpu_id) == -1 and int(cpu.numThreads) == 1
    s = System()
    assert str(s.mem_mode) == "atomic" and int(s.cache_line_size) == 64
    assert int(s.m5ops_base) == 0xFFFF0000
    mem = SimpleMemory()
    assert mem.range.size() == 128 * 2**20 and bool(mem.kvm_map)
    bus = SystemXBar()
    assert (int(bus.width), int(bus.frontend_latency), int(bus.forward_latency)) == (16, 3, 4)
    assert Terminal().outfile == "file"
    assert x86IOAddress(0x3F8) == 0x80000000000003F8


def test_terminal_outfile_values():
    for v in ["none", "stdoutput", "stderror", "file", "stdout", "both"]:
        assert Terminal(outfile=v).outfile == v
    with pytest.raises(ConfigError, match="Enum param got bad value 'stdio'"):
        Terminal(outfile="stdio")


def test_create_threads_and_interrupt_controller():
    cpu = X86KvmCPU(numThreads=1)
    cpu.createThreads()
    cpu.createInterruptController()
    assert type(cpu.isa[0]).__name__ == "X86ISA"
    assert cpu.decoder[0].isa is cpu.isa[0]
    assert isinstance(cpu.interrupts[0], X86LocalApic)
    with pytest.raises(RuntimeError, match="Decoders should not be set up manually"):
        cpu.createThreads()


def test_connect_bus_wires_interrupt_ports():
    system = System(mem_mode="atomic_noncaching")
    system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
    system.membus = SystemXBar()
    system.kvm_vm = KvmVM()
    system.cpu = X86KvmCPU()
    system.cpu.createThreads()
    system.cpu.createInterruptController()
    system.cpu.connectBus(system.membus)
    root = Root(full_system=True, system=system)
    ini = config_ini(root)
    assert "int_requestor=system.membus.cpu_side_ports[2]" in ini
    assert "pio=system.membus.mem_side_ports[0]" in ini
    assert "int_responder=system.membus.mem_side_ports[1]" in ini


def test_pic_and_pit_wiring():
    system = System()
    system.pic = I8259(pio_addr=x86IOAddress(0x20), mode="I8259Master")
    system.pit = I8254(pio_addr=x86IOAddress(0x40))
    system.pit.int_pin = system.pic.inputs
    system.lapic = X86LocalApic()
    system.lapic.lint0 = system.pic.output
    Root(full_system=True, system=system)
    assert str(system.pic.inputs[0].peer) == "system.pit.int_pin"
    assert str(system.lapic.lint0.peer) == "system.pic.output"
    assert system.pic.slave is m5.objects.NULL
    with pytest.raises(ConfigError, match="I8259Cascade"):
        I8259(mode="I8259Cascade")


def test_m5_objects_namespace():
    ns = {}
    exec("from m5.objects import *", ns)
    for name in [
        "System",
        "Param",
        "VectorParam",
        "AddrRange",
        "NULL",
        "Parent",
        "Self",
        "MaxAddr",
        "AllMemory",
        "RequestPort",
        "VectorResponsePort",
        "IntSourcePin",
        "os",
        "sys",
        "X86KvmCPU",
    ]:
        assert name in ns, name
    # named in an expression it is a stand-in (gem5's MemConfig.py asks
    # issubclass(intf, m5.objects.NVMInterface)); using it fails with the reason
    o3 = m5.objects.DerivO3CPU
    assert not issubclass(m5.objects.DDR3_1600_8x8, m5.objects.NVMInterface)
    with pytest.raises(ConfigError, match="DerivO3CPU is a gem5 object not modelled by simobjs"):
        o3()
    with pytest.raises(ConfigError, match="HeteroMemCtrl is a gem5 object not modelled by simobjs"):
        m5.objects.HeteroMemCtrl(dram=m5.objects.DDR3_1600_8x8())
    # the probes gem5's ObjectList.py uses say it is not there
    assert not hasattr(m5.objects, "RubySystem")
    assert getattr(m5.objects, "IndirectPredictor", None) is None
    name = "RubySystem"
    with pytest.raises(ConfigError, match="RubySystem is a gem5 object not modelled by simobjs"):
        getattr(m5.objects, name)
    ns = {}
    exec("from m5.objects import MinorCPU", ns)  # imports; using it fails
    with pytest.raises(ConfigError, match="MinorCPU is a gem5 object not modelled by simobjs"):
        ns["MinorCPU"]()


def test_workload_object_file_required():
    w = X86BareMetalWorkload(object_file="/tmp/x.elf")
    assert str(w.object_file) == "/tmp/x.elf"


def test_m5_util(tmp_path, monkeypatch, capsys):
    util = importlib.import_module("m5.util")
    monkeypatch.setattr("sys.path", [str(tmp_path)] + ["x"])
    util.addToPath("../common")
    import sys

    assert sys.path[1] == str((tmp_path / ".." / "common").resolve())
    util.warn("careful %d", 3)
    assert capsys.readouterr().err == "warn: careful 3\n"
    with pytest.raises(SystemExit) as e:
        util.fatal("bad thing %s", "here")
    assert e.value.code == 1
    assert capsys.readouterr().err == "fatal: bad thing here\n"


def test_full_prepare_of_reference_cpu_system():
    system = System(mem_mode="atomic")
    system.clk_domain = SrcClockDomain(clock="2GHz", voltage_domain=VoltageDomain())
    system.membus = SystemXBar()
    system.mem = SimpleMemory(range="256MiB", port=system.membus.mem_side_ports)
    system.cpu = X86AtomicSimpleCPU()
    system.cpu.createThreads()
    system.cpu.createInterruptController()
    system.cpu.icache_port = system.membus.cpu_side_ports
    system.cpu.dcache_port = system.membus.cpu_side_ports
    system.workload = X86BareMetalWorkload(object_file="guest.elf")
    root = Root(full_system=True, system=system)
    prepare(root)
    assert system.cpu.frozen_params()["clk_domain"].frozen_params()["clock"] == [500]
    assert "mmu=system.cpu.mmu" in config_ini(root)


def test_deprecated_port_names(capsys):
    bus = SystemXBar()
    mem = SimpleMemory()
    mem.port = bus.master
    assert "`master` is now called `mem_side_ports`" in capsys.readouterr().err
    assert str(bus.mem_side_ports[0].peer).endswith(".port")
    cpu = X86KvmCPU()
    cpu.icache_port = bus.slave
    assert len(bus.cpu_side_ports) == 1


def test_switch_cpu_pattern_from_simulation_py():
    system = System(mem_mode="atomic_noncaching")
    system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
    system.membus = SystemXBar()
    system.mem = SimpleMemory(port=system.membus.mem_side_ports)
    system.kvm_vm = KvmVM()
    system.cpu = [X86KvmCPU(cpu_id=0)]
    system.cpu[0].createThreads()
    system.cpu[0].createInterruptController()
    system.cpu[0].connectBus(system.membus)
    root = Root(full_system=True, system=system)
    switch = [X86AtomicSimpleCPU(switched_out=True, cpu_id=0)]
    switch[0].system = system
    switch[0].workload = system.cpu[0].workload
    switch[0].clk_domain = system.cpu[0].clk_domain
    switch[0].isa = system.cpu[0].isa
    switch[0].createThreads()
    system.switch_cpus = switch
    for obj in system.cpu[0].descendants():
        obj.eventq_index = 0
    system.cpu[0].eventq_index = 1
    root.sim_quantum = int(1e9)
    prepare(root)
    ini = config_ini(root)
    assert "[system.switch_cpus]\ntype=BaseAtomicSimpleCPU\n" in ini
    assert "isa=system.cpu.isa\n" in ini
    assert "sim_quantum=1000000000\n" in ini
    assert system.switch_cpus[0].frozen_params()["isa"] == [system.cpu[0].isa[0]]
    assert system.cpu[0].frozen_params()["eventq_index"] == 1
    assert system.cpu[0].isa[0].frozen_params()["eventq_index"] == 0


def test_model_methods_are_forwarded_once_built():
    cpu = X86KvmCPU()
    with pytest.raises(AttributeError, match="C\\+\\+ object is not yet constructed"):
        cpu.switchOut()

    class FakeModel:
        def switchedOut(self):
            return True

    cpu._ccobject = FakeModel()
    assert cpu.switchedOut() is True
