/* A program annotated for gem5: work items and stats dumps around three phases. The
 * first argument picks the m5op form: "inst" (gem5's instruction) or "addr" (the
 * m5ops page); "none" makes no m5op (what runs natively). */
#include <m5ops.h>
#include <stdio.h>
#include <string.h>

static unsigned long phase(unsigned long seed, long n)
{
    unsigned long x = seed | 1;
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    return x;
}

int main(int argc, char **argv)
{
    int addr = argc > 1 && strcmp(argv[1], "addr") == 0;
    int none = argc > 1 && strcmp(argv[1], "none") == 0;
    for (int i = 0; i < 3; i++) {
        if (none)
            ;
        else if (addr)
            m5_work_begin_addr(i, 0);
        else
            m5_work_begin(i, 0);
        unsigned long r = phase(i + 1, 200000);
        if (none)
            ;
        else if (addr) {
            m5_work_end_addr(i, 0);
            m5_dump_stats_addr(0, 0);
        } else {
            m5_work_end(i, 0);
            m5_dump_stats(0, 0);
        }
        printf("phase %d: %lx\n", i, r);
    }
    printf("sum: %lu\n", none ? 21 : addr ? m5_sum_addr(1, 2, 3, 4, 5, 6) : m5_sum(1, 2, 3, 4, 5, 6));
    return 0;
}
