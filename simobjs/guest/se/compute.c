/* A compute loop (xorshift) with few system calls: its digest is printed. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000000;
    unsigned long x = 88172645463325252UL, acc = 0;
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        acc += x >> 32;
    }
    printf("compute %ld: %016lx\n", n, acc ^ x);
    return 0;
}
