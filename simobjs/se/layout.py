"""Where things live in an SE process's address space, and the CPU state a program
starts with.

User space is Linux's: programs at their link address (static-pie ones at
0x555555554000), the heap after them, mmap below the stack, the stack ending at
0x7ffffffff000. The page above it (the one Linux never gives to user space)
holds the system-call entry stub that IA32_LSTAR points at: on hosts where
`syscall` stays at CPL 3 (PVM) it must be user-executable, and only the lower
half of the address space is. The supervisor pages (GDT, IDT, per-context TSS
and fault stack, fault stubs) live at the start of the upper half.

The entry stub and the fault stubs leave the guest through port I/O:
`SYSCALL_PORT` for a system call (granted to ring 3 in each TSS's I/O bitmap),
`FAULT_PORT` from the ring-0 fault stubs (which push an error code and the
vector first).
"""

from __future__ import annotations

from simobjs.arch.x86.loader import flat_segment
from simobjs.arch.x86.state import (
    MSR_FMASK,
    MSR_LSTAR,
    MSR_STAR,
    DescriptorTable,
    Segment,
    X86State,
)

PAGE = 4096
USER_TOP = 0x7FFF_FFFF_F000  # Linux's TASK_SIZE: the end of user space
STUB_VA = USER_TOP  # the system-call entry stub (one page, user-executable)
STACK_TOP = USER_TOP
PIE_BASE = 0x5555_5555_4000
MMAP_GAP = 128 << 20  # at least this between the stack limit and the mmap area (Linux)
KERNEL_VA = 0xFFFF_8000_0000_0000
GDT_VA = KERNEL_VA
IDT_VA = KERNEL_VA + 0x1000
FAULT_STUBS_VA = KERNEL_VA + 0x2000
TSS_VA = KERNEL_VA + 0x10000  # + 0x1000 * context
KSTACK_VA = KERNEL_VA + 0x100000  # + 0x2000 * context, two pages each
KSTACK_SIZE = 0x2000
MAX_CONTEXTS = 32
KERNEL_PML4_INDEX = (KERNEL_VA >> 39) & 0x1FF

SYSCALL_PORT = 0x5E
FAULT_PORT = 0x5F
SE_PORTS = (SYSCALL_PORT, FAULT_PORT)

SEL_CODE0, SEL_DATA0, SEL_DATA3, SEL_CODE3, SEL_TSS0 = 0x08, 0x10, 0x1B, 0x23, 0x28
GDT_CODE0 = 0x00AF9B000000FFFF
GDT_DATA0 = 0x00CF93000000FFFF
GDT_DATA3 = 0x00CFF3000000FFFF
GDT_CODE3 = 0x00AFFB000000FFFF
TSS_IOMAP = 104
TSS_IOMAP_BYTES = SYSCALL_PORT // 8 + 1
TSS_LIMIT = TSS_IOMAP + TSS_IOMAP_BYTES  # the byte after the map (all ones) is inside
ERROR_CODE_VECTORS = frozenset({8, 10, 11, 12, 13, 14, 17, 21, 29, 30})
USER_GATES = frozenset({3, 4})  # int3 and into may be used from ring 3
FAULT_VECTORS = 32

CR0 = 0x1 | 0x2 | 0x10 | 0x20 | 0x10000 | 0x80000000  # PE MP ET NE WP PG
# PAE OSFXSR OSXMMEXCPT OSXSAVE: XGETBV works on every CPU (glibc calls it when CPUID
# says OSXSAVE, as this host's KVM shows it), and reports XCR0 = x87|SSE
CR4 = (1 << 5) | (1 << 9) | (1 << 10) | (1 << 18)
XCR0 = 0x3
EFER = 1 | (1 << 8) | (1 << 10) | (1 << 11)  # SCE LME LMA NXE
STAR = (0x10 << 48) | (SEL_CODE0 << 32)  # SYSRET: CS 0x23, SS 0x1b; SYSCALL: CS 0x08
FMASK = 0x47700  # what Linux clears on entry: TF DF IF IOPL AC NT
USER_RFLAGS = 0x202

# The entry page (simobjs.se.stub, stub.S) begins with the exit every call can take:
# `out %al, $SYSCALL_PORT; sysretq`. Where SYSCALL enters ring 0 (VMX/SVM) the host
# leaves RIP after the OUT and the SYSRETQ returns to the program; where it stays in
# ring 3 (PVM) the host sets RIP=RCX, RFLAGS=R11 itself.
SYSRET_VA = STUB_VA + 2
STUB_SIZE = 16


def lstar(context: int) -> int:
    """IA32_LSTAR of a hardware context: its trampoline in the entry page."""
    from simobjs.se import stub

    return STUB_VA + (stub.trampoline(context) if context < stub.CONTEXTS else stub.SLOW)


def fault_stub(vector: int) -> bytes:
    """The 16-byte ring-0 stub of one vector: [push $0;] push $vector; out; hlt; jmp."""
    code = b"" if vector in ERROR_CODE_VECTORS else bytes([0x6A, 0x00])
    code += bytes([0x6A, vector, 0xE6, FAULT_PORT, 0xF4, 0xEB, 0xFD])
    return code.ljust(STUB_SIZE, b"\xcc")


def tss_va(context: int) -> int:
    return TSS_VA + 0x1000 * context


def kstack_top(context: int) -> int:
    return KSTACK_VA + KSTACK_SIZE * (context + 1)


def tss_selector(context: int) -> int:
    return SEL_TSS0 + 16 * context


def gdt_limit(contexts: int) -> int:
    return SEL_TSS0 + 16 * contexts - 1


def user_state(entry: int, rsp: int, cr3: int, context: int, contexts: int) -> X86State:
    """A program's first CPU state: ring 3, long mode, flat segments, every GPR 0."""
    st = X86State()
    data = flat_segment(SEL_DATA3, False, 3)
    st.seg.update(
        cs=flat_segment(SEL_CODE3, True, 3),
        ds=data,
        es=flat_segment(SEL_DATA3, False, 3),
        ss=flat_segment(SEL_DATA3, False, 3),
    )
    for name in ("fs", "gs"):
        st.seg[name] = Segment(
            selector=0, limit=0xFFFFFFFF, type=3, present=1, s=1, dpl=3, g=1, db=1
        )
    st.seg["tr"] = tss_segment(context)
    st.seg["ldt"] = Segment(selector=0, limit=0xFFFF, type=2, present=1, unusable=1)
    st.gdt = DescriptorTable(GDT_VA, gdt_limit(contexts))
    st.idt = DescriptorTable(IDT_VA, 16 * FAULT_VECTORS - 1)
    st.cr0, st.cr3, st.cr4, st.efer, st.xcr0 = CR0, cr3, CR4, EFER, XCR0
    st.msrs = {MSR_STAR: STAR, MSR_LSTAR: lstar(context), MSR_FMASK: FMASK}
    st.rflags = USER_RFLAGS
    st.rip = entry
    st.set_reg("rsp", rsp)
    return st


def tss_segment(context: int) -> Segment:
    return Segment(
        selector=tss_selector(context), base=tss_va(context), limit=TSS_LIMIT, type=0xB, present=1
    )


def on_context(st: X86State, context: int) -> X86State:
    """A thread's state moved to hardware context `context`: that context's TSS (its
    fault stack) and system-call entry."""
    st.seg["tr"] = tss_segment(context)
    st.msrs[MSR_LSTAR] = lstar(context)
    return st


def set_user_segments(st: X86State) -> None:
    """CS and SS of ring 3 (what SYSRETQ and IRETQ to the program load)."""
    st.seg["cs"] = flat_segment(SEL_CODE3, True, 3)
    st.seg["ss"] = flat_segment(SEL_DATA3, False, 3)


def to_user_mode(st: X86State) -> X86State:
    """The user-mode state of a thread stopped in the entry stub (in ring 0 where SYSCALL
    enters it, in ring 3 on PVM hosts): past the stub's OUT the call was made, and this
    is what the SYSRETQ gives (RIP = RCX); at the OUT it was not, and the thread goes
    back to its SYSCALL instruction (RAX still holds the number). Any other state is
    returned as it is."""
    if st.rip in (STUB_VA, SYSRET_VA):
        st.rip = st.reg("rcx") - (2 if st.rip == STUB_VA else 0)
        st.rflags = (st.reg("r11") & 0x3C7FD7) | 2
        set_user_segments(st)
    return st
