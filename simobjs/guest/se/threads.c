/* Four POSIX threads sum a range under a mutex; a condition variable and joins. */
#include <pthread.h>
#include <stdio.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static unsigned long total;
static int finished;

static void *work(void *arg)
{
    long id = (long)arg;
    unsigned long local = 0;
    for (long i = id; i < 4000000; i += 4)
        local += (unsigned long)i * i;
    pthread_mutex_lock(&lock);
    total += local;
    finished++;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
    return (void *)(id * 10);
}

int main(void)
{
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        pthread_create(&t[i], 0, work, (void *)i);
    pthread_mutex_lock(&lock);
    while (finished < 4)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    long codes = 0;
    for (int i = 0; i < 4; i++) {
        void *r;
        pthread_join(t[i], &r);
        codes += (long)r;
    }
    printf("total %lu, codes %ld\n", total, codes);
    return 0;
}
