/* Threads that keep live values in their registers while the kernel switches them:
 * three threads each run a loop of integer, floating-point (SSE) and thread-local
 * (FS-based) arithmetic for the argument's iterations (default 30000000) with no
 * system call, then the main thread prints every result. The output depends only on
 * the arithmetic: a register, an XMM register or a TLS base lost at a switch shows. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define THREADS 3

static __thread unsigned long tls_count;
static long iterations = 30000000;
static unsigned long hashes[THREADS], counts[THREADS];
static double sums[THREADS];

static void *work(void *arg)
{
    long id = (long)arg;
    unsigned long h = (unsigned long)id + 1;
    double x = 1.0 + (double)id, acc = 0.0;
    for (long i = 0; i < iterations; i++) {
        h = h * 6364136223846793005UL + 1442695040888963407UL;
        acc += x * 1.0000001;
        x = x * 0.999999 + 0.5;
        tls_count += h >> 63;
    }
    hashes[id] = h;
    sums[id] = acc;
    counts[id] = tls_count;
    return 0;
}

int main(int argc, char **argv)
{
    pthread_t t[THREADS];
    if (argc > 1)
        iterations = atol(argv[1]);
    for (long i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], 0, work, (void *)i)) {
            printf("pthread_create failed\n");
            return 1;
        }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], 0);
    for (int i = 0; i < THREADS; i++)
        printf("thread %d: %016lx %.6f %lu\n", i, hashes[i], sums[i], counts[i]);
    return 0;
}
