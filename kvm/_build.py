"""cffi out-of-line API-mode build of the /dev/kvm binding (run at install time).

Declarations live in `_kvm_cdef.h`; every number and offset is taken from the
kernel headers by the compiler. The `so_*` helpers below return -errno instead
of setting errno, so Python never has to fetch errno after a call.
"""

from pathlib import Path

from cffi import FFI

HERE = Path(__file__).parent

SOURCE = r"""
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/kvm.h>
#include <linux/futex.h>
#include <linux/perf_event.h>
#include <x86intrin.h>

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif
#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

#define SO_RUN_REQUEST_INTERRUPT_WINDOW offsetof(struct kvm_run, request_interrupt_window)
#define SO_RUN_IMMEDIATE_EXIT offsetof(struct kvm_run, immediate_exit)
#define SO_RUN_EXIT_REASON offsetof(struct kvm_run, exit_reason)
#define SO_RUN_READY_FOR_INJECTION offsetof(struct kvm_run, ready_for_interrupt_injection)
#define SO_RUN_IF_FLAG offsetof(struct kvm_run, if_flag)
#define SO_RUN_CR8 offsetof(struct kvm_run, cr8)
#define SO_RUN_APIC_BASE offsetof(struct kvm_run, apic_base)
#define SO_RUN_VALID_REGS offsetof(struct kvm_run, kvm_valid_regs)
#define SO_RUN_DIRTY_REGS offsetof(struct kvm_run, kvm_dirty_regs)
#define SO_RUN_SYNC_REGS offsetof(struct kvm_run, s.regs.regs)
#define SO_RUN_SYNC_SREGS offsetof(struct kvm_run, s.regs.sregs)
#define SO_RUN_SYNC_EVENTS offsetof(struct kvm_run, s.regs.events)
#define SO_RUN_UNION offsetof(struct kvm_run, io)
#define SO_RUN_IO_DIRECTION offsetof(struct kvm_run, io.direction)
#define SO_RUN_IO_SIZE offsetof(struct kvm_run, io.size)
#define SO_RUN_IO_PORT offsetof(struct kvm_run, io.port)
#define SO_RUN_IO_COUNT offsetof(struct kvm_run, io.count)
#define SO_RUN_IO_DATA_OFFSET offsetof(struct kvm_run, io.data_offset)
#define SO_RUN_MMIO_PHYS_ADDR offsetof(struct kvm_run, mmio.phys_addr)
#define SO_RUN_MMIO_DATA offsetof(struct kvm_run, mmio.data)
#define SO_RUN_MMIO_LEN offsetof(struct kvm_run, mmio.len)
#define SO_RUN_MMIO_IS_WRITE offsetof(struct kvm_run, mmio.is_write)
#define SO_RUN_EX_EXCEPTION offsetof(struct kvm_run, ex.exception)
#define SO_RUN_EX_ERROR_CODE offsetof(struct kvm_run, ex.error_code)
#define SO_RUN_HW_REASON offsetof(struct kvm_run, hw.hardware_exit_reason)
#define SO_RUN_FAIL_ENTRY_REASON offsetof(struct kvm_run, fail_entry.hardware_entry_failure_reason)
#define SO_RUN_FAIL_ENTRY_CPU offsetof(struct kvm_run, fail_entry.cpu)
#define SO_RUN_DEBUG_EXCEPTION offsetof(struct kvm_run, debug.arch.exception)
#define SO_RUN_DEBUG_PC offsetof(struct kvm_run, debug.arch.pc)
#define SO_RUN_DEBUG_DR6 offsetof(struct kvm_run, debug.arch.dr6)
#define SO_RUN_DEBUG_DR7 offsetof(struct kvm_run, debug.arch.dr7)
#define SO_RUN_INTERNAL_SUBERROR offsetof(struct kvm_run, internal.suberror)
#define SO_RUN_INTERNAL_NDATA offsetof(struct kvm_run, internal.ndata)
#define SO_RUN_INTERNAL_DATA offsetof(struct kvm_run, internal.data)
#define SO_RUN_HYPERCALL_NR offsetof(struct kvm_run, hypercall.nr)
#define SO_RUN_HYPERCALL_ARGS offsetof(struct kvm_run, hypercall.args)
#define SO_RUN_HYPERCALL_RET offsetof(struct kvm_run, hypercall.ret)
#define SO_RUN_HYPERCALL_LONGMODE offsetof(struct kvm_run, hypercall.longmode)
#define SO_RUN_SYSTEM_EVENT_TYPE offsetof(struct kvm_run, system_event.type)
#define SO_RUN_SYSTEM_EVENT_NDATA offsetof(struct kvm_run, system_event.ndata)
#define SO_RUN_SYSTEM_EVENT_DATA offsetof(struct kvm_run, system_event.data)
#define SO_RUN_MSR_INDEX offsetof(struct kvm_run, msr.index)
#define SO_RUN_MSR_DATA offsetof(struct kvm_run, msr.data)
#define SO_RUN_MSR_ERROR offsetof(struct kvm_run, msr.error)
#define SO_RUN_SIZE sizeof(struct kvm_run)
#define SO_RING_FIRST offsetof(struct kvm_coalesced_mmio_ring, first)
#define SO_RING_LAST offsetof(struct kvm_coalesced_mmio_ring, last)
#define SO_RING_ENTRIES offsetof(struct kvm_coalesced_mmio_ring, coalesced_mmio)
#define SO_RING_ENTRY_SIZE sizeof(struct kvm_coalesced_mmio)
#define SO_RING_ENTRY_PHYS_ADDR offsetof(struct kvm_coalesced_mmio, phys_addr)
#define SO_RING_ENTRY_LEN offsetof(struct kvm_coalesced_mmio, len)
#define SO_RING_ENTRY_PIO offsetof(struct kvm_coalesced_mmio, pio)
#define SO_RING_ENTRY_DATA offsetof(struct kvm_coalesced_mmio, data)

static int so_ioctl(int fd, unsigned long request, void *arg)
{
    int r = ioctl(fd, request, arg);
    return r < 0 ? -errno : r;
}

static int so_ioctl_int(int fd, unsigned long request, unsigned long arg)
{
    int r = ioctl(fd, request, arg);
    return r < 0 ? -errno : r;
}

static int so_kvm_run(int fd)
{
    return ioctl(fd, KVM_RUN, 0) < 0 ? -errno : 0;
}

static long long so_thread_cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Arm the one-shot `timer` for `ns` (0: disarm); *old (if given) gets what it had
 * left (all zero when it had expired, or on failure). Returns 0 or -errno. */
static int so_arm(void *timer, long long ns, struct itimerspec *old)
{
    struct itimerspec ts;
    memset(&ts, 0, sizeof ts);
    ts.it_value.tv_sec = ns / 1000000000LL;
    ts.it_value.tv_nsec = ns % 1000000000LL;
    if (timer_settime((timer_t)timer, 0, &ts, old) < 0) {
        if (old)
            memset(old, 0, sizeof *old);
        return -errno;
    }
    return 0;
}

/* Consume a pending `signo` (blocked in this thread outside KVM_RUN): a kick or the
 * timer that came after the exit must not cut the next run short. */
static void so_drain_signal(int signo)
{
    sigset_t set;
    struct timespec zero = {0, 0};
    sigemptyset(&set);
    sigaddset(&set, signo);
    while (sigtimedwait(&set, NULL, &zero) > 0)
        ;
}

/* One timer-bounded KVM_RUN, all in C: arm the one-shot timer (if ns > 0; a timer_t
 * may be 0, so the pointer says nothing), read the TSC and this thread's CPU time,
 * enter, read them again, disarm, and consume a kick signal `signo` that arrived after
 * the exit (it is blocked in this thread outside KVM_RUN). tsc[0..1] and cpu_ns[0..1]
 * get the readings around the ioctl. Returns 0 or -errno of KVM_RUN (or of
 * timer_settime). */
static int so_kvm_run_bounded(int fd, void *timer, long long ns, int signo,
                              unsigned long long *tsc, long long *cpu_ns)
{
    int r;
    if (ns > 0 && (r = so_arm(timer, ns, NULL)) < 0)
        return r;
    cpu_ns[0] = so_thread_cpu_ns();
    tsc[0] = __rdtsc();
    r = ioctl(fd, KVM_RUN, 0) < 0 ? -errno : 0;
    tsc[1] = __rdtsc();
    cpu_ns[1] = so_thread_cpu_ns();
    if (ns > 0)
        so_arm(timer, 0, NULL);
    if (signo > 0)
        so_drain_signal(signo);
    return r;
}

/* A timer-bounded KVM_RUN that keeps the timer armed across exits: arm the one-shot
 * timer for `ns` when ns > 0 (ns == 0: it is still armed from an earlier call, for
 * the same deadline), read the TSC and this thread's CPU time, enter, read them
 * again. The timer stays armed after an exit the guest made (I/O...); only when
 * KVM_RUN was cut by a signal (-EINTR: the timer fired, or a kick) is the pending
 * `signo` consumed. Returns 0 or -errno of KVM_RUN (or of timer_settime). */
static int so_kvm_run_armed(int fd, void *timer, long long ns, int signo,
                            unsigned long long *tsc, long long *cpu_ns)
{
    int r;
    if (ns > 0 && (r = so_arm(timer, ns, NULL)) < 0)
        return r;
    cpu_ns[0] = so_thread_cpu_ns();
    tsc[0] = __rdtsc();
    r = ioctl(fd, KVM_RUN, 0) < 0 ? -errno : 0;
    tsc[1] = __rdtsc();
    cpu_ns[1] = so_thread_cpu_ns();
    if (r == -EINTR && signo > 0)
        so_drain_signal(signo);
    return r;
}

#define SO_LOCKSTEP_MAX 64

/* A member's word (mstate): the meet its next arrival counts for (high half), a count
 * of its runs (bits 3..31), FIRED (its timer had expired when another member moved its
 * deadline on), MOVING (another member is moving it on: it may not leave its run
 * until that is done), IN_RUN (inside KVM_RUN on its way to that meet, where another
 * member may count its arrival for it). */
#define SO_M_IN_RUN 1ULL
#define SO_M_MOVING 2ULL
#define SO_M_FIRED 4ULL
#define SO_M_RUN_ONE 8ULL
#define SO_M_RUNS 0xfffffff8ULL

typedef struct {
    unsigned long long state;  /* meets completed (high half), arrivals at the next (low) */
    unsigned int n, brk, sleepers, wakes;
    unsigned long long limit[SO_LOCKSTEP_MAX];
    long long tail_ns[SO_LOCKSTEP_MAX];
    long long slack_ns;
    unsigned long long mstate[SO_LOCKSTEP_MAX];
    long long used0[SO_LOCKSTEP_MAX], cpu0[SO_LOCKSTEP_MAX], end0[SO_LOCKSTEP_MAX];
    long long quantum_ns[SO_LOCKSTEP_MAX];
    unsigned long long gen0[SO_LOCKSTEP_MAX];
    int clock[SO_LOCKSTEP_MAX];  /* the member thread's CPU-time clock (a clockid_t) */
    void *timer[SO_LOCKSTEP_MAX];
    unsigned long long carried[SO_LOCKSTEP_MAX];
} so_lockstep;

static long long so_mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

#define SO_MEET_SPIN_NS 50000LL  /* then sleep: a busy host must get the core back */

#define SO_MEET_SLEEP_NS 20000000LL  /* a sleeper looks again at least this often */

#define SO_CARRY_SPIN_NS 150000LL  /* a member this close to the meet is waited for awake */

static int so_futex(unsigned int *word, int op, unsigned int value, long long timeout_ns)
{
    struct timespec t = {timeout_ns / 1000000000LL, timeout_ns % 1000000000LL};
    return (int)syscall(SYS_futex, word, op, value, op == FUTEX_WAIT_PRIVATE ? &t : NULL,
                        NULL, 0);
}

/* Wake the sleepers: `wakes` changes first, so that one about to sleep (or whose
 * wait was restarted after a stop) sees it and does not. */
static void so_lockstep_wake(so_lockstep *ls)
{
    __atomic_add_fetch(&ls->wakes, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&ls->sleepers, __ATOMIC_SEQ_CST))
        so_futex(&ls->wakes, FUTEX_WAKE_PRIVATE, 0x7fffffff, 0);
}

static long long so_clock_ns(clockid_t clock)
{
    struct timespec t;
    if (clock_gettime(clock, &t) < 0)
        return -1;
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

#define SO_STOP_TURN 8

/* The member that stops at meet `gen` (and counts the others in). */
static unsigned int so_stopper(so_lockstep *ls, unsigned int gen)
{
    return (gen / SO_STOP_TURN) % ls->n;
}

/* Where member m's run reaches meet `gen`: its CPU time in KVM_RUN since it began. */
static long long so_member_end(so_lockstep *ls, unsigned int m, unsigned int gen)
{
    return ls->end0[m] + (long long)(gen - (unsigned int)ls->gen0[m]) * ls->quantum_ns[m];
}

/* Every member but one is at meet `gen`: when that one is inside its run on its way
 * there (and will go on past it), it need not stop. Once its CPU time has reached the
 * meet, count its arrival for it (the meet completes) and move its deadline on to the
 * next meet. Returns 0 when it was carried (or the word changed: look again), the ns
 * it still needs to reach the meet, or -1 when there is nobody to carry. */
static long long so_lockstep_carry(so_lockstep *ls, unsigned int gen)
{
    unsigned int n = ls->n, m;
    for (m = 0; m < n; m++) {
        unsigned long long w = __atomic_load_n(&ls->mstate[m], __ATOMIC_ACQUIRE);
        if ((w & (SO_M_IN_RUN | SO_M_MOVING)) != SO_M_IN_RUN || (unsigned int)(w >> 32) != gen)
            continue;
        if ((unsigned long long)gen + 1 > __atomic_load_n(&ls->limit[m], __ATOMIC_ACQUIRE))
            return -1;  /* it leaves at this meet: it stops there */
        long long now = so_clock_ns((clockid_t)ls->clock[m]);
        long long used = ls->used0[m] + now - ls->cpu0[m];
        if (now < 0 || __atomic_load_n(&ls->mstate[m], __ATOMIC_ACQUIRE) != w)
            return 0;
        long long rest = so_member_end(ls, m, gen) - used;
        if (rest > 0)
            return rest;
        unsigned long long moving = ((unsigned long long)(gen + 1) << 32) | (w & SO_M_RUNS) |
                                    SO_M_IN_RUN | SO_M_MOVING;
        if (!__atomic_compare_exchange_n(&ls->mstate[m], &w, moving, 0, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE))
            return 0;
        /* It cannot leave its run now until MOVING is cleared: its timer is ours. */
        long long d = so_member_end(ls, m, gen + 1) - used;
        if ((unsigned long long)gen + 2 <= __atomic_load_n(&ls->limit[m], __ATOMIC_ACQUIRE) &&
            so_stopper(ls, gen + 1) != m)
            d += ls->slack_ns;
        if (d < 10000)
            d = 10000;
        struct itimerspec old;
        so_arm(ls->timer[m], d, &old);
        int fired = old.it_value.tv_sec == 0 && old.it_value.tv_nsec == 0;
        ls->carried[m]++;
        unsigned long long s = __atomic_load_n(&ls->state, __ATOMIC_ACQUIRE), next;
        do {
            next = (unsigned int)s + 1 == n ? ((s >> 32) + 1) << 32 : s + 1;
        } while (!__atomic_compare_exchange_n(&ls->state, &s, next, 0, __ATOMIC_ACQ_REL,
                                              __ATOMIC_ACQUIRE));
        if ((unsigned int)s + 1 == n)
            so_lockstep_wake(ls);
        __atomic_store_n(&ls->mstate[m], (moving & ~SO_M_MOVING) | (fired ? SO_M_FIRED : 0),
                         __ATOMIC_RELEASE);
        return 0;
    }
    return -1;
}

/* Meet the other members at a quantum's end. Returns 1 when the meet completed (every
 * member came: this one passed it), 0 when the meeting was broken first (this
 * member's arrival is then taken back, so that every member agrees on the meets
 * completed). Every change of `state` is one compare-and-swap of the whole word.
 * While every member but one is here and that one runs on towards the meet, waits
 * for its CPU time to get there and counts it in (so_lockstep_carry); else spins a
 * while, then sleeps on `wakes` (which every completion and every break changes);
 * *interrupted is set when a signal handler ran meanwhile. */
static int so_lockstep_meet_(so_lockstep *ls, int *interrupted)
{
    unsigned long long s = __atomic_load_n(&ls->state, __ATOMIC_ACQUIRE), next;
    unsigned int n = ls->n;
    do {
        if (__atomic_load_n(&ls->brk, __ATOMIC_ACQUIRE))
            return 0;
        next = (unsigned int)s + 1 == n ? ((s >> 32) + 1) << 32 : s + 1;
    } while (!__atomic_compare_exchange_n(&ls->state, &s, next, 0, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    unsigned int gen = (unsigned int)(s >> 32);
    if ((unsigned int)s + 1 == n) {  /* the last one: completed */
        so_lockstep_wake(ls);
        return 1;
    }
    long long since = so_mono_ns(), spin_from = 0;
    unsigned int spins = 0;
    for (;;) {
        unsigned int wakes = __atomic_load_n(&ls->wakes, __ATOMIC_SEQ_CST);
        s = __atomic_load_n(&ls->state, __ATOMIC_SEQ_CST);
        if ((unsigned int)(s >> 32) != gen)
            return 1;
        if (__atomic_load_n(&ls->brk, __ATOMIC_SEQ_CST)) {
            /* take the arrival back, unless the meet completed in the meantime */
            while ((unsigned int)(s >> 32) == gen) {
                if (__atomic_compare_exchange_n(&ls->state, &s, s - 1, 0, __ATOMIC_ACQ_REL,
                                                __ATOMIC_ACQUIRE))
                    return 0;
            }
            return 1;
        }
        long long sleep_ns = SO_MEET_SLEEP_NS;
        int sleep_now = 0;
        if (ls->slack_ns > 0 && (unsigned int)s + 1 == n) {
            long long rest = so_lockstep_carry(ls, gen);
            if (rest == 0)
                continue;
            if (rest > 0) {
                if (rest <= SO_CARRY_SPIN_NS) {
                    long long t = so_mono_ns();
                    if (!spin_from)
                        spin_from = t;
                    if (t - spin_from < 2 * SO_CARRY_SPIN_NS) {
                        _mm_pause();
                        continue;
                    }
                    /* its CPU time does not move as the wall clock does (the host has
                     * it off its core): nap, leaving this core to others */
                    sleep_ns = rest;
                } else {
                    sleep_ns = rest - SO_CARRY_SPIN_NS / 2;  /* then wait awake */
                    spin_from = 0;
                }
                sleep_now = 1;
            }
        }
        if (sleep_now || (++spins % 64 == 0 && so_mono_ns() - since > SO_MEET_SPIN_NS)) {
            __atomic_add_fetch(&ls->sleepers, 1, __ATOMIC_SEQ_CST);
            if ((unsigned int)(__atomic_load_n(&ls->state, __ATOMIC_SEQ_CST) >> 32) == gen &&
                !__atomic_load_n(&ls->brk, __ATOMIC_SEQ_CST) &&
                so_futex(&ls->wakes, FUTEX_WAIT_PRIVATE, wakes, sleep_ns) < 0 && errno == EINTR)
                *interrupted = 1;
            __atomic_sub_fetch(&ls->sleepers, 1, __ATOMIC_SEQ_CST);
            continue;
        }
        _mm_pause();
    }
}

/* The meet for a member that reached the quantum's end outside C. */
static int so_lockstep_meet(so_lockstep *ls)
{
    int interrupted = 0;
    return so_lockstep_meet_(ls, &interrupted);
}

/* End the meeting (from any thread): nobody goes on past a meet, nobody waits at one. */
static void so_lockstep_break(so_lockstep *ls)
{
    __atomic_store_n(&ls->brk, 1, __ATOMIC_SEQ_CST);
    so_lockstep_wake(ls);
}

/* Quanta in lockstep with other members of `ls`, without returning to the caller in
 * between: run until the thread has used `ns` of CPU time (the end of the current
 * quantum), meet the others there, and go on for `quantum_ns` more while the meets
 * completed stay <= ls->limit[member] (the caller's queue has nothing due before
 * then; other threads may lower it, before they meet this one again); past the meet
 * after that, ls->tail_ns[member] more (the time to the event then due) if > 0.
 * A run that may go on past its next meet has its deadline ls->slack_ns after the
 * meet: when the others are all there first, the last of them counts this member in
 * as its CPU time passes the meet and moves the deadline on (so_lockstep_carry), and
 * the vCPU does not stop at that meet at all.
 * Returns (like so_kvm_run_armed) at the first exit
 * of the guest's own (the timer disarmed; the others go on and wait for this member
 * at the next meet), a signal other than the timer (a kick: -EINTR; the meeting is
 * broken), the end of the tail, or a meet after which this member leaves, or at
 * which the meeting was broken (-EINTR). cpu_ns[1] - cpu_ns[0] is the CPU time spent in
 * KVM_RUN over the whole call, tsc[] spans it. Runs are at least floor_ns long. */
static int so_kvm_run_lockstep(int fd, void *timer, long long ns, long long quantum_ns,
                               long long floor_ns, int signo, unsigned long long *tsc,
                               long long *cpu_ns, so_lockstep *ls, unsigned int member)
{
    struct itimerspec cur;
    unsigned long long *mine = &ls->mstate[member];
    unsigned int gen = (unsigned int)(__atomic_load_n(&ls->state, __ATOMIC_ACQUIRE) >> 32);
    unsigned long long runs = __atomic_load_n(mine, __ATOMIC_RELAXED) & SO_M_RUNS;
    long long used = 0, end = ns, slack = ls->slack_ns;
    int r = 0, interrupted = 0, tail = 0;
    clockid_t clock;
    if (pthread_getcpuclockid(pthread_self(), &clock) != 0)
        slack = 0;
    ls->end0[member] = ns;
    ls->gen0[member] = gen;
    ls->quantum_ns[member] = quantum_ns;
    ls->clock[member] = (int)clock;
    ls->timer[member] = timer;
    tsc[0] = __rdtsc();
    for (;;) {
        int carry = !tail && slack > 0 && ls->n > 1 &&
                    (unsigned long long)gen + 1 <= __atomic_load_n(&ls->limit[member],
                                                                   __ATOMIC_ACQUIRE) &&
                    !__atomic_load_n(&ls->brk, __ATOMIC_ACQUIRE);
        /* One member stops at each meet, in turns of SO_STOP_TURN meets: the others'
         * deadline is past it, and they run on when it counts them in */
        long long d = end - used + (carry && so_stopper(ls, gen) != member ? slack : 0);
        if (d < floor_ns)
            d = floor_ns;
        if ((r = so_arm(timer, d, NULL)) < 0) {
            so_lockstep_break(ls);
            break;
        }
        long long c0 = so_thread_cpu_ns();
        if (carry) {  /* from here until it leaves KVM_RUN, others may count it in */
            ls->used0[member] = used;
            ls->cpu0[member] = c0;
            runs = (runs + SO_M_RUN_ONE) & SO_M_RUNS;
            __atomic_store_n(mine, ((unsigned long long)gen << 32) | runs | SO_M_IN_RUN,
                             __ATOMIC_RELEASE);
        }
        r = ioctl(fd, KVM_RUN, 0) < 0 ? -errno : 0;
        used += so_thread_cpu_ns() - c0;
        int fired = 0;
        if (carry) {
            unsigned long long w = __atomic_load_n(mine, __ATOMIC_ACQUIRE);
            for (;;) {
                if (w & SO_M_MOVING) {  /* being carried past a meet: a moment */
                    _mm_pause();
                    w = __atomic_load_n(mine, __ATOMIC_ACQUIRE);
                    continue;
                }
                if (__atomic_compare_exchange_n(mine, &w, w & ~(SO_M_IN_RUN | SO_M_FIRED), 0,
                                                __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                    break;
            }
            fired = (w & SO_M_FIRED) != 0;
            gen = (unsigned int)(w >> 32);
            end = so_member_end(ls, member, gen);
        }
        if (r != -EINTR) {  /* the guest's own exit: this member is served outside */
            so_arm(timer, 0, NULL);
            break;
        }
        so_drain_signal(signo);
        if (__atomic_load_n(&ls->brk, __ATOMIC_ACQUIRE)) {
            so_arm(timer, 0, NULL);
            break;
        }
        if (!fired && timer_gettime((timer_t)timer, &cur) == 0 &&
            (cur.it_value.tv_sec || cur.it_value.tv_nsec)) {
            /* not the timer: a kick or another signal */
            so_arm(timer, 0, NULL);
            so_lockstep_break(ls);
            break;
        }
        if (used < end - floor_ns)
            continue;  /* the host kept the thread off the CPU: run on to the end */
        if (tail)
            break;  /* at the event due inside this quantum */
        if (!so_lockstep_meet_(ls, &interrupted) || interrupted ||
            __atomic_load_n(&ls->brk, __ATOMIC_ACQUIRE))
            break;
        unsigned long long meets = __atomic_load_n(&ls->state, __ATOMIC_ACQUIRE) >> 32;
        unsigned long long limit = __atomic_load_n(&ls->limit[member], __ATOMIC_ACQUIRE);
        gen = (unsigned int)meets;
        if (meets > limit) {
            long long more = __atomic_load_n(&ls->tail_ns[member], __ATOMIC_ACQUIRE);
            if (meets != limit + 1 || more <= 0)
                break;
            tail = 1;
            end += more;
            continue;
        }
        end = so_member_end(ls, member, gen);
    }
    tsc[1] = __rdtsc();
    cpu_ns[0] = 0;  /* the guest's CPU time only (not the waits at the meetings) */
    cpu_ns[1] = used;
    return r;
}

static int so_get_dirty_log(int fd, unsigned int slot, void *bitmap)
{
    struct kvm_dirty_log log;
    memset(&log, 0, sizeof log);
    log.slot = slot;
    log.dirty_bitmap = bitmap;
    return so_ioctl(fd, KVM_GET_DIRTY_LOG, &log);
}

static int so_coalesced_zone(int fd, unsigned long request, unsigned long long addr,
                             unsigned int size, int pio)
{
    struct kvm_coalesced_mmio_zone zone;
    memset(&zone, 0, sizeof zone);
    zone.addr = addr;
    zone.size = size;
    zone.pio = pio;
    return so_ioctl(fd, request, &zone);
}

static int so_set_signal_mask(int fd, unsigned long long mask, int clear)
{
    /* The kernel's sigset is 8 bytes on x86-64: bit n-1 stands for signal n. */
    union { struct kvm_signal_mask m; unsigned char raw[sizeof(struct kvm_signal_mask) + 8]; } u;
    memset(&u, 0, sizeof u);
    u.m.len = 8;
    memcpy(u.m.sigset, &mask, 8);
    return so_ioctl(fd, KVM_SET_SIGNAL_MASK, clear ? NULL : &u.m);
}

static int so_get_msrs(int fd, int set, unsigned int n, unsigned int *indices,
                       unsigned long long *values)
{
    size_t bytes = sizeof(struct kvm_msrs) + n * sizeof(struct kvm_msr_entry);
    struct kvm_msrs *msrs = calloc(1, bytes);
    unsigned int i;
    int r;
    if (!msrs)
        return -ENOMEM;
    msrs->nmsrs = n;
    for (i = 0; i < n; i++) {
        msrs->entries[i].index = indices[i];
        msrs->entries[i].data = values[i];
    }
    r = so_ioctl(fd, set ? KVM_SET_MSRS : KVM_GET_MSRS, msrs);
    if (!set)
        for (i = 0; i < n; i++)
            values[i] = msrs->entries[i].data;
    free(msrs);
    return r;
}

static int so_cpuid2(int fd, unsigned long request, unsigned int nent,
                     struct kvm_cpuid_entry2 *entries, unsigned int *nent_out)
{
    size_t bytes = sizeof(struct kvm_cpuid2) + nent * sizeof(struct kvm_cpuid_entry2);
    struct kvm_cpuid2 *c = calloc(1, bytes);
    int r;
    if (!c)
        return -ENOMEM;
    c->nent = nent;
    memcpy(c->entries, entries, nent * sizeof(struct kvm_cpuid_entry2));
    r = so_ioctl(fd, request, c);
    *nent_out = c->nent;
    if (r >= 0 && c->nent <= nent)
        memcpy(entries, c->entries, c->nent * sizeof(struct kvm_cpuid_entry2));
    free(c);
    return r;
}

static int so_msr_index_list(int fd, unsigned long request, unsigned int n,
                             unsigned int *indices, unsigned int *n_out)
{
    struct kvm_msr_list *l = calloc(1, sizeof(struct kvm_msr_list) + n * sizeof(__u32));
    int r;
    if (!l)
        return -ENOMEM;
    l->nmsrs = n;
    r = so_ioctl(fd, request, l);
    *n_out = l->nmsrs;
    if (r >= 0)
        memcpy(indices, l->indices, l->nmsrs * sizeof(__u32));
    free(l);
    return r;
}

static int so_guest_debug(int fd, unsigned int control, unsigned long long *debugreg8)
{
    struct kvm_guest_debug d;
    memset(&d, 0, sizeof d);
    d.control = control;
    memcpy(d.arch.debugreg, debugreg8, sizeof d.arch.debugreg);
    return so_ioctl(fd, KVM_SET_GUEST_DEBUG, &d);
}

static int so_interrupt(int fd, unsigned int irq)
{
    struct kvm_interrupt i;
    i.irq = irq;
    return so_ioctl(fd, KVM_INTERRUPT, &i);
}

static int so_vcpu_events_size(void)
{
    return sizeof(struct kvm_vcpu_events);
}

static int so_vcpu_events(int fd, int set, unsigned char *buf, unsigned int len)
{
    if (len != sizeof(struct kvm_vcpu_events))
        return -EINVAL;
    return so_ioctl(fd, set ? KVM_SET_VCPU_EVENTS : KVM_GET_VCPU_EVENTS, buf);
}

static int so_gettid(void) { return (int)syscall(SYS_gettid); }
static int so_sigrtmin(void) { return SIGRTMIN; }
static int so_sigrtmax(void) { return SIGRTMAX; }

static int so_timer_create(int clock, int signo, int tid, void **timer_out)
{
    struct sigevent sev;
    timer_t t;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = signo;
    sev.sigev_notify_thread_id = tid;
    if (timer_create(clock, &sev, &t) < 0)
        return -errno;
    *timer_out = (void *)t;
    return 0;
}

static int so_timer_arm(void *timer, long long ns)
{
    return so_arm(timer, ns, NULL);  /* one-shot; ns == 0 disarms */
}

static int so_timer_delete(void *timer)
{
    return timer_delete((timer_t)timer) < 0 ? -errno : 0;
}

static long long so_clock_getres(int clock)
{
    struct timespec ts;
    if (clock_getres(clock, &ts) < 0)
        return -errno;
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int so_perf_open(unsigned int type, unsigned long long config, int exclude_host,
                        int exclude_hv, int pinned, int group_fd,
                        unsigned long long sample_period)
{
    struct perf_event_attr a;
    long fd;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = type;
    a.config = config;
    a.disabled = group_fd < 0;
    a.exclude_host = exclude_host ? 1 : 0;
    a.exclude_hv = exclude_hv ? 1 : 0;
    a.pinned = (pinned && group_fd < 0) ? 1 : 0;
    a.sample_period = sample_period;
    a.wakeup_events = sample_period ? 1 : 0;
    fd = syscall(SYS_perf_event_open, &a, 0, -1, group_fd, 0);
    return fd < 0 ? -errno : (int)fd;
}

static int so_perf_signal_to_thread(int fd, int signo, int tid)
{
    struct f_owner_ex owner;
    owner.type = F_OWNER_TID;
    owner.pid = tid;
    if (fcntl(fd, F_SETOWN_EX, &owner) < 0)
        return -errno;
    if (fcntl(fd, F_SETSIG, signo) < 0)
        return -errno;
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC) < 0)
        return -errno;
    return 0;
}
"""

ffibuilder = FFI()
ffibuilder.cdef((HERE / "_kvm_cdef.h").read_text())
ffibuilder.set_source("kvm._kvm_ffi", SOURCE, libraries=["rt"])

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
