/* The system-call entry page of SE mode on the KVM CPU (simobjs.se.stub).
 *
 * IA32_LSTAR of hardware context k points at trampoline k (simobjs.se.stub builds
 * the trampolines: they store RAX in slot k's `nr`, load the slot's address into RAX
 * and jump to `common`). A slot is 64 bytes at 0x800 + 64 k of this page:
 *   0 state  (0 idle, 1 posted, 2 claimed by the host, 3 done, 4 withdrawn)
 *   8 nr     (the host writes the result over it)
 *  16 rdi, 24 rsi, 32 rdx, 40 r10, 48 r8, 56 r9
 * `timeouts` counts the calls the stub withdrew itself.
 * `spin_bound` (TSC cycles) is 0 when no host thread serves calls: then every call
 * leaves the guest through `slow`. Otherwise the call is posted, and the stub spins
 * until the host thread has served it (state 3: return in the guest), withdrew it
 * (state 4) or the bound passed (withdraw it itself unless the host claimed it
 * meanwhile); a withdrawn call leaves through `slow` like any other.
 *
 * Only RAX, RSI, RDX, RDI (restored before the return) and the flags are touched;
 * RCX and R11 hold what SYSCALL saved. Where SYSCALL stays in ring 3 (PVM) the
 * return reloads RFLAGS from R11 with POPFQ on an 8-byte stack inside the slot
 * (never below the program's stack pointer) and jumps to RCX; in ring 0, SYSRETQ.
 *
 * Assembled with `as stub.S` (tests/se/test_stub.py checks the bytes in stub.py).
 */
        .text
        .code64
        .org 0x0
slow:   out %al, $0x5e                  /* SYSCALL_PORT: the host serves the call */
        sysretq
        .org 0x10
common:
        cmpq $0, spin_bound(%rip)
        jne fast
        mov 8(%rax), %rax
off_jmp:
        jmp slow
fast:
        mov %rdi, 16(%rax)
        mov %rsi, 24(%rax)
        mov %rdx, 32(%rax)
        mov %r10, 40(%rax)
        mov %r8, 48(%rax)
        mov %r9, 56(%rax)
        mov %rax, %rdi
post:
        movq $1, (%rdi)
posted:
        rdtsc
        shl $32, %rdx
        or %rax, %rdx
        mov spin_bound(%rip), %rsi
        add %rdx, %rsi                  /* RSI: the TSC deadline */
spin:
        pause
        mov (%rdi), %eax
        cmp $3, %eax
        je done
        cmp $4, %eax
        je withdrawn
        cmp $1, %eax
        jne spin                        /* claimed: the host is serving it */
        rdtsc
        shl $32, %rdx
        or %rax, %rdx
        cmp %rsi, %rdx
        jb spin
        mov $1, %eax
        mov $4, %edx
        lock cmpxchg %rdx, (%rdi)       /* still posted: withdraw it */
        jne spin
        lock incq timeouts(%rip)        /* the host thread did not come in time */
withdrawn:
        mov 8(%rdi), %rax
        mov 24(%rdi), %rsi
        mov 32(%rdi), %rdx
        mov 16(%rdi), %rdi
withdrawn_jmp:
        jmp slow
done:
        mov %cs, %esi
        test $3, %esi
        mov 8(%rdi), %rax
        mov 32(%rdi), %rdx
        jz ring0
        mov 24(%rdi), %rsi
        mov %rsp, 48(%rdi)
on_slot_stack:
        lea 48(%rdi), %rsp
        push %r11
        popfq
        mov (%rsp), %rsp
off_slot_stack:
        mov 16(%rdi), %rdi
return3:
        jmp *%rcx
ring0:
        mov 24(%rdi), %rsi
        mov 16(%rdi), %rdi
return0:
        sysretq
end:
        .org 0xF80
spin_bound:
        .quad 0
timeouts:
        .quad 0
