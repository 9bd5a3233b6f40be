/*
 * Entry (CPL 0, long mode, loader's GDT and stack, RDI = RAM size), the
 * ring-3 start, and the interrupt stubs.
 */
#define KERNEL_STACK_SIZE 16384
#define IST_STACK_SIZE 8192
#define SDK_MAX_CPUS 8 /* simobjs.h */
#define AP_KSTACK_SHIFT 13 /* 8 KiB ring-0 stack per application processor */

    .section .text.entry, "ax"
    .globl _start
_start:
    cli
    movq %rdi, sdk_boot_ram_size(%rip)
    movq %rsp, sdk_user_stack_top(%rip)
    leaq sdk_kernel_stack_top(%rip), %rsp
    xorl %ebp, %ebp
    call sdk_kernel_main
1:  hlt
    jmp 1b

/* An application processor, started by a startup IPI through the trampoline the SDK
 * writes at SDK_AP_TRAMPOLINE: CPL 0, long mode, IF = 0, RDI = its APIC ID, no stack. */
    .globl sdk_ap_entry
sdk_ap_entry:
    cli
    cmpq $SDK_MAX_CPUS, %rdi
    jae 2f
    leaq 1(%rdi), %rax
    shlq $AP_KSTACK_SHIFT, %rax
    leaq sdk_ap_kstacks(%rip), %rsp
    addq %rax, %rsp
    xorl %ebp, %ebp
    call sdk_ap_kernel_main
2:  cli
    hlt
    jmp 2b

/* void sdk_enter_user(void (*entry)(void), uint64_t user_rsp): iretq to ring 3 with IF=1, IOPL=3. */
    .text
    .globl sdk_enter_user
sdk_enter_user:
    movw $0x1b, %ax
    movw %ax, %ds
    movw %ax, %es
    pushq $0x1b            /* SS: DPL-3 data */
    pushq %rsi             /* RSP */
    pushq $0x3202          /* RFLAGS: IOPL 3, IF */
    pushq $0x23            /* CS: DPL-3 64-bit code */
    pushq %rdi             /* RIP */
    iretq

/* Ring 3: x87/SSE to their reset state, main(), then sdk_finish(main's result). */
    .globl sdk_user_start
sdk_user_start:
    fninit
    andq $-16, %rsp
    call main
    movl %eax, %edi
    call sdk_finish
3:  pause
    jmp 3b

/* Ring 3 on an application processor: x87/SSE reset, then sdk_ap_user_main(). */
    .globl sdk_ap_user_start
sdk_ap_user_start:
    fninit
    andq $-16, %rsp
    call sdk_ap_user_main
4:  pause
    jmp 4b

/* Interrupt stubs: each pushes a dummy error code when the CPU does not, then its vector. */
.macro STUB_NOERR v
    .globl sdk_isr\v
sdk_isr\v:
    pushq $0
    pushq $\v
    jmp sdk_isr_common
.endm
.macro STUB_ERR v
    .globl sdk_isr\v
sdk_isr\v:
    pushq $\v
    jmp sdk_isr_common
.endm

    STUB_NOERR 0
    STUB_NOERR 1
    STUB_NOERR 2
    STUB_NOERR 3
    STUB_NOERR 4
    STUB_NOERR 5
    STUB_NOERR 6
    STUB_NOERR 7
    STUB_ERR 8
    STUB_NOERR 9
    STUB_ERR 10
    STUB_ERR 11
    STUB_ERR 12
    STUB_ERR 13
    STUB_ERR 14
    STUB_NOERR 15
    STUB_NOERR 16
    STUB_ERR 17
    STUB_NOERR 18
    STUB_NOERR 19
    STUB_NOERR 20
    STUB_ERR 21
    STUB_NOERR 22
    STUB_NOERR 23
    STUB_NOERR 24
    STUB_NOERR 25
    STUB_NOERR 26
    STUB_NOERR 27
    STUB_NOERR 28
    STUB_ERR 29
    STUB_ERR 30
    STUB_NOERR 31
    STUB_NOERR 32
    STUB_NOERR 33
    STUB_NOERR 34
    STUB_NOERR 35
    STUB_NOERR 36
    STUB_NOERR 37
    STUB_NOERR 38
    STUB_NOERR 39
    STUB_NOERR 40
    STUB_NOERR 41
    STUB_NOERR 42
    STUB_NOERR 43
    STUB_NOERR 44
    STUB_NOERR 45
    STUB_NOERR 46
    STUB_NOERR 47
    STUB_NOERR 239
    STUB_NOERR 240
    STUB_NOERR 255

/* Saves the GPRs (the frame is struct sdk_trap_frame), calls sdk_trap(frame). The stack is
 * 16-byte aligned at the call: the CPU aligns before its 5-qword push, plus 2 + 15 qwords here. */
sdk_isr_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    cld
    movq %rsp, %rdi
    call sdk_trap
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp
    iretq

    .section .bss
    .balign 16
    .globl sdk_kernel_stack_top, sdk_ist1_stack_top, sdk_ap_kstacks
sdk_kernel_stack:
    .skip KERNEL_STACK_SIZE
sdk_kernel_stack_top:
sdk_ist1_stack:
    .skip IST_STACK_SIZE
sdk_ist1_stack_top:
sdk_ap_kstacks:
    .skip SDK_MAX_CPUS << AP_KSTACK_SHIFT

    .section .note.GNU-stack, "", @progbits
