"""cffi out-of-line API-mode build of the in-run call channel (run at install time).

The SE kernel's host thread waits here, without the GIL, for a system call a
running vCPU posted in its slot of the entry page (simobjs/se/stub.S), and the
vCPU's thread settles its slot here after each KVM_RUN. Everything that must be
atomic against the guest (claim, withdraw) is a compare-and-swap on the slot's state.
"""

from cffi import FFI

CDEF = """
typedef struct {
    uint32_t running;      /* vCPUs inside KVM_RUN that may post calls */
    uint32_t sleeping;     /* the host thread waits on `running` (futex) */
    uint32_t stop;
    uint32_t nslots;
    uint64_t *slots;       /* slot k's state word: slots[8 * k] */
    uint64_t grace_ns;     /* keep looking this long after the last vCPU left */
} se_chan;

int se_chan_next(se_chan *c);
void se_chan_enter(se_chan *c);
void se_chan_leave(se_chan *c);
void se_chan_stop(se_chan *c);
uint64_t se_slot_settle(uint64_t *state);
void se_slot_finish(uint64_t *state, uint64_t value);
uint64_t se_rdtsc(void);
"""

SOURCE = r"""
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/futex.h>

typedef struct {
    uint32_t running;
    uint32_t sleeping;
    uint32_t stop;
    uint32_t nslots;
    uint64_t *slots;
    uint64_t grace_ns;
} se_chan;

enum { POSTED = 1, CLAIMED = 2, WITHDRAWN = 4 };

static uint64_t mono_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void futex(uint32_t *word, int op, uint32_t value)
{
    syscall(SYS_futex, word, op, value, NULL, NULL, 0);
}

/* The index of a posted slot, claimed (POSTED -> CLAIMED), or -1 once stopped.
   Spins while a vCPU runs and for grace_ns after; then sleeps until one enters. */
int se_chan_next(se_chan *c)
{
    uint64_t idle_since = 0;
    for (;;) {
        if (__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE))
            return -1;
        for (uint32_t i = 0; i < c->nslots; i++) {
            uint64_t *s = c->slots + 8 * i;
            uint64_t expect = POSTED;
            if (__atomic_load_n(s, __ATOMIC_ACQUIRE) == POSTED &&
                __atomic_compare_exchange_n(s, &expect, CLAIMED, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE))
                return (int)i;
        }
        if (__atomic_load_n(&c->running, __ATOMIC_ACQUIRE)) {
            idle_since = 0;
            __builtin_ia32_pause();
            continue;
        }
        uint64_t now = mono_ns();
        if (!idle_since)
            idle_since = now;
        if (now - idle_since < c->grace_ns) {
            __builtin_ia32_pause();
            continue;
        }
        __atomic_store_n(&c->sleeping, 1, __ATOMIC_SEQ_CST);
        if (!__atomic_load_n(&c->running, __ATOMIC_SEQ_CST) &&
            !__atomic_load_n(&c->stop, __ATOMIC_SEQ_CST))
            futex(&c->running, FUTEX_WAIT_PRIVATE, 0);
        __atomic_store_n(&c->sleeping, 0, __ATOMIC_SEQ_CST);
        idle_since = 0;
    }
}

void se_chan_enter(se_chan *c)
{
    __atomic_add_fetch(&c->running, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&c->sleeping, __ATOMIC_SEQ_CST))
        futex(&c->running, FUTEX_WAKE_PRIVATE, 1);
}

void se_chan_leave(se_chan *c)
{
    __atomic_sub_fetch(&c->running, 1, __ATOMIC_SEQ_CST);
}

void se_chan_stop(se_chan *c)
{
    __atomic_store_n(&c->stop, 1, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&c->running, 1, __ATOMIC_SEQ_CST);
    futex(&c->running, FUTEX_WAKE_PRIVATE, 1);
}

/* After KVM_RUN: a call still posted is withdrawn (the guest will leave through
   the port when it runs again); one being served is waited for. Returns the state. */
uint64_t se_slot_settle(uint64_t *state)
{
    uint64_t expect = POSTED;
    __atomic_compare_exchange_n(state, &expect, WITHDRAWN, 0, __ATOMIC_ACQ_REL,
                                __ATOMIC_ACQUIRE);
    uint64_t now;
    while ((now = __atomic_load_n(state, __ATOMIC_ACQUIRE)) == CLAIMED)
        __builtin_ia32_pause();
    return now;
}

void se_slot_finish(uint64_t *state, uint64_t value)
{
    __atomic_store_n(state, value, __ATOMIC_RELEASE);
}

uint64_t se_rdtsc(void)
{
    return __builtin_ia32_rdtsc();
}
"""

ffibuilder = FFI()
ffibuilder.cdef(CDEF)
ffibuilder.set_source("simobjs.se._inrun", SOURCE, extra_compile_args=["-O2", "-Wall"])

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
