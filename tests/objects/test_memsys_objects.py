"""The memory-system declarations: gem5 v24's names, defaults and preset values, how
learning_gem5's scripts wire them, what config.ini says, and the clear refusals of
what is declared but not modelled."""

import pytest

import m5.objects as mo
from simobjs.config import build, config_ini, prepare
from simobjs.errors import ConfigError
from simobjs.sim import core

NS = 1000


def frozen(obj) -> dict:
    return obj.frozen_params()


def test_gem5_names_are_in_m5_objects():
    for name in (
        "Cache",
        "NoncoherentCache",
        "BaseCache",
        "LRURP",
        "FIFORP",
        "MRURP",
        "RandomRP",
        "TreePLRURP",
        "BaseSetAssoc",
        "SetAssociative",
        "FALRU",
        "Clusivity",
        "L2XBar",
        "CoherentXBar",
        "NoncoherentXBar",
        "SystemXBar",
        "IOXBar",
        "MemCtrl",
        "DRAMInterface",
        "DDR3_1600_8x8",
        "DDR4_2400_8x8",
        "LPDDR3_1600_1x32",
        "X86TimingSimpleCPU",
        "TimingSimpleCPU",
        "BaseTimingSimpleCPU",
        "SimpleMemory",
    ):
        assert hasattr(mo, name), name
    assert mo.TimingSimpleCPU is mo.X86TimingSimpleCPU
    assert mo.X86TimingSimpleCPU.memory_mode() == "timing"
    assert mo.X86TimingSimpleCPU.support_take_over()


def test_cache_defaults_are_gem5s():
    c = mo.Cache()
    assert c.write_buffers == 8 and c.demand_mshr_reserve == 1
    assert str(c.clusivity) == "mostly_incl"
    assert not c.writeback_clean and not c.is_read_only and not c.sequential_access
    assert type(c.replacement_policy).__name__ == "LRURP"
    assert type(c.tags).__name__ == "BaseSetAssoc"
    assert c.prefetcher is mo.NULL and c.compressor is mo.NULL
    assert mo.NoncoherentCache._values["writeback_clean"] is not None
    for latency in ("tag_latency", "data_latency", "response_latency"):
        assert c._values.get(latency) is None  # no default in gem5: a script must set them


def test_crossbar_latencies_are_gem5s():
    for cls, want in (
        (mo.L2XBar, (32, 1, 0, 1, 1)),
        (mo.SystemXBar, (16, 3, 4, 2, 4)),
        (mo.IOXBar, (16, 2, 1, 2, None)),
    ):
        x = cls()
        got = (
            x.width,
            x.frontend_latency,
            x.forward_latency,
            x.response_latency,
            getattr(x, "snoop_response_latency", None),
        )
        assert tuple(None if v is None else int(v) for v in got) == want, cls.__name__


@pytest.mark.parametrize(
    "cls,want",
    [
        (
            "DDR3_1600_8x8",
            dict(
                tCK=1250,
                tBURST=5000,
                tRCD=13750,
                tCL=13750,
                tRP=13750,
                tRAS=35000,
                tWR=15000,
                tRTP=7500,
                tRFC=260000,
                tREFI=7800000,
                tRRD=6000,
                tXAW=30000,
                activation_limit=4,
                banks_per_rank=8,
                ranks_per_channel=2,
                devices_per_rank=8,
                device_bus_width=8,
                burst_length=8,
                device_rowbuffer_size=1024,
                device_size=512 << 20,
                page_policy="open_adaptive",
            ),
        ),
        (
            "DDR4_2400_8x8",
            dict(
                tCK=833,
                tBURST=3332,
                tRCD=14160,
                tCL=14160,
                tRP=14160,
                tRAS=32000,
                tWR=15000,
                tRTP=7500,
                tRFC=350000,
                tREFI=7800000,
                tCCD_L=5000,
                tRRD_L=4900,
                tXAW=21000,
                banks_per_rank=16,
                bank_groups_per_rank=4,
                ranks_per_channel=2,
                devices_per_rank=8,
                device_bus_width=8,
                device_rowbuffer_size=1024,
                write_buffer_size=128,
                read_buffer_size=64,
            ),
        ),
        (
            "LPDDR3_1600_1x32",
            dict(
                tCK=1250,
                tBURST=5000,
                tRCD=18000,
                tCL=15000,
                tRP=18000,
                tRAS=42000,
                tWR=15000,
                tRTP=7500,
                tRFC=130000,
                tREFI=3900000,
                tRRD=10000,
                tXAW=50000,
                banks_per_rank=8,
                ranks_per_channel=1,
                devices_per_rank=1,
                device_bus_width=32,
                device_rowbuffer_size=4096,
                dll=False,
            ),
        ),
    ],
)
def test_dram_presets_carry_gem5s_values(cls, want):
    dram = getattr(mo, cls)()
    dram.range = mo.AddrRange("64MiB")
    system = mo.System()
    system.clk_domain = mo.SrcClockDomain(clock="1GHz", voltage_domain=mo.VoltageDomain())
    system.mem_ctrl = mo.MemCtrl(dram=dram)
    mo.Root(full_system=True, system=system)
    prepare(system._parent)
    p = frozen(dram)
    for key, value in want.items():
        assert p[key] == value, key
    assert p["tRCD_WR"] == p["tRCD"] and p["tCWL"] == p["tCL"]  # Self proxies
    assert p["tBURST_MAX"] == p["tBURST_MIN"] == p["tBURST"]


def test_memctrl_defaults_and_the_dram_controller_helper():
    ctrl = mo.DDR3_1600_8x8().controller()
    assert type(ctrl).__name__ == "MemCtrl"
    assert type(ctrl.dram).__name__ == "DDR3_1600_8x8"
    assert int(ctrl.write_high_thresh_perc) == 85 and int(ctrl.write_low_thresh_perc) == 50
    assert int(ctrl.min_writes_per_switch) == 16 and str(ctrl.mem_sched_policy) == "frfcfs"


def learning_system(**cache_params):
    system = mo.System(mem_mode="timing")
    system.clk_domain = mo.SrcClockDomain(clock="1GHz", voltage_domain=mo.VoltageDomain())
    system.mem_ranges = [mo.AddrRange("16MiB")]
    system.cpu = mo.X86TimingSimpleCPU()
    params = dict(
        size="16kB",
        assoc=2,
        tag_latency=2,
        data_latency=2,
        response_latency=2,
        mshrs=4,
        tgts_per_mshr=20,
    )
    params.update(cache_params)
    system.cpu.icache = mo.Cache(**params)
    system.cpu.icache.cpu_side = system.cpu.icache_port
    system.membus = mo.SystemXBar()
    system.cpu.icache.mem_side = system.membus.cpu_side_ports
    system.cpu.dcache_port = system.membus.slave  # gem5's deprecated name still works
    system.cpu.createInterruptController()
    system.cpu.interrupts[0].pio = system.membus.mem_side_ports
    system.cpu.interrupts[0].int_requestor = system.membus.cpu_side_ports
    system.cpu.interrupts[0].int_responder = system.membus.master
    system.system_port = system.membus.cpu_side_ports
    system.mem_ctrl = mo.MemCtrl()
    system.mem_ctrl.dram = mo.DDR3_1600_8x8()
    system.mem_ctrl.dram.range = system.mem_ranges[0]
    system.mem_ctrl.port = system.membus.mem_side_ports
    system.cpu.createThreads()
    return mo.Root(full_system=False, system=system)


def test_config_ini_writes_the_cache_its_tags_and_policy_as_gem5():
    root = learning_system()
    prepare(root)
    ini = config_ini(root)
    assert "[system.cpu.icache]\ntype=Cache\nchildren=power_state replacement_policy tags\n" in ini
    assert "[system.cpu.icache.replacement_policy]\ntype=LRURP\n" in ini
    assert "[system.cpu.icache.tags]\ntype=BaseSetAssoc\n" in ini
    assert "[system.cpu.icache.tags.indexing_policy]\ntype=SetAssociative\n" in ini
    section = ini.split("[system.cpu.icache]\n", 1)[1].split("\n\n", 1)[0]
    assert "size=16384\n" in section and "clusivity=mostly_incl\n" in section
    assert "cpu_side=system.cpu.icache_port\n" in section
    assert "mem_side=system.membus.cpu_side_ports[0]" in section
    assert "[system.mem_ctrl.dram]\ntype=DRAMInterface\n" in ini
    assert "type=BaseTimingSimpleCPU" in ini


@pytest.mark.parametrize(
    "params,param,got",
    [
        (dict(replacement_policy=mo.RandomRP()), "replacement_policy", "RandomRP"),
        (dict(tags=mo.FALRU()), "tags", "FALRU"),
        (dict(max_miss_count=10), "max_miss_count", "10"),
        (dict(size="24kB"), "size", "24576"),
    ],
)
def test_what_is_not_modelled_is_refused_with_the_object_and_param(params, param, got):
    learning_system(**params)
    with pytest.raises(ConfigError) as e:
        build.instantiate(outdir=None)
    text = str(e.value)
    assert "system.cpu.icache" in text and param in text and got in text
    sim = core.current()
    if sim is not None:
        sim.close()
