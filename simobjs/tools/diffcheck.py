"""The differential checker: the same stretch of guest code on KVM and on the engine.

From one X86State and one memory image, each side runs on its own copy of RAM
up to the first I/O access (KVM cannot stop at an instruction count on this
host, so a stretch ends at the next I/O exit, or a HLT), the I/O read returns
the same value on both sides, and the final architectural state and memory
are compared. The first difference is reported with both values, the RIP and
the disassembly of the last instruction.

Known, documented Unicorn gaps are masked by name, and every mask in force is
listed in the report; nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from simobjs.arch.x86.cpuid import reference_compatible_cpuid
from simobjs.arch.x86.state import CARRIED_MSRS, MSR_TSC, RFLAGS_IOPL, X86State
from simobjs.cpu.reference.engine import IO_SPACE, ReferenceEngine, StopInfo
from simobjs.mem.guest_ram import GuestRam

# name -> (what it hides, function clearing it in a state copy)
KNOWN_GAPS: dict[str, tuple[str, Callable[[X86State], None]]] = {}


def _gap(name: str, why: str):
    def register(fn: Callable[[X86State], None]) -> Callable[[X86State], None]:
        KNOWN_GAPS[name] = (why, fn)
        return fn

    return register


@_gap("x87-status-flags", "Unicorn never sets x87 FSW exception flags (IE..PE, SF, ES, B)")
def _mask_fsw(st: X86State) -> None:
    st.fsw &= ~0x80FF


@_gap("mxcsr-flags", "Unicorn never sets MXCSR exception flags (IE..PE)")
def _mask_mxcsr(st: X86State) -> None:
    st.mxcsr &= ~0x3F


@_gap("fip-fdp", "Unicorn always tracks FIP/FDP/FOP; FXSAVE on AMD hosts leaves them 0")
def _mask_fip(st: X86State) -> None:
    st.fip = st.fdp = st.fop = 0


@_gap("tsc", "RDTSC on Unicorn reads the host TSC; the TSC MSR cannot be set")
def _mask_tsc(st: X86State) -> None:
    st.tsc = 0


@_gap(
    "pvm-iopl",
    "PVM hosts keep no RFLAGS.IOPL for ring 3 (it reads back 0; ring-3 port "
    "access goes by the TSS I/O bitmap): a host gap, masked only on such hosts",
)
def _mask_iopl(st: X86State) -> None:
    st.rflags &= ~RFLAGS_IOPL


DEFAULT_MASKS = ("x87-status-flags", "mxcsr-flags", "fip-fdp", "tsc")


def default_masks() -> tuple[str, ...]:
    """The Unicorn gaps, plus this host's KVM gaps (PVM's IOPL) where it has them."""
    from simobjs.cpu.kvm.host import cpl0_emulated

    return DEFAULT_MASKS + (("pvm-iopl",) if cpl0_emulated() else ())


@dataclass(frozen=True)
class Difference:
    name: str
    kvm: object
    reference: object

    def __str__(self) -> str:
        def show(v: object) -> str:
            return (
                f"{v:#x}" if isinstance(v, int) else (v.hex() if isinstance(v, bytes) else repr(v))
            )

        return f"{self.name}: kvm={show(self.kvm)} reference={show(self.reference)}"


@dataclass
class DiffReport:
    """What one stretch did on each side and where they part."""

    masked: tuple[str, ...]
    kvm_exit: str
    reference_stop: StopInfo
    start_rip: int
    end_rip: int
    last_insn: str
    differences: list[Difference] = field(default_factory=list)
    memory: list[tuple[int, int, int]] = field(default_factory=list)  # (addr, kvm, reference)
    kvm_state: X86State | None = field(default=None, repr=False)  # where KVM stopped
    kvm_image: bytes | None = field(default=None, repr=False)  # KVM's RAM at the end

    @property
    def ok(self) -> bool:
        return not self.differences and not self.memory

    @property
    def first(self) -> Difference | None:
        return self.differences[0] if self.differences else None

    def text(self) -> str:
        lines = [
            f"stretch from rip={self.start_rip:#x}: kvm {self.kvm_exit}; reference "
            f"{self.reference_stop.reason} after {self.reference_stop.instructions} instructions",
            f"ends at rip={self.end_rip:#x}, last instruction: {self.last_insn}",
            "masked (known Unicorn gaps): "
            + (", ".join(f"{m} ({KNOWN_GAPS[m][0]})" for m in self.masked) or "none"),
        ]
        if self.ok:
            lines.append("no difference")
        for d in self.differences:
            lines.append(f"DIFF {d}")
        for addr, a, b in self.memory[:16]:
            lines.append(f"DIFF memory[{addr:#x}]: kvm={a:#04x} reference={b:#04x}")
        return "\n".join(lines)


def compare(
    kvm_state: X86State, ref_state: X86State, masks: tuple[str, ...] = DEFAULT_MASKS
) -> list[Difference]:
    """Architectural differences after masking the named gaps (unknown names refused)."""
    unknown = [m for m in masks if m not in KNOWN_GAPS]
    if unknown:
        raise ValueError(f"unknown gap names {unknown}; known: {sorted(KNOWN_GAPS)}")
    a, b = kvm_state.copy(), ref_state.copy()
    for m in masks:
        KNOWN_GAPS[m][1](a)
        KNOWN_GAPS[m][1](b)
    return [Difference(n, x, y) for n, x, y in a.diff(b)]


def compare_memory(
    kvm_mem: memoryview | bytes, ref_mem: memoryview | bytes, base: int = 0, limit: int = 64
):
    """(address, kvm byte, reference byte) of the first `limit` differing bytes."""
    out: list[tuple[int, int, int]] = []
    chunk = 1 << 16
    for off in range(0, len(kvm_mem), chunk):
        x, y = bytes(kvm_mem[off : off + chunk]), bytes(ref_mem[off : off + chunk])
        if x == y:
            continue
        for i, (p, q) in enumerate(zip(x, y, strict=True)):
            if p != q:
                out.append((base + off + i, p, q))
                if len(out) >= limit:
                    return out
    return out


def disassemble(engine: ReferenceEngine, address: int) -> str:
    from capstone import CS_ARCH_X86, CS_MODE_64, Cs

    try:
        code = engine.read_linear(address, 15)
    except Exception as exc:  # noqa: BLE001 - a report must not fail on an unmapped RIP
        return f"{address:#x}: <unreadable: {exc}>"
    for insn in Cs(CS_ARCH_X86, CS_MODE_64).disasm(code, address, 1):
        return f"{insn.address:#x}: {insn.mnemonic} {insn.op_str}".rstrip()
    return f"{address:#x}: <undecodable {code[:4].hex()}>"


Answer = int | Callable[[int, int], int]  # a read's value, or f(address, size) -> value


def _answer(io_value: Answer, addr: int, size: int) -> int:
    value = io_value(addr, size) if callable(io_value) else io_value
    return value & ((1 << (8 * size)) - 1)


class _FirstIo:
    """I/O callbacks that answer reads (see Answer) and stop at the first access."""

    def __init__(self, value: Answer) -> None:
        self.value = value
        self.engine: ReferenceEngine | None = None
        self.accesses: list[tuple] = []

    def read(self, addr: int, size: int) -> int:
        self.accesses.append(("read", addr, size))
        self.engine.request_stop()
        return _answer(self.value, addr, size)

    def write(self, addr: int, size: int, value: int) -> None:
        self.accesses.append(("write", addr, size, value))
        self.engine.request_stop()


def run_reference(
    state: X86State, image: bytes, ram_start: int = 0, io_value: Answer = 0, max_insts: int = 10**8
) -> tuple[X86State, GuestRam, StopInfo, ReferenceEngine]:
    """The engine's side of a stretch, on a fresh copy of RAM (caller closes both)."""
    ram = GuestRam(ram_start, len(image), name="diffcheck-reference")
    ram.view[:] = image
    io = _FirstIo(io_value)
    eng = ReferenceEngine([ram], io.read, io.write)
    io.engine = eng
    eng.load_state(state)
    stop = eng.run(max_insts)
    return eng.save_state(), ram, stop, eng


def run_kvm(state: X86State, image: bytes, ram_start: int = 0, io_value: Answer = 0):
    """KVM's side: enter once, stop at the first I/O exit (completed) or HLT.

    Returns (final state, RAM copy, exit description, the state KVM started from);
    the caller closes the RAM."""
    from kvm.exits import IoExit, MmioExit
    from kvm.system import Kvm
    from simobjs.cpu.kvm.x86_state import from_x86_state, normalize_for_kvm

    ram = GuestRam(ram_start, len(image), name="diffcheck-kvm")
    ram.view[:] = image
    kvm = Kvm()
    try:
        vm = kvm.create_vm()
        try:
            vm.set_user_memory_region(0, ram_start, len(image), ram.host_address)
            vcpu = vm.create_vcpu(0)
            vcpu.set_cpuid(reference_compatible_cpuid(kvm.supported_cpuid()))
            template = _kvm_state(vcpu)
            k = from_x86_state(state, template, MSR_TSC)
            normalize_for_kvm(k.sregs)
            vcpu.set_sregs(k.sregs)
            vcpu.set_regs(k.regs)
            vcpu.set_xsave(k.xsave)
            vcpu.set_msrs(k.msrs)
            if state.interrupt_shadow or state.exception or state.nmi_pending or state.nmi_masked:
                vcpu.set_vcpu_events(k.events.encode())
            started = _to_state(vcpu)
            exit_ = vcpu.run()
            desc = type(exit_).__name__
            is_pio = isinstance(exit_, IoExit)
            if is_pio or isinstance(exit_, MmioExit):
                addr = IO_SPACE | exit_.port if is_pio else exit_.phys_addr
                desc = f"{desc} at {addr:#x}"
            if vcpu.pending_read:
                n = exit_.size * exit_.count if is_pio else exit_.length
                data = _answer(io_value, addr, n).to_bytes(n, "little")
                (vcpu.complete_io_in if is_pio else vcpu.complete_mmio_read)(data)
            if is_pio or isinstance(exit_, MmioExit):
                vcpu.run_immediate_exit()  # the I/O is complete only after re-entry
            final = _to_state(vcpu)
            vcpu.close()
        finally:
            vm.close()
    finally:
        kvm.close()
    return final, ram, desc, started


def _kvm_state(vcpu):
    from simobjs.cpu.kvm.x86_state import KvmX86State, VcpuEvents

    msrs = vcpu.get_msrs((*CARRIED_MSRS, MSR_TSC))
    return KvmX86State(
        vcpu.get_regs(),
        vcpu.get_sregs(),
        vcpu.get_xsave(),
        msrs,
        vcpu.get_xcrs(),
        VcpuEvents.decode(vcpu.get_vcpu_events()),
    )


def _to_state(vcpu) -> X86State:
    from simobjs.cpu.kvm.x86_state import to_x86_state

    return to_x86_state(_kvm_state(vcpu), MSR_TSC)


def check_stretch(
    state: X86State,
    image: bytes,
    ram_start: int = 0,
    io_value: Answer = 0,
    masks: tuple[str, ...] | None = None,
    tamper: Callable[[X86State], None] | None = None,
) -> DiffReport:
    """Run one stretch on both sides and compare (masks: default_masks() if None).
    `tamper` edits the reference's final state before the comparison (to check that
    the checker sees a change)."""
    if masks is None:
        masks = default_masks()
    kvm_final, kvm_ram, kvm_exit, started = run_kvm(state, image, ram_start, io_value)
    try:
        kvm_image = bytes(kvm_ram.view)
        # the engine starts from exactly what KVM started from (after KVM's fix-ups)
        ref_final, ref_ram, stop, eng = run_reference(started, image, ram_start, io_value)
        try:
            if tamper is not None:
                tamper(ref_final)
            last = disassemble(eng, eng.counter.last_pc) if stop.instructions else "(none)"
            report = DiffReport(
                masked=tuple(masks),
                kvm_exit=kvm_exit,
                reference_stop=stop,
                start_rip=started.rip,
                end_rip=ref_final.rip,
                last_insn=last,
                differences=compare(kvm_final, ref_final, masks),
                memory=compare_memory(kvm_ram.view, ref_ram.view, ram_start),
                kvm_state=kvm_final,
                kvm_image=kvm_image,
            )
        finally:
            eng.close()
            ref_ram.close()
    finally:
        kvm_ram.close()
    return report


def pc_answer(addr: int, size: int) -> int:
    """What the demo PC's devices answer to the reads the guest SDK makes: the UART's
    line status says "transmitter empty", the 8259 masks read as the SDK set them, all
    else (and every m5op) reads 0."""
    if addr == IO_SPACE | 0x3FD:
        return 0x60  # LSR: THRE | TEMT
    if addr in (IO_SPACE | 0x21, IO_SPACE | 0xA1):
        return 0xFB if addr & 0xFF == 0x21 else 0xFF
    return 0


def walk(
    state: X86State,
    image: bytes,
    ram_start: int = 0,
    io_value: Answer = pc_answer,
    stop_at: Callable[[str], bool] | None = None,
    max_stretches: int = 200,
    masks: tuple[str, ...] | None = None,
):
    """Check a program stretch by stretch, each from where KVM ended the last one (state
    and memory), until a difference, a HLT, `stop_at(kvm exit description)` or
    `max_stretches`. Yields one DiffReport per stretch."""
    for _ in range(max_stretches):
        report = check_stretch(state, image, ram_start, io_value, masks)
        yield report
        io_exit = report.kvm_exit.startswith(("IoExit", "MmioExit"))
        if not report.ok or not io_exit:
            return  # a difference, or a HLT / shutdown: nothing to continue from
        if stop_at is not None and stop_at(report.kvm_exit):
            return
        state, image = report.kvm_state, report.kvm_image


def walk_elf(path: str, ram_size: int = 16 << 20, **kw):
    """walk() from the boot state X86BareMetalWorkload gives the static ELF at `path`,
    up to its m5_exit (m5ops at 0xFFFF0000)."""
    from simobjs.arch.x86 import loader

    ram = GuestRam(0, ram_size, name="diffcheck-image")
    try:
        boot = loader.load(path, ram)
        image = bytes(ram.view)
    finally:
        ram.close()
    exit_op = f"{0xFFFF0000 + (0x21 << 8):#x}"
    kw.setdefault("stop_at", lambda desc: desc.endswith(exit_op))
    yield from walk(boot.state, image, 0, **kw)
