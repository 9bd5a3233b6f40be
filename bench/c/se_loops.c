/* The SE benchmark's program: `se_loops syscalls|compute N ROUNDS [m5]` runs ROUNDS
 * rounds of N getppid calls, or of N iterations of the xorshift loop of
 * bench/c/xorshift.c; with "m5", each round sits between m5_work_begin and
 * m5_work_end, so the simulator times exactly the rounds. */
#include <m5ops.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

unsigned long xorshift_loop(long n, unsigned long x);

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    int syscalls = strcmp(argv[1], "syscalls") == 0;
    long n = atol(argv[2]), rounds = atol(argv[3]);
    int m5 = argc > 4;
    unsigned long acc = 0;
    for (long r = 0; r < rounds; r++) {
        if (m5)
            m5_work_begin(0, 0);
        if (syscalls)
            for (long i = 0; i < n; i++)
                acc += syscall(SYS_getppid);
        else
            acc += xorshift_loop(n, 88172645463325252UL + r);
        if (m5)
            m5_work_end(0, 0);
    }
    printf("%lx\n", acc);
    return 0;
}
