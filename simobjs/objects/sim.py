"""Core declarations: Root, clock and voltage domains, power state, DVFS."""

from __future__ import annotations

from simobjs.params import (
    NULL,
    Bool,  # noqa: F401  (re-exported for scripts that import from here)
    Enum,
    Param,
    Parent,
    SimObject,
    VectorParam,
)

CONFIG_ONLY = "simobjs.sim.model:Model"


class MemoryMode(Enum):
    vals = ["invalid", "atomic", "timing", "atomic_noncaching"]


class PwrState(Enum):
    vals = ["UNDEFINED", "ON", "CLK_GATED", "SRAM_RETENTION", "OFF"]


class Root(SimObject):
    """The top of the tree; one per process (gem5: a singleton)."""

    type = "Root"
    cxx_class = "gem5::Root"
    _model = "simobjs.sim.root:Root"
    _is_root = True

    eventq_index = 0
    sim_quantum = Param.Tick(0, "simulation quantum")
    full_system = Param.Bool("if this is a full system simulation")
    time_sync_enable = Param.Bool(False, "whether time syncing is enabled")
    time_sync_period = Param.Clock("100ms", "how often to sync with real time")
    time_sync_spin_threshold = Param.Clock("100us", "when less than this much time is left, spin")

    @classmethod
    def getInstance(cls) -> Root | None:
        from simobjs.params.simobject import get_root

        return get_root()


class VoltageDomain(SimObject):
    type = "VoltageDomain"
    cxx_class = "gem5::VoltageDomain"
    _model = "simobjs.sim.clock_domain:VoltageDomain"
    voltage = VectorParam.Voltage("1V", "Operational voltage(s)")


class ClockDomain(SimObject):
    type = "ClockDomain"
    cxx_class = "gem5::ClockDomain"
    abstract = True
    _model = "simobjs.sim.clock_domain:SrcClockDomain"


class SrcClockDomain(ClockDomain):
    type = "SrcClockDomain"
    cxx_class = "gem5::SrcClockDomain"
    clock = VectorParam.Clock("Clock period")
    voltage_domain = Param.VoltageDomain("Voltage domain")
    domain_id = Param.Int32(-1, "domain id")
    init_perf_level = Param.UInt32(0, "Initial performance level")


class DerivedClockDomain(ClockDomain):
    type = "DerivedClockDomain"
    cxx_class = "gem5::DerivedClockDomain"
    _model = "simobjs.sim.clock_domain:DerivedClockDomain"
    clk_domain = Param.ClockDomain("Parent clock domain")
    clk_divider = Param.Unsigned(1, "Frequency divider")


class PowerState(SimObject):
    type = "PowerState"
    cxx_class = "gem5::PowerState"
    _model = CONFIG_ONLY
    default_state = Param.PwrState("UNDEFINED", "Default Power State")
    possible_states = VectorParam.PwrState([], "Power states this object can be in")
    clk_gate_min = Param.Latency("1ns", "Min value of the distribution")
    clk_gate_max = Param.Latency("1s", "Max value of the distribution")
    clk_gate_bins = Param.Unsigned("20", "# bins in clk gated distribution")
    leaders = VectorParam.PowerState([], "Objects which drive the power state of this object")


class PowerModel(SimObject):
    """Placeholder for gem5's power models (none is modelled)."""

    type = "PowerModel"
    cxx_class = "gem5::PowerModel"
    abstract = True


class ThermalModel(SimObject):
    """Placeholder for gem5's thermal model (not modelled)."""

    type = "ThermalModel"
    cxx_class = "gem5::ThermalModel"
    abstract = True


class ThermalDomain(SimObject):
    """Placeholder for gem5's thermal domain (not modelled): SubSystem's param type."""

    type = "ThermalDomain"
    cxx_class = "gem5::ThermalDomain"
    abstract = True


class SubSystem(SimObject):
    """A plain container (gem5's SubSystem): groups objects under one name, as
    the standard library's processors, cores, memories and cache hierarchies do."""

    type = "SubSystem"
    cxx_class = "gem5::SubSystem"
    _model = CONFIG_ONLY
    thermal_domain = Param.ThermalDomain(NULL, "Thermal domain")


class RedirectPath(SimObject):
    """An SE-mode path redirection (gem5's RedirectPath, in `System.redirect_paths`):
    a path under `app_path` is looked up under the first of `host_paths` where it
    exists, else under the first one."""

    type = "RedirectPath"
    cxx_class = "gem5::RedirectPath"
    _model = CONFIG_ONLY
    app_path = Param.String("/", "filesystem path from an app's perspective")
    host_paths = VectorParam.String(["/"], "file path on host filesystem")


class ClockedObject(SimObject):
    type = "ClockedObject"
    cxx_class = "gem5::ClockedObject"
    abstract = True
    clk_domain = Param.ClockDomain(Parent.clk_domain, "Clock domain")
    power_model = VectorParam.PowerModel([], "Power models")
    power_state = Param.PowerState(PowerState(), "Power state")


class DVFSHandler(SimObject):
    type = "DVFSHandler"
    cxx_class = "gem5::DVFSHandler"
    _model = CONFIG_ONLY
    domains = VectorParam.SrcClockDomain([], "list of domains")
    sys_clk_domain = Param.SrcClockDomain(
        Parent.clk_domain, "Clk domain in which the handler is instantiated"
    )
    enable = Param.Bool(False, "Enable/Disable the handler")
    transition_latency = Param.Latency("100us", "fixed latency for perf level migration")


__all__ = [
    "NULL",
    "ClockDomain",
    "DerivedClockDomain",
    "ClockedObject",
    "DVFSHandler",
    "MemoryMode",
    "PowerModel",
    "PowerState",
    "PwrState",
    "RedirectPath",
    "Root",
    "SrcClockDomain",
    "SubSystem",
    "ThermalDomain",
    "ThermalModel",
    "VoltageDomain",
]
