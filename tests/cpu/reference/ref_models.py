"""A minimal machine for the reference CPU model's tests: RAM, a device that
logs every access (port 0x10 ends the run), and an interrupt controller whose
pending vector the test sets."""

from __future__ import annotations

from simobjs.guest.snippets import CODE_AT, assemble, long_mode_state, write_tables
from simobjs.objects.cpu import BaseInterrupts
from simobjs.objects.mem import SimpleMemory
from simobjs.objects.sim import Root, SrcClockDomain, VoltageDomain
from simobjs.objects.system import System
from simobjs.objects.x86 import X86AtomicSimpleCPU
from simobjs.params import ResponsePort as ResponsePortDecl
from simobjs.params import SimObject
from simobjs.sim.model import Model
from simobjs.sim.port import ResponsePort

RAM_SIZE = 4 << 20
KSTACK = RAM_SIZE - 0x1000
UART = 0x8000000000000000 | 0x3F8
EXIT_PORT = 0x8000000000000000 | 0x10


class RefTestMemory(SimpleMemory):
    type = "RefTestMemory"
    port = ResponsePortDecl(
        "memory side (unconnected: the CPU talks to the device)", required=False
    )


class DeviceModel(Model):
    def __init__(self, params):
        super().__init__(params)
        self.log: list[tuple[str, int, int, bytes, int]] = []
        self.output = bytearray()
        self.port = ResponsePort("port", self, self.recv, lambda: [])

    def getPort(self, name, index=-1):
        return self.port

    def recv(self, pkt):
        if pkt.isRead():
            pkt.set_uint(0x5A)
        self.log.append(
            ("w" if pkt.isWrite() else "r", pkt.addr, pkt.size, bytes(pkt.data), self.curTick())
        )
        if pkt.isWrite() and pkt.addr == UART:
            self.output += pkt.data
        if pkt.isWrite() and pkt.addr == EXIT_PORT:
            self.sim.exitSimLoop("guest done", pkt.data[0])
        return 1000


class RefTestDevice(SimObject):
    type = "RefTestDevice"
    _model = "ref_models:DeviceModel"
    port = ResponsePortDecl("the CPU's data port", required=False)


class FakeApicModel(Model):
    """checkInterrupts()/getInterrupt() as the LAPIC offers them; `raise_at(tick, vector)`."""

    def __init__(self, params):
        super().__init__(params)
        self.pending: list[int] = []
        self.cpu = None
        self.taken: list[tuple[int, int]] = []

    def setCPU(self, cpu):
        self.cpu = cpu

    def checkInterrupts(self) -> bool:
        return bool(self.pending)

    def getInterrupt(self) -> int:
        vector = self.pending.pop(0)
        self.taken.append((vector, self.curTick()))
        return vector

    def raise_at(self, tick: int, vector: int) -> None:
        from simobjs.sim.eventq import EventFunctionWrapper

        def fire():
            self.pending.append(vector)
            self.cpu.wakeup(0)

        self.eventq.schedule(EventFunctionWrapper(fire, "fake-irq"), tick)


class FakeApic(BaseInterrupts):
    type = "RefTestApic"
    _model = "ref_models:FakeApicModel"


def make_root(device: type | None = None, **cpu_params) -> Root:
    root = Root(full_system=True)
    root.system = System(mem_mode="atomic")
    root.system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
    root.system.mem = RefTestMemory(range=f"{RAM_SIZE}B")
    root.system.dev = (device or RefTestDevice)()
    root.system.cpu = X86AtomicSimpleCPU(cpu_id=0, **cpu_params)
    root.system.cpu.createThreads()
    root.system.cpu.interrupts = [FakeApic()]
    root.system.cpu.dcache_port = root.system.dev.port
    return root


def load_guest(sim, source: str, cpl: int = 0, cpu: str = "system.cpu"):
    ram = sim.model("system.mem").ram
    write_tables(ram, KSTACK)
    ram.write(CODE_AT, assemble(source))
    model = sim.model(cpu)
    model.set_state(long_mode_state(cpl, CODE_AT, KSTACK if cpl == 0 else 0x300000))
    model.thread.activate()
    return model


SWITCH_MMIO = 0xE0000000  # a guest store here asks for a CPU switch
DONE_MMIO = 0xE0000010  # a guest store here ends the run with the stored byte


class SwitchDeviceModel(DeviceModel):
    def recv(self, pkt):
        if pkt.isWrite() and pkt.addr == SWITCH_MMIO:
            self.sim.exitSimLoop("switch", 0)
        if pkt.isWrite() and pkt.addr == DONE_MMIO:
            self.sim.exitSimLoop("done", pkt.data[0])
        return super().recv(pkt)


class RefSwitchDevice(SimObject):
    type = "RefSwitchDevice"
    _model = "ref_models:SwitchDeviceModel"
    port = ResponsePortDecl("the CPU's data port", required=False)


def make_switch_root() -> Root:
    """A KVM CPU running, a reference CPU switched out (configs/common/Simulation.py style)."""
    from simobjs.objects.kvm import KvmVM, X86KvmCPU

    root = Root(full_system=True)
    root.system = System(mem_mode="atomic_noncaching")
    root.system.clk_domain = SrcClockDomain(clock="1GHz", voltage_domain=VoltageDomain())
    root.system.mem = RefTestMemory(range=f"{RAM_SIZE}B")
    root.system.kvm_vm = KvmVM()
    root.system.dev = RefSwitchDevice()
    root.system.cpu = X86KvmCPU(cpu_id=0)
    root.system.cpu.createThreads()
    root.system.cpu.dcache_port = root.system.dev.port
    ref = X86AtomicSimpleCPU(cpu_id=0, switched_out=True)
    ref.clk_domain = root.system.cpu.clk_domain
    ref.createThreads()
    root.system.switch_cpus = [ref]
    return root
