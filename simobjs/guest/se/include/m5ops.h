/*
 * m5ops for SE programs, as gem5's util/m5 library issues them (include/gem5/m5ops.h):
 *
 *   m5_exit(delay)          m5_fail(delay, code)      m5_checkpoint(delay, period)
 *   m5_reset_stats(d, p)    m5_dump_stats(d, p)       m5_dump_reset_stats(d, p)
 *   m5_work_begin(id, thr)  m5_work_end(id, thr)      m5_switch_cpu()
 *   m5_sum(a, b, c, d, e, f)
 *
 * The plain names use gem5's x86 instruction form (`.byte 0x0f, 0x04; .word func`);
 * the `_addr` names use the address form, a load from m5_mem + (func << 8), with
 * m5_mem at System.m5ops_base, which SE mode maps into every program (util/m5's
 * map_m5_mem(), an mmap of /dev/mem at that address, works too). Arguments go in
 * rdi, rsi, rdx, rcx, r8, r9; the result comes back in rax. Delays and periods are
 * in nanoseconds of simulated time.
 */
#ifndef SIMOBJS_SE_M5OPS_H
#define SIMOBJS_SE_M5OPS_H

#include <stdint.h>

#ifndef M5OP_ADDR
#define M5OP_ADDR 0xFFFF0000UL /* System.m5ops_base */
#endif

#define M5OP_EXIT 0x21
#define M5OP_FAIL 0x22
#define M5OP_SUM 0x23
#define M5OP_RESET_STATS 0x40
#define M5OP_DUMP_STATS 0x41
#define M5OP_DUMP_RESET_STATS 0x42
#define M5OP_CHECKPOINT 0x43
#define M5OP_SWITCH_CPU 0x52
#define M5OP_WORK_BEGIN 0x5a
#define M5OP_WORK_END 0x5b

static void *volatile m5_mem = (void *)M5OP_ADDR;

/* The instruction form: func is encoded in the instruction, so it must be a constant. */
#define M5OP_INST(func, a0, a1, a2, a3, a4, a5)                                        \
    ({                                                                                 \
        uint64_t _ret;                                                                 \
        register uint64_t _a3 __asm__("rcx") = (a3);                                   \
        register uint64_t _a4 __asm__("r8") = (a4);                                    \
        register uint64_t _a5 __asm__("r9") = (a5);                                    \
        __asm__ volatile(".byte 0x0f, 0x04\n\t.word %c1"                               \
                         : "=a"(_ret)                                                  \
                         : "i"(func), "D"((uint64_t)(a0)), "S"((uint64_t)(a1)),        \
                           "d"((uint64_t)(a2)), "r"(_a3), "r"(_a4), "r"(_a5)           \
                         : "memory");                                                  \
        _ret;                                                                          \
    })

/* The address form: a load from the m5ops page. */
static inline uint64_t m5op_addr(unsigned func, uint64_t a0, uint64_t a1, uint64_t a2,
                                 uint64_t a3, uint64_t a4, uint64_t a5)
{
    uint64_t ret;
    volatile uint64_t *addr = (volatile uint64_t *)((char *)m5_mem + ((uint64_t)func << 8));
    register uint64_t r_a3 __asm__("rcx") = a3;
    register uint64_t r_a4 __asm__("r8") = a4;
    register uint64_t r_a5 __asm__("r9") = a5;
    __asm__ volatile("movq (%1), %0"
                     : "=a"(ret)
                     : "r"(addr), "D"(a0), "S"(a1), "d"(a2), "r"(r_a3), "r"(r_a4), "r"(r_a5)
                     : "memory");
    return ret;
}

#define M5_FN(name, func)                                                              \
    static inline uint64_t name(uint64_t a0, uint64_t a1)                              \
    {                                                                                  \
        return M5OP_INST(func, a0, a1, 0, 0, 0, 0);                                    \
    }                                                                                  \
    static inline uint64_t name##_addr(uint64_t a0, uint64_t a1)                       \
    {                                                                                  \
        return m5op_addr(func, a0, a1, 0, 0, 0, 0);                                    \
    }

M5_FN(m5_fail, M5OP_FAIL)
M5_FN(m5_reset_stats, M5OP_RESET_STATS)
M5_FN(m5_dump_stats, M5OP_DUMP_STATS)
M5_FN(m5_dump_reset_stats, M5OP_DUMP_RESET_STATS)
M5_FN(m5_checkpoint, M5OP_CHECKPOINT)
M5_FN(m5_work_begin, M5OP_WORK_BEGIN)
M5_FN(m5_work_end, M5OP_WORK_END)
#undef M5_FN

static inline void m5_exit(uint64_t delay) { M5OP_INST(M5OP_EXIT, delay, 0, 0, 0, 0, 0); }
static inline void m5_exit_addr(uint64_t delay) { m5op_addr(M5OP_EXIT, delay, 0, 0, 0, 0, 0); }
static inline void m5_switch_cpu(void) { M5OP_INST(M5OP_SWITCH_CPU, 0, 0, 0, 0, 0, 0); }
static inline void m5_switch_cpu_addr(void) { m5op_addr(M5OP_SWITCH_CPU, 0, 0, 0, 0, 0, 0); }
static inline uint64_t m5_sum(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                              uint64_t f)
{
    return M5OP_INST(M5OP_SUM, a, b, c, d, e, f);
}
static inline uint64_t m5_sum_addr(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e,
                                   uint64_t f)
{
    return m5op_addr(M5OP_SUM, a, b, c, d, e, f);
}

#endif
