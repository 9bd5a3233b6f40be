/* For se.py's options: a loop long enough to fast-forward through and to stop in
   the middle of (a checkpoint), string routines glibc may pick AVX versions of, the
   arguments, the CPUs /proc/cpuinfo lists (gem5's configs write it for the program),
   and an exit status of its own. */
#include <stdio.h>
#include <string.h>

static char buf[1 << 16], dst[1 << 16];

int main(int argc, char **argv)
{
    volatile unsigned long sum = 0;
    for (unsigned long i = 0; i < 20000000UL; i++)
        sum += i;
    memset(buf, 'x', sizeof buf - 1);
    memcpy(dst, buf, sizeof buf);
    printf("sum %lu len %zu cmp %d\n", (unsigned long)sum, strlen(dst),
           memcmp(buf, dst, sizeof buf));
    for (int i = 1; i < argc; i++)
        printf("arg %d: %s\n", i, argv[i]);
    FILE *f = fopen("/proc/cpuinfo", "r");
    int cpus = 0;
    char line[256];
    while (f && fgets(line, sizeof line, f))
        cpus += strncmp(line, "processor", 9) == 0;
    printf("cpuinfo: %d processors\n", cpus);
    return 10 + argc;
}
