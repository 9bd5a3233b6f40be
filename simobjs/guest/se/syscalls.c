/* A system-call loop (getppid): what one call costs. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    long s = 0;
    for (long i = 0; i < n; i++)
        s += syscall(SYS_getppid);
    printf("syscalls %ld: %ld\n", n, s / n);
    return 0;
}
