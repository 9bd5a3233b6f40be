/*
 * simobjs guest SDK: bare-metal x86-64 programs for X86BareMetalWorkload.
 *
 * Boot: the loader starts _start at CPL 0 in long mode (see the design notes,
 * "guest boot contract"). The SDK's ring-0 part installs an IDT and a TSS,
 * then drops to ring 3 (IOPL 3, interrupts enabled) and calls main(). When
 * main() returns 0 the SDK calls m5_exit(0); any other value is m5_fail(0, v).
 *
 * Ring 3 may use SSE and x87, port I/O (IOPL 3), RAM and the m5ops page.
 * HLT is privileged: use sdk_wait_for_interrupt().
 *
 * Exceptions: the ring-0 handler prints "*** guest exception <name> (vector
 * <v>) error <e> rip <rip> ..." on the UART and calls m5_fail(0, 128 + v).
 */
#ifndef SIMOBJS_H
#define SIMOBJS_H

typedef unsigned char uint8_t;
typedef unsigned short uint16_t;
typedef unsigned int uint32_t;
typedef unsigned long uint64_t;
typedef signed char int8_t;
typedef short int16_t;
typedef int int32_t;
typedef long int64_t;
typedef unsigned long size_t;
typedef long ssize_t;
typedef unsigned long uintptr_t;

#define NULL ((void *)0)

#ifndef SIMOBJS_M5OPS_BASE
#define SIMOBJS_M5OPS_BASE 0xFFFF0000UL /* System.m5ops_base */
#endif
#define SIMOBJS_COM1 0x3F8

/* m5op function numbers (gem5's include/gem5/asm/generic/m5ops.h) */
#define M5OP_EXIT 0x21
#define M5OP_FAIL 0x22
#define M5OP_SUM 0x23
#define M5OP_RESET_STATS 0x40
#define M5OP_DUMP_STATS 0x41
#define M5OP_CHECKPOINT 0x43
#define M5OP_SWITCH_CPU 0x52
#define M5OP_WORK_BEGIN 0x5a
#define M5OP_WORK_END 0x5b

/* One m5op: a load from m5ops_base + (func << 8), arguments in rdi, rsi. */
static inline uint64_t sdk_m5op(unsigned func, uint64_t a0, uint64_t a1)
{
    uint64_t ret;
    volatile uint64_t *addr = (volatile uint64_t *)(SIMOBJS_M5OPS_BASE + ((uint64_t)func << 8));
    __asm__ volatile("movq (%3), %0" : "=a"(ret) : "D"(a0), "S"(a1), "r"(addr) : "memory");
    return ret;
}

static inline void m5_exit(uint64_t ns_delay) { sdk_m5op(M5OP_EXIT, ns_delay, 0); }
static inline void m5_fail(uint64_t ns_delay, uint64_t code) { sdk_m5op(M5OP_FAIL, ns_delay, code); }
static inline void m5_reset_stats(uint64_t ns_delay, uint64_t ns_period)
{
    sdk_m5op(M5OP_RESET_STATS, ns_delay, ns_period);
}
static inline void m5_dump_stats(uint64_t ns_delay, uint64_t ns_period)
{
    sdk_m5op(M5OP_DUMP_STATS, ns_delay, ns_period);
}
static inline void m5_checkpoint(uint64_t ns_delay, uint64_t ns_period)
{
    sdk_m5op(M5OP_CHECKPOINT, ns_delay, ns_period);
}
static inline void m5_switch_cpu(void) { sdk_m5op(M5OP_SWITCH_CPU, 0, 0); }

/* gem5's m5_sum: the simulator adds its six arguments (a test of argument passing). */
static inline uint64_t m5_sum(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e, uint64_t f)
{
    uint64_t ret;
    volatile uint64_t *addr = (volatile uint64_t *)(SIMOBJS_M5OPS_BASE + ((uint64_t)M5OP_SUM << 8));
    register uint64_t r8 __asm__("r8") = e;
    register uint64_t r9 __asm__("r9") = f;
    __asm__ volatile("movq (%7), %0"
                     : "=a"(ret)
                     : "D"(a), "S"(b), "d"(c), "c"(d), "r"(r8), "r"(r9), "r"(addr)
                     : "memory");
    return ret;
}
static inline void m5_work_begin(uint64_t workid, uint64_t threadid)
{
    sdk_m5op(M5OP_WORK_BEGIN, workid, threadid);
}
static inline void m5_work_end(uint64_t workid, uint64_t threadid)
{
    sdk_m5op(M5OP_WORK_END, workid, threadid);
}

/* Port I/O (allowed in ring 3: IOPL is 3). */
static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* UART (COM1, 8250) output, and a small printf:
 * %d %i %u %x %X %lx %ld %lu %s %c %p %%, with widths, '-' and '0' flags. */
void uart_init(void);
void uart_putc(char c);
void uart_puts(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int puts(const char *s);
int putchar(int c);
typedef __builtin_va_list va_list;
int vprintf(const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Freestanding string helpers (the compiler may also emit calls to these). */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* Timer: PIT channel 0 at `hz` (rate generator) on IRQ 0 of the 8259 (vector 0x20).
 * The ring-0 handler counts ticks and sends EOI; read the count from ring 3. */
void sdk_timer_start(uint32_t hz);
void sdk_timer_stop(void);
uint64_t sdk_timer_ticks(void);

/* Wait for the next interrupt from ring 3: a HLT, which faults in ring 3 (#GP); the
 * ring-0 handler sees the HLT, does `sti; hlt` and returns past it after the
 * interrupt was handled. An interrupt that is
 * already pending is taken at once, so callers loop on a condition. */
void sdk_wait_for_interrupt(void);

/* Guest RAM size in bytes, as the loader passed it in RDI. */
uint64_t sdk_ram_size(void);

/* -- The local APIC (xAPIC registers at 0xFEE00000, each CPU sees its own) ----------
 * Ring 3 may access it too: the loader's identity map has the user bit everywhere. */
#define SDK_LAPIC_BASE 0xFEE00000UL
#define LAPIC_ID 0x20
#define LAPIC_VERSION 0x30
#define LAPIC_TPR 0x80
#define LAPIC_PPR 0xA0
#define LAPIC_EOI 0xB0
#define LAPIC_LDR 0xD0
#define LAPIC_DFR 0xE0
#define LAPIC_SVR 0xF0
#define LAPIC_ISR 0x100
#define LAPIC_TMR 0x180
#define LAPIC_IRR 0x200
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3E0
#define LAPIC_LVT_MASKED (1u << 16)
#define LAPIC_TIMER_PERIODIC (1u << 17)
/* ICR: delivery modes, level, shorthands */
#define ICR_FIXED (0u << 8)
#define ICR_NMI (4u << 8)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_LOGICAL (1u << 11)
#define ICR_ASSERT (1u << 14)
#define ICR_SELF (1u << 18)
#define ICR_ALL (2u << 18)
#define ICR_ALL_BUT_SELF (3u << 18)

static inline uint32_t lapic_read(uint32_t reg)
{
    return *(volatile uint32_t *)(SDK_LAPIC_BASE + reg);
}
static inline void lapic_write(uint32_t reg, uint32_t value)
{
    *(volatile uint32_t *)(SDK_LAPIC_BASE + reg) = value;
}
/* This CPU's APIC ID (0 for the processor that booted). */
static inline unsigned sdk_cpu_id(void) { return lapic_read(LAPIC_ID) >> 24; }

/* -- SMP --------------------------------------------------------------------------
 * sdk_smp_start(fn) starts every other CPU (INIT, then startup IPIs to all but
 * itself, as an OS does): each runs its ring-0 setup on its own stacks, GDT and TSS,
 * then fn(its APIC ID) in ring 3 on its own stack, and waits for interrupts when fn
 * returns. It returns the number of CPUs online (itself included) once no more came
 * up within SDK_SMP_WAIT_COUNT APIC-timer counts (at divide 16). APIC IDs are 0..n-1. */
#define SDK_MAX_CPUS 8
#define SDK_AP_TRAMPOLINE 0x8000UL /* the startup IPI's page (vector 0x08) */
#define SDK_SMP_WAIT_COUNT 150000u
unsigned sdk_smp_start(void (*fn)(unsigned cpu));
unsigned sdk_cpus_online(void);

/* Spinlocks (a test-and-test-and-set on one word). */
typedef struct {
    volatile uint32_t locked;
} sdk_spinlock_t;
static inline void sdk_spin_lock(sdk_spinlock_t *l)
{
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
        while (l->locked)
            __asm__ volatile("pause" ::: "memory");
}
static inline void sdk_spin_unlock(sdk_spinlock_t *l) { __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE); }

/* Inter-processor interrupts. SDK_IPI_VECTOR is counted per CPU by the ring-0 handler. */
#define SDK_IPI_VECTOR 0xF0
void sdk_send_ipi(unsigned apic_id, uint8_t vector);
void sdk_send_ipi_all_but_self(uint8_t vector);
uint64_t sdk_ipi_count(void); /* IPIs this CPU took */

/* The APIC timer of this CPU on SDK_APIC_TIMER_VECTOR, counted per CPU by the ring-0 handler.
 * divide_conf is the divide configuration register's value (0xB: 1, 0x0: 2, 0x3: 16, ...). */
#define SDK_APIC_TIMER_VECTOR 0xEF
void sdk_apic_timer_start(uint32_t initial_count, uint32_t divide_conf, int periodic);
void sdk_apic_timer_stop(void);
uint64_t sdk_apic_timer_ticks(void);

int main(void);

#endif /* SIMOBJS_H */
