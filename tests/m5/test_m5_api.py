"""The breadth of gem5's m5 namespace: defines, internal.params, options, the
SimObject module, fork, stats visitors, param formats, and gem5's object names
that simobjs does not model."""

import inspect
import json
import sys
from pathlib import Path

import pytest
import yaml

import m5
import m5.internal.params
import m5.objects
from simobjs.base import ticks
from simobjs.config import config_ini, config_json, prepare
from simobjs.errors import ConfigError, NotModelledError, UnsupportedError
from simobjs.params.simobject import reset_for_tests
from simobjs.sim import stat_control

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.fixture(autouse=True)
def _fresh():
    reset_for_tests()
    yield
    m5.close()
    reset_for_tests()
    ticks.unfixGlobalFrequency()
    stat_control.extra_outputs.clear()


def test_build_env_is_an_x86_kvm_build_without_ruby():
    env = m5.defines.buildEnv
    assert env["USE_X86_ISA"] and env["BUILD_ISA"] and env["USE_KVM"] and env["KVM_ISA"] == "x86"
    isas = ("ARM", "MIPS", "POWER", "RISCV", "SPARC")
    assert not any(env[f"USE_{isa}_ISA"] for isa in isas)
    assert env["TARGET_ISA"] == "x86" and not env["RUBY"] and "PROTOCOL" not in env
    # configs/ruby/Ruby.py (se.py --ruby) reads it: the error says why it is not there
    with pytest.raises(KeyError, match="Ruby is not modelled by simobjs"):
        env["PROTOCOL"]
    with pytest.raises(KeyError):
        env["NO_SUCH_KEY"]
    enabled = [v for v in env if v.startswith("USE_") and v.endswith("_ISA") and env[v]]
    assert enabled == ["USE_X86_ISA"]  # what gem5's O3CPU.py/MinorCPU.py filter on


def _subclasses_in_m5_objects(base):
    """How gem5's configs/common/ObjectList.py enumerates a family."""

    def is_obj_class(cls):
        try:
            return (
                issubclass(cls, base)
                and not cls.abstract
                and not issubclass(cls, m5.objects.CheckerCPU)
            )
        except (TypeError, AttributeError):
            return False

    return [name for name, _ in inspect.getmembers(m5.objects, is_obj_class)]


def test_object_families_enumerate_as_gem5s_object_list_does():
    cpus = _subclasses_in_m5_objects(getattr(m5.objects, "BaseCPU", None))
    assert {"X86KvmCPU", "X86AtomicSimpleCPU", "AtomicSimpleCPU"} <= set(cpus)
    assert "SimpleMemory" in _subclasses_in_m5_objects(m5.objects.AbstractMemory)
    assert "LRURP" in _subclasses_in_m5_objects(m5.objects.BaseReplacementPolicy)
    assert getattr(m5.objects, "BaseTrafficGen", None) is None  # a family simobjs lacks
    assert not hasattr(m5.objects, "ArmCPU") and hasattr(m5.objects, "X86CPU")
    assert issubclass(m5.objects.X86KvmCPU, m5.objects.X86CPU)
    members = m5.internal.params.enum_AddrMap.__members__
    assert [k for k in members if not k.startswith("Num_")] == [
        "RoRaBaChCo",
        "RoRaBaCoCh",
        "RoCoRaBaCh",
    ]
    mode = m5.internal.params.enum_MemoryMode
    assert mode(3).name == "atomic_noncaching" and mode.Num_MemoryMode == 4
    assert "enum_X86I8259CascadeMode" in dir(m5.internal.params)
    assert getattr(m5.internal.params, "enum_NoSuchEnum", None) is None


def test_unmodelled_gem5_objects_say_so_wherever_they_are_named():
    with pytest.raises(
        NotModelledError,
        match=r"DerivO3CPU is a gem5 object not modelled by "
        r"simobjs \(gem5 v24.0.0.1: m5.objects.O3CPU\). Use instead: "
        r"X86AtomicSimpleCPU, X86KvmCPU",
    ):
        m5.objects.DerivO3CPU()
    ns: dict = {}
    exec("from m5.objects import *\nfrom m5.objects import IdeDisk, Cache as C", ns)
    assert "Cache" in ns and ns["C"] is ns["Cache"]
    with pytest.raises(NotModelledError, match="IdeDisk is a gem5 object not modelled"):
        ns["IdeDisk"](driveID="device0")
    exec("class MyDisk(IdeDisk):\n    driveID = 'device1'\n", ns)  # declaring a subclass works
    assert ns["MyDisk"].driveID == "device1"
    with pytest.raises(NotModelledError, match="MyDisk derives from IdeDisk is a gem5 object"):
        ns["MyDisk"]()
    with pytest.raises(ImportError, match="neither gem5 v24.0.0.1 nor simobjs has one"):
        exec("from m5.objects import X86KvmCPUU", {})
    with pytest.raises(AttributeError, match="Did you mean X86KvmCPU"):
        _ = m5.objects.X86KvmCPUU


def test_gem5_per_file_modules_hold_the_modelled_classes():
    from m5.objects.SimpleMemory import SimpleMemory
    from m5.objects.X86CPU import X86O3CPU, X86AtomicSimpleCPU

    assert SimpleMemory is m5.objects.SimpleMemory  # the class is not replaced by the module
    assert X86AtomicSimpleCPU is m5.objects.X86AtomicSimpleCPU
    with pytest.raises(NotModelledError, match="X86O3CPU is a gem5 object"):
        X86O3CPU()
    ns: dict = {}
    exec("from m5.objects.ReplacementPolicies import *", ns)
    assert ns["LRURP"] is m5.objects.LRURP  # modelled: the class itself
    exec("from m5.objects.Prefetcher import *", ns)
    with pytest.raises(NotModelledError, match="StridePrefetcher is a gem5 object not modelled"):
        ns["StridePrefetcher"]()


def test_fork_is_refused_with_the_reason():
    with pytest.raises(UnsupportedError, match="guest RAM is a shared mapping"):
        m5.fork()
    assert m5.fork_count == 0 and m5.listenersDisabled()
    m5.disableAllListeners()


def test_module_aliases_and_re_exports():
    import m5.options as options_module_name

    assert options_module_name is m5.options and m5.options.outdir == "m5out"
    assert m5.SimObject.SimObject is m5.objects.SimObject
    assert m5.SimObject.isSimObjectClass(m5.objects.System)
    assert m5.fatal is m5.util.fatal and m5.warn is m5.util.warn
    with pytest.raises(SystemExit):
        m5.panic("stop")
    with pytest.raises(UnsupportedError, match="no C\\+\\+ side"):
        m5.SimObject.cxxMethod(lambda self: None)


def _small_root():
    from m5.objects import Root, SrcClockDomain, System, Terminal, VoltageDomain

    root = Root(full_system=False)
    root.system = System()
    root.system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
    root.system.terminal = Terminal(port=3456)
    return root


def test_ticks_until_max_and_stat_visitors(tmp_path):
    _small_root()
    m5.stats.addStatVisitor("text://plain.txt?desc=False;spaces=False")
    m5.stats.addStatVisitor("json://extra.json")
    m5.stats.addStatVisitor("stats.txt")  # the default: written once, not twice
    with pytest.raises(SystemExit):
        m5.stats.addStatVisitor("h5://stats.h5")
    m5.instantiate(outdir=str(tmp_path))
    m5.setMaxTick(10_000)
    assert m5.getTicksUntilMax() == 10_000
    m5.simulate(4000)  # the limit moves to curTick() + 4000, as in gem5
    m5.setMaxTick(9000)
    assert m5.getTicksUntilMax() == 5000
    m5.stats.dump()
    assert (tmp_path / "stats.txt").read_text().count("Begin Simulation Statistics") == 1
    plain = (tmp_path / "plain.txt").read_text().splitlines()
    assert "simTicks 4000" in plain and not any(" # " in line for line in plain)
    dumps = json.loads((tmp_path / "extra.json").read_text())
    assert dumps[0]["tick"] == 4000 and dumps[0]["stats"]["simTicks"]["value"] == 4000


def test_gem5_v23_param_formats():
    from m5.objects import PcCountPair
    from m5.params import NULL

    root = _small_root()
    prepare(root)
    ini = config_ini(root)
    assert "port=#3456" in ini
    assert json.loads(config_json(root))["system"]["terminal"]["port"] == "#3456"
    assert str(PcCountPair(0x401000, 2)) == "(4198400,2)" and PcCountPair(1, 2) == PcCountPair(1, 2)
    assert str(NULL) == "Null"


def test_kvm_cpus_have_no_kvmvm_param_but_old_scripts_still_set_it():
    from m5.objects import KvmVM, Root, System, X86KvmCPU

    assert "kvmVM" not in X86KvmCPU._params
    system = System()
    system.cpu = X86KvmCPU()
    system.cpu.kvmVM = KvmVM()  # pre-v22 style: the VM becomes the CPU's child
    root = Root(full_system=True, system=system)
    assert system.cpu.kvmVM.path() == "system.cpu.kvmVM"
    other = System()
    other.kvm_vm = KvmVM()
    other.cpu = X86KvmCPU()
    other.cpu.kvmVM = other.kvm_vm  # already placed: accepted as is
    with pytest.raises(ConfigError, match="'kvmVM' takes a KvmVM"):
        other.cpu.kvmVM = System()
    with pytest.raises(ConfigError) as e:
        prepare(root)  # other problems (ports, clocks), but none about the VM
    assert not any("KvmVM" in str(p) for p in e.value.problems)


def test_a_yaml_config_may_still_name_kvmvm():
    from simobjs.config.yaml_loader import load_document

    doc = yaml.safe_load((CONFIGS / "config_kvm_system.yaml").read_text())
    cpu = doc["root"]["children"]["system"]["children"]["cpu"][0]
    cpu.setdefault("params", {})["kvmVM"] = "@system.kvm_vm"
    root = load_document(doc)
    prepare(root)
    assert not any(line.startswith("kvmVM=") for line in config_ini(root).splitlines())


def test_script_star_import_exports_gem5s_extras():
    ns: dict = {}
    exec("from m5.objects import *", ns)
    for name in ("PcCountPair", "ByteOrder", "os", "Param", "NULL", "CheckerCPU"):
        assert name in ns, name
    assert sys.modules["m5.objects"].__class__.__name__ == "_ObjectsModule"


def test_what_se_py_options_need_and_simobjs_lacks_is_refused_with_the_reason():
    """se.py --interp-dir (m5.core.setInterpDir) and --wait-gdb
    (Workload.wait_for_remote_gdb): clear refusals, not a NameError or a silent no-op."""
    from simobjs.config.params import build_model

    with pytest.raises(UnsupportedError, match="dynamically linked SE programs are not"):
        m5.core.setInterpDir("/lib")
    with pytest.raises(ConfigError, match="wait_for_remote_gdb: remote GDB is not supported"):
        build_model(m5.objects.X86EmuLinux, "system.workload", wait_for_remote_gdb=True)
    ns: dict = {}
    exec("from m5.objects import *", ns)
    assert ns["sys"] is sys  # gem5's star import leaks it; CacheConfig.py relies on it
