"""Memory controllers and DRAM interfaces: MemCtrl, MemInterface, DRAMInterface and
gem5's DDR3/DDR4/LPDDR3 presets.

Names, params, defaults and preset values are gem5's (src/mem/MemCtrl.py,
qos/QoSMemCtrl.py, MemInterface.py, DRAMInterface.py). The controller and its
interface are modelled together by `simobjs.mem.dram` (banks, open rows,
page policy, refresh, the data bus, a write queue); the QoS and power
parameters are declared and written to config.ini but not modelled.
"""

from __future__ import annotations

import simobjs.objects.system  # noqa: F401  (Param.System below)
from simobjs.objects.mem import AbstractMemory
from simobjs.objects.sim import ClockedObject
from simobjs.params import (
    NULL,
    DeprecatedParam,
    Enum,
    Param,
    Parent,
    ResponsePort,
    Self,
    SimObject,
    VectorParam,
)
from simobjs.params.types import AddrRange


class QoSQPolicy(Enum):
    vals = ["fifo", "lifo", "lrg"]


class QoSPolicy(SimObject):
    """Declared for gem5 scripts; a controller with a QoS policy is refused."""

    type = "QoSPolicy"
    cxx_class = "gem5::memory::qos::Policy"
    abstract = True


class QoSTurnaroundPolicy(SimObject):
    """Declared for gem5 scripts; a controller with a turnaround policy is refused."""

    type = "QoSTurnaroundPolicy"
    cxx_class = "gem5::memory::qos::TurnaroundPolicy"
    abstract = True


class QoSMemCtrl(ClockedObject):
    type = "QoSMemCtrl"
    cxx_class = "gem5::memory::qos::MemCtrl"
    abstract = True
    system = Param.System(Parent.any, "System that the controller belongs to.")
    qos_priorities = Param.Unsigned(1, "QoS priorities")
    qos_policy = Param.QoSPolicy(NULL, "Memory Controller Requests QoS arbitration policy")
    qos_turnaround_policy = Param.QoSTurnaroundPolicy(NULL, "Selects QoS driven turnaround policy")
    qos_q_policy = Param.QoSQPolicy("fifo", "Memory Controller Requests same-QoS selection policy")
    qos_syncro_scheduler = Param.Bool(False, "Enables QoS syncronized scheduling")
    qos_priority_escalation = Param.Bool(False, "Enables QoS priority escalation")
    qos_requestors = VectorParam.String(
        [""] * 16, "Requestor Names to be mapped to service parameters in QoS scheduler"
    )
    qos_masters = DeprecatedParam(qos_requestors, "`qos_master` is now called `qos_requestors`")


class MemSched(Enum):
    vals = ["fcfs", "frfcfs"]


class AddrMap(Enum):
    vals = ["RoRaBaChCo", "RoRaBaCoCh", "RoCoRaBaCh"]


class MemInterface(AbstractMemory):
    type = "MemInterface"
    cxx_class = "gem5::memory::MemInterface"
    abstract = True
    write_buffer_size = Param.Unsigned(64, "Number of write queue entries")
    read_buffer_size = Param.Unsigned(32, "Number of read queue entries")
    addr_mapping = Param.AddrMap("RoRaBaCoCh", "Address mapping policy")
    device_size = Param.MemorySize("Size of memory device")
    device_bus_width = Param.Unsigned("data bus width in bits for each memory device/chip")
    burst_length = Param.Unsigned("Burst lenght (BL) in beats")
    device_rowbuffer_size = Param.MemorySize("Page (row buffer) size per device/chip")
    devices_per_rank = Param.Unsigned("Number of devices/chips per rank")
    ranks_per_channel = Param.Unsigned("Number of ranks per channel")
    banks_per_rank = Param.Unsigned("Number of banks per rank")
    tCK = Param.Latency("Clock period")
    tBURST = Param.Latency("Burst duration (typically burst length / 2 cycles)")
    tWTR = Param.Latency("Write to read, same rank switching time")
    tRTW = Param.Latency("Read to write, same rank switching time")
    tCS = Param.Latency("Rank to rank switching time")


class PageManage(Enum):
    vals = ["open", "open_adaptive", "close", "close_adaptive"]


class DRAMInterface(MemInterface):
    type = "DRAMInterface"
    cxx_class = "gem5::memory::DRAMInterface"
    _model = "simobjs.mem.dram:DRAMInterface"

    page_policy = Param.PageManage("open_adaptive", "Page management policy")
    max_accesses_per_row = Param.Unsigned(16, "Max accesses per row before closing")
    bank_groups_per_rank = Param.Unsigned(0, "Number of bank groups per rank")
    enable_dram_powerdown = Param.Bool(False, "Enable powerdown states")
    dll = Param.Bool(True, "DRAM has DLL or not")
    tRCD = Param.Latency("RAS to Read CAS delay")
    tRCD_WR = Param.Latency(Self.tRCD, "RAS to Write CAS delay")
    tCL = Param.Latency("Read CAS latency")
    tCWL = Param.Latency(Self.tCL, "Write CAS latency")
    tRP = Param.Latency("Row precharge time")
    tRAS = Param.Latency("ACT to PRE delay")
    tWR = Param.Latency("Write recovery time")
    tRTP = Param.Latency("Read to precharge")
    tBURST_MAX = Param.Latency(Self.tBURST, "Column access delay")
    tBURST_MIN = Param.Latency(Self.tBURST, "Minimim delay between bursts")
    tCCD_L = Param.Latency("0ns", "Same bank group CAS to CAS delay")
    tCCD_L_WR = Param.Latency(Self.tCCD_L, "Same bank group Write to Write delay")
    tRFC = Param.Latency("Refresh cycle time")
    tREFI = Param.Latency("Refresh command interval")
    tWTR_L = Param.Latency(Self.tWTR, "Write to read, same rank switching time, same bank group")
    tPPD = Param.Latency("0ns", "PRE to PRE delay")
    tAAD = Param.Latency(Self.tCK, "Maximum delay between two-cycle ACT commands")
    two_cycle_activate = Param.Bool(False, "Two cycles required to send activate")
    tRRD = Param.Latency("ACT to ACT delay")
    tRRD_L = Param.Latency("0ns", "Same bank group ACT to ACT delay")
    tXAW = Param.Latency("X activation window")
    activation_limit = Param.Unsigned("Max number of activates in window")
    tXP = Param.Latency("0ns", "Power-up Delay")
    tXPDLL = Param.Latency("0ns", "Power-up Delay with locked DLL")
    tXS = Param.Latency("0ns", "Self-refresh exit latency")
    tXSDLL = Param.Latency("0ns", "Self-refresh exit latency DLL")
    beats_per_clock = Param.Unsigned(2, "Data beats per clock")
    data_clock_sync = Param.Bool(False, "Synchronization commands required")
    IDD0 = Param.Current("0mA", "Active precharge current")
    IDD02 = Param.Current("0mA", "Active precharge current VDD2")
    IDD2P0 = Param.Current("0mA", "Precharge Powerdown slow")
    IDD2P02 = Param.Current("0mA", "Precharge Powerdown slow VDD2")
    IDD2P1 = Param.Current("0mA", "Precharge Powerdown fast")
    IDD2P12 = Param.Current("0mA", "Precharge Powerdown fast VDD2")
    IDD2N = Param.Current("0mA", "Precharge Standby current")
    IDD2N2 = Param.Current("0mA", "Precharge Standby current VDD2")
    IDD3P0 = Param.Current("0mA", "Active Powerdown slow")
    IDD3P02 = Param.Current("0mA", "Active Powerdown slow VDD2")
    IDD3P1 = Param.Current("0mA", "Active Powerdown fast")
    IDD3P12 = Param.Current("0mA", "Active Powerdown fast VDD2")
    IDD3N = Param.Current("0mA", "Active Standby current")
    IDD3N2 = Param.Current("0mA", "Active Standby current VDD2")
    IDD4R = Param.Current("0mA", "READ current")
    IDD4R2 = Param.Current("0mA", "READ current VDD2")
    IDD4W = Param.Current("0mA", "WRITE current")
    IDD4W2 = Param.Current("0mA", "WRITE current VDD2")
    IDD5 = Param.Current("0mA", "Refresh current")
    IDD52 = Param.Current("0mA", "Refresh current VDD2")
    IDD6 = Param.Current("0mA", "Self-refresh Current")
    IDD62 = Param.Current("0mA", "Self-refresh Current VDD2")
    VDD = Param.Voltage("0V", "Main Voltage Range")
    VDD2 = Param.Voltage("0V", "2nd Voltage Range")

    def controller(self) -> MemCtrl:
        """A MemCtrl with this interface as its `dram` (gem5's helper)."""
        ctrl = MemCtrl()
        ctrl.dram = self
        return ctrl


class MemCtrl(QoSMemCtrl):
    type = "MemCtrl"
    cxx_class = "gem5::memory::MemCtrl"
    _model = "simobjs.mem.dram:MemCtrl"
    _routes_by_address = False
    port = ResponsePort("This port responds to memory requests")
    dram = Param.MemInterface("Memory interface, can be a DRAMor an NVM interface ")
    write_high_thresh_perc = Param.Percent(85, "Threshold to force writes")
    write_low_thresh_perc = Param.Percent(50, "Threshold to start writes")
    min_writes_per_switch = Param.Unsigned(16, "Minimum write bursts before switching to reads")
    min_reads_per_switch = Param.Unsigned(16, "Minimum read bursts before switching to writes")
    mem_sched_policy = Param.MemSched("frfcfs", "Memory scheduling policy")
    static_frontend_latency = Param.Latency("10ns", "Static frontend latency")
    static_backend_latency = Param.Latency("10ns", "Static backend latency")
    command_window = Param.Latency("10ns", "Static backend latency")
    disable_sanity_check = Param.Bool(False, "Disable port resp Q size check")

    def _addr_ranges(self) -> list[AddrRange]:
        dram = self._values.get("dram")
        if dram is None or not hasattr(dram, "_values"):
            return []
        rng = dram._values.get("range")
        return [rng] if isinstance(rng, AddrRange) else []


# -- gem5's presets (values from gem5 v24 src/mem/DRAMInterface.py) -------------------------
class DDR3_1600_8x8(DRAMInterface):
    """DDR3-1600 x64 channel, Micron MT41J512M8 4 Gbit in an 8x8 configuration."""

    device_size = "512MiB"
    device_bus_width = 8
    burst_length = 8
    device_rowbuffer_size = "1KiB"
    devices_per_rank = 8
    ranks_per_channel = 2
    banks_per_rank = 8
    tCK = "1.25ns"
    tBURST = "5ns"
    tRCD = "13.75ns"
    tCL = "13.75ns"
    tRP = "13.75ns"
    tRAS = "35ns"
    tRRD = "6ns"
    tXAW = "30ns"
    activation_limit = 4
    tRFC = "260ns"
    tWR = "15ns"
    tWTR = "7.5ns"
    tRTP = "7.5ns"
    tRTW = "2.5ns"
    tCS = "2.5ns"
    tREFI = "7.8us"
    tXP = "6ns"
    tXS = "270ns"
    IDD0 = "55mA"
    IDD2N = "32mA"
    IDD3N = "38mA"
    IDD4W = "125mA"
    IDD4R = "157mA"
    IDD5 = "235mA"
    IDD3P1 = "38mA"
    IDD2P1 = "32mA"
    IDD6 = "20mA"
    VDD = "1.5V"


class DDR3_2133_8x8(DDR3_1600_8x8):
    """DDR3-2133 x64 channel, refining DDR3_1600_8x8's timings."""

    tCK = "0.938ns"
    tBURST = "3.752ns"
    tRCD = "13.09ns"
    tCL = "13.09ns"
    tRP = "13.09ns"
    tRAS = "33ns"
    tRRD = "5ns"
    tXAW = "25ns"
    IDD0 = "70mA"
    IDD2N = "37mA"
    IDD3N = "44mA"
    IDD4W = "157mA"
    IDD4R = "191mA"
    IDD5 = "250mA"
    IDD3P1 = "44mA"
    IDD2P1 = "43mA"
    IDD6 = "20mA"
    VDD = "1.5V"


class DDR4_2400_16x4(DRAMInterface):
    """DDR4-2400 x64 channel, Micron MT40A2G4 8 Gbit in a 16x4 configuration."""

    device_size = "1GiB"
    device_bus_width = 4
    burst_length = 8
    device_rowbuffer_size = "512B"
    devices_per_rank = 16
    ranks_per_channel = 2
    bank_groups_per_rank = 4
    banks_per_rank = 16
    write_buffer_size = 128
    read_buffer_size = 64
    tCK = "0.833ns"
    tBURST = "3.332ns"
    tCCD_L = "5ns"
    tRCD = "14.16ns"
    tCL = "14.16ns"
    tRP = "14.16ns"
    tRAS = "32ns"
    tRRD = "3.332ns"
    tRRD_L = "4.9ns"
    tXAW = "13.328ns"
    activation_limit = 4
    tRFC = "350ns"
    tWR = "15ns"
    tWTR = "5ns"
    tRTP = "7.5ns"
    tRTW = "1.666ns"
    tCS = "1.666ns"
    tREFI = "7.8us"
    tXP = "6ns"
    tXS = "340ns"
    IDD0 = "43mA"
    IDD02 = "3mA"
    IDD2N = "34mA"
    IDD3N = "38mA"
    IDD3N2 = "3mA"
    IDD4W = "103mA"
    IDD4R = "110mA"
    IDD5 = "250mA"
    IDD3P1 = "32mA"
    IDD2P1 = "25mA"
    IDD6 = "30mA"
    VDD = "1.2V"
    VDD2 = "2.5V"


class DDR4_2400_8x8(DDR4_2400_16x4):
    """DDR4-2400 x64 channel, Micron MT40A1G8 in an 8x8 configuration."""

    device_bus_width = 8
    device_rowbuffer_size = "1KiB"
    devices_per_rank = 8
    tRRD_L = "4.9ns"
    tXAW = "21ns"
    IDD0 = "48mA"
    IDD3N = "43mA"
    IDD4W = "123mA"
    IDD4R = "135mA"
    IDD3P1 = "37mA"


class DDR4_2400_4x16(DDR4_2400_16x4):
    """DDR4-2400 x64 channel, Micron MT40A512M16 in a 4x16 configuration."""

    device_bus_width = 16
    device_rowbuffer_size = "2KiB"
    devices_per_rank = 4
    ranks_per_channel = 1
    bank_groups_per_rank = 2
    banks_per_rank = 8
    tRRD = "5.3ns"
    tRRD_L = "6.4ns"
    tXAW = "30ns"
    IDD0 = "80mA"
    IDD02 = "4mA"
    IDD2N = "34mA"
    IDD3N = "47mA"
    IDD4W = "228mA"
    IDD4R = "243mA"
    IDD5 = "280mA"
    IDD3P1 = "41mA"


class LPDDR3_1600_1x32(DRAMInterface):
    """LPDDR3-1600 x32 interface, a 4 Gbit part (Micron EDF8132A1MC) in a 1x32 configuration."""

    dll = False
    device_size = "512MiB"
    device_bus_width = 32
    burst_length = 8
    device_rowbuffer_size = "4KiB"
    devices_per_rank = 1
    ranks_per_channel = 1
    banks_per_rank = 8
    tCK = "1.25ns"
    tRCD = "18ns"
    tCL = "15ns"
    tRAS = "42ns"
    tWR = "15ns"
    tRTP = "7.5ns"
    tRP = "18ns"
    tBURST = "5ns"
    tRFC = "130ns"
    tREFI = "3.9us"
    tXP = "7.5ns"
    tXS = "140ns"
    tWTR = "7.5ns"
    tRTW = "2.5ns"
    tCS = "2.5ns"
    tRRD = "10.0ns"
    tXAW = "50ns"
    activation_limit = 4
    IDD0 = "8mA"
    IDD02 = "60mA"
    IDD2N = "0.8mA"
    IDD2N2 = "26mA"
    IDD3N = "2mA"
    IDD3N2 = "34mA"
    IDD4W = "2mA"
    IDD4W2 = "190mA"
    IDD4R = "2mA"
    IDD4R2 = "230mA"
    IDD5 = "28mA"
    IDD52 = "150mA"
    IDD3P1 = "1.4mA"
    IDD3P12 = "11mA"
    IDD2P1 = "0.8mA"
    IDD2P12 = "1.8mA"
    IDD6 = "0.5mA"
    IDD62 = "1.8mA"
    VDD = "1.8V"
    VDD2 = "1.2V"


__all__ = [
    "AddrMap",
    "DDR3_1600_8x8",
    "DDR3_2133_8x8",
    "DDR4_2400_16x4",
    "DDR4_2400_4x16",
    "DDR4_2400_8x8",
    "DRAMInterface",
    "LPDDR3_1600_1x32",
    "MemCtrl",
    "MemInterface",
    "MemSched",
    "PageManage",
    "QoSMemCtrl",
    "QoSPolicy",
    "QoSQPolicy",
    "QoSTurnaroundPolicy",
]
