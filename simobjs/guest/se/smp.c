/* Four POSIX threads in phases: each phase they compute a slice of a sum, add it
 * under a mutex, meet at a barrier, and the last one in signals the main thread
 * through a condition variable; the output depends only on the arithmetic, never
 * on the interleaving. Arguments: the work per thread (default 20000), and a phase
 * after which to ask for a checkpoint (m5_checkpoint; default none: natively the m5op
 * would be an illegal instruction). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <m5ops.h>

#define THREADS 4
#define PHASES 5

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t barrier;
static unsigned long sums[PHASES];
static int done[PHASES];
static long work = 20000;

static unsigned long slice(long id, int phase)
{
    unsigned long x = (unsigned long)(id + 1) * 2654435761u + (unsigned long)phase;
    unsigned long acc = 0;
    for (long i = 0; i < work; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        acc += x % 1000003;
    }
    return acc;
}

static void *worker(void *arg)
{
    long id = (long)arg;
    for (int p = 0; p < PHASES; p++) {
        unsigned long s = slice(id, p);
        pthread_mutex_lock(&lock);
        sums[p] += s;
        if (++done[p] == THREADS)
            pthread_cond_signal(&cond);
        pthread_mutex_unlock(&lock);
        pthread_barrier_wait(&barrier);
    }
    return (void *)(id + 100);
}

int main(int argc, char **argv)
{
    int checkpoint_after = -1;
    if (argc > 1)
        work = atol(argv[1]);
    if (argc > 2)
        checkpoint_after = atoi(argv[2]);
    pthread_t t[THREADS];
    pthread_barrier_init(&barrier, 0, THREADS);
    for (long i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], 0, worker, (void *)i)) {
            printf("pthread_create failed\n");
            return 1;
        }
    for (int p = 0; p < PHASES; p++) {
        pthread_mutex_lock(&lock);
        while (done[p] < THREADS)
            pthread_cond_wait(&cond, &lock);
        printf("phase %d: %lu\n", p, sums[p]);
        pthread_mutex_unlock(&lock);
        if (p == checkpoint_after) {
            fflush(stdout);
            m5_checkpoint(0, 0);
        }
    }
    long codes = 0;
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        codes += (long)r;
    }
    printf("joined %ld\n", codes);
    return 0;
}
