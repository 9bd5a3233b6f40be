"""A minimal KVM machine for the KVM CPU's tests: RAM, one device answering
every address (recording each access), and guests assembled from snippets and
started in long mode at CPL 3 or 0 (the boot contract's GDT and page tables)."""

from __future__ import annotations

import struct

from kvm.state import Sregs
from simobjs.arch.x86.state import Segment, X86State
from simobjs.cpu.kvm.x86_state import KvmX86State, to_x86_state
from simobjs.guest.snippets import CODE_AT, assemble, long_mode_sregs, write_tables
from simobjs.objects.kvm import KvmVM, X86KvmCPU
from simobjs.objects.mem import SimpleMemory
from simobjs.objects.sim import Root, SrcClockDomain, VoltageDomain
from simobjs.objects.system import System
from simobjs.params import Param, SimObject
from simobjs.params import ResponsePort as ResponsePortDecl
from simobjs.sim.model import Model
from simobjs.sim.port import ResponsePort

RAM_SIZE = 2 << 20
UART = 0x8000000000000000 | 0x3F8
EXIT_PORT = 0x8000000000000000 | 0x10
BOOM_PORT = 0x8000000000000000 | 0x66
MMIO_BASE = 0xE0000000  # above RAM, below 4 GiB: guest accesses exit as MMIO


class KvmTestMemory(SimpleMemory):
    type = "KvmTestMemory"
    port = ResponsePortDecl(
        "memory side (unconnected: the CPU talks to the device)", required=False
    )


class DeviceModel(Model):
    """Every access is logged; UART writes collect output; a write to port 0x10
    ends the run; port 0x66 raises; reads return `read_value` (MMIO: the address
    echoed back)."""

    def __init__(self, params):
        super().__init__(params)
        self.log: list[tuple[str, int, int, bytes]] = []
        self.output = bytearray()
        self.read_value = 0x5A
        self.port = ResponsePort("port", self, self.recv, lambda: [])

    def getPort(self, name, index=-1):
        return self.port

    def recv(self, pkt):
        kind = "w" if pkt.isWrite() else "r"
        if pkt.addr == BOOM_PORT:
            raise ValueError("device exploded")
        if pkt.isRead():
            value = self.read_value if pkt.addr & (1 << 63) else pkt.addr & 0xFFFF
            pkt.set_uint(value)
        self.log.append((kind, pkt.addr, pkt.size, bytes(pkt.data)))
        if pkt.isWrite() and pkt.addr == UART:
            self.output += pkt.data
        if pkt.isWrite() and pkt.addr == EXIT_PORT:
            self.sim.exitSimLoop("guest done", pkt.data[0])
        return 1000


class KvmTestDevice(SimObject):
    type = "KvmTestDevice"
    _model = "kvm_models:DeviceModel"
    port = ResponsePortDecl("the CPU's data port", required=False)
    note = Param.Int(0, "unused")


def make_root(mem_mode: str = "atomic_noncaching", vm: bool = True, **cpu_params) -> Root:
    root = Root(full_system=True)
    root.system = System(mem_mode=mem_mode)
    root.system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
    root.system.mem = KvmTestMemory(range=f"{RAM_SIZE}B")
    if vm:
        root.system.kvm_vm = KvmVM()
    root.system.dev = KvmTestDevice()
    root.system.cpu = X86KvmCPU(cpu_id=0, **cpu_params)
    root.system.cpu.createThreads()
    root.system.cpu.dcache_port = root.system.dev.port
    return root


class _RamWriter:
    def __init__(self, ram):
        self.ram = ram

    def write(self, addr, data):
        self.ram.write(addr, data)


def boot_state(cpl: int = 3, rip: int = CODE_AT) -> X86State:
    """The long-mode state the loader gives a guest (flat segments at `cpl`)."""
    s = long_mode_sregs(Sregs(), cpl)
    s.apic_base = 0xFEE00900
    regs = type("R", (), {})()
    from kvm.state import Regs, Xsave

    regs = Regs(rip=rip, rsp=RAM_SIZE - 0x1000, rflags=0x2 | (0x3000 if cpl else 0), rdi=RAM_SIZE)
    xs = Xsave()
    struct.pack_into("<HI", xs.raw, 0, 0x37F, 0)
    xs.mxcsr = 0x1F80
    st = to_x86_state(KvmX86State(regs, s, xs, {}, {0: 1}, None))
    st.seg["ldt"] = Segment(limit=0xFFFF, type=2, present=1)
    return st


def load_guest(sim, source: str, cpl: int = 3):
    """Write tables and code into RAM, set the CPU's state, activate its thread."""
    ram = sim.model("system.mem").ram
    write_tables(_RamWriter(ram), RAM_SIZE - 0x1000)
    ram.write(CODE_AT, assemble(source))
    cpu = sim.model("system.cpu")
    cpu.set_state(boot_state(cpl))
    cpu.thread.activate()
    return cpu
