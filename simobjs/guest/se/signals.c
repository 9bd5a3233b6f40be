/* Signals: handlers with SA_SIGINFO, masks, kill() to self,
 * alarm() on pause(), an interval timer on a busy loop,
 * a SIGSEGV handler leaving through siglongjmp, SIGFPE, and a default action last. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t got_usr1, got_alarm;
static sigjmp_buf jb;
static int fault_sig;

static void on_usr1(int sig, siginfo_t *info, void *uc)
{
    (void)uc;
    got_usr1 = sig + 100 * (info->si_pid == getpid());
}
static void on_alarm(int sig) { got_alarm = sig; }
static void on_fault(int sig, siginfo_t *info, void *uc)
{
    (void)uc;
    (void)info;
    fault_sig = sig;
    siglongjmp(jb, 1);
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, 0);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    kill(getpid(), SIGUSR1);
    printf("blocked: got %d\n", got_usr1);
    sigprocmask(SIG_SETMASK, &old, 0);
    printf("unblocked: got %d\n", got_usr1);

    signal(SIGALRM, on_alarm);
    alarm(1);
    pause();
    printf("alarm: got %d in pause\n", got_alarm);

    struct itimerval once = {{0, 0}, {0, 5000}};
    got_alarm = 0;
    setitimer(ITIMER_REAL, &once, 0);
    volatile unsigned long spins = 0;
    while (!got_alarm)
        spins++;
    printf("itimer: got %d after spinning\n", got_alarm);

    struct itimerval it = {{0, 20000}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, 0);
    int ticks = 0;
    for (int i = 0; i < 3; i++) {
        got_alarm = 0;
        pause();
        ticks += got_alarm == SIGALRM;
    }
    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, 0);
    printf("itimer: %d ticks\n", ticks);

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGFPE, &sa, 0);
    if (!sigsetjmp(jb, 1))
        *(volatile int *)8 = 1;
    printf("segv: handler got %d\n", fault_sig);
    volatile int zero = 0;
    if (!sigsetjmp(jb, 1))
        printf("%d\n", 1 / zero);
    printf("fpe: handler got %d\n", fault_sig);
    fflush(stdout);
    if (argc > 1)
        raise(SIGTERM); /* default action: the process ends, status 128 + 15 */
    return 0;
}
