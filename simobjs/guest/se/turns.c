/* Two threads that never make a system call while they count: on one CPU each must
 * still get turns (the kernel's time slices end on simulated time, not at a call).
 * The main thread counts to the argument (default 200000000), looking now and then
 * whether the other thread's count moved since it last looked: each move is a turn the
 * other had (natively, on another core, it moves between nearly every look). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static volatile unsigned long counts[2];
static volatile int stop;

static void *other(void *arg)
{
    (void)arg;
    while (!stop)
        counts[1]++;
    return 0;
}

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], 0, 10) : 200000000UL;
    unsigned long seen = 0, turns = 0;
    pthread_t t;
    if (pthread_create(&t, 0, other, 0)) {
        printf("pthread_create failed\n");
        return 1;
    }
    while (counts[0] < n) {
        counts[0]++;
        if ((counts[0] & 0xffff) == 0 && counts[1] != seen) {
            seen = counts[1];
            turns++;
        }
    }
    stop = 1;
    pthread_join(t, 0);
    printf("the other thread had %s turns while this one counted to %lu\n",
           turns >= 3 ? "3 or more" : "fewer than 3", n);
    return 0;
}
