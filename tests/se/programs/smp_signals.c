/* Signals and exits among threads on several CPUs: SIGUSR1 sent to the process is
 * taken by the one thread that does not block it, SIGUSR2 sent to one thread by that
 * thread; then one thread calls exit(7) while the others spin on their CPUs, and the
 * whole process ends with that status. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define WORKERS 4

static pthread_barrier_t barrier;
static volatile int got[WORKERS + 1];
static __thread int me;
static volatile unsigned long spins[WORKERS];

static void on_signal(int sig)
{
    got[me] += sig == SIGUSR1 ? 1 : 10;
}

static void *worker(void *arg)
{
    me = (int)(long)arg;
    if (me == 2) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGUSR1);
        pthread_sigmask(SIG_UNBLOCK, &s, 0);
    }
    pthread_barrier_wait(&barrier); /* masks set */
    pthread_barrier_wait(&barrier); /* signals sent */
    getppid();                      /* a return to user mode after them */
    pthread_barrier_wait(&barrier); /* taken */
    pthread_barrier_wait(&barrier); /* reported */
    if (me == 3)
        exit(7);
    for (;;)
        spins[me]++;
}

int main(void)
{
    pthread_t t[WORKERS];
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGUSR1, &sa, 0);
    sigaction(SIGUSR2, &sa, 0);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &s, 0); /* the workers inherit it */
    pthread_barrier_init(&barrier, 0, WORKERS + 1);
    me = WORKERS;
    for (long i = 0; i < WORKERS; i++)
        pthread_create(&t[i], 0, worker, (void *)i);
    pthread_barrier_wait(&barrier);
    kill(getpid(), SIGUSR1);
    pthread_kill(t[1], SIGUSR2);
    pthread_barrier_wait(&barrier);
    getppid();
    pthread_barrier_wait(&barrier);
    for (int i = 0; i <= WORKERS; i++)
        printf("thread %d: %d\n", i, got[i]);
    pthread_barrier_wait(&barrier);
    pthread_join(t[0], 0); /* never: thread 3 ends the process */
    printf("not reached\n");
    return 0;
}
