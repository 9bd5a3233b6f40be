/* Work on every CPU: start the other CPUs (INIT and startup IPIs), wake each with an IPI,
 * let every CPU sum its share of a series under a spinlock, collect the answers (each CPU
 * sends an IPI when done) and check the total against one CPU's sum. An m5_checkpoint()
 * is taken while the other CPUs work (a restore continues from there). */
#include "simobjs.h"

#define ITEMS 20000

static sdk_spinlock_t lock;
static volatile uint64_t total;
static volatile unsigned done;
static volatile unsigned ncpus;
static volatile uint64_t share_of[SDK_MAX_CPUS];

static uint64_t item(uint64_t i)
{
    return (i * i) ^ (i >> 3);
}

static void work(unsigned cpu)
{
    uint64_t part = 0;
    for (uint64_t i = cpu; i < ITEMS; i += ncpus)
        part += item(i);
    sdk_spin_lock(&lock);
    total += part;
    share_of[cpu] = part;
    sdk_spin_unlock(&lock);
}

static void ap_main(unsigned cpu)
{
    while (sdk_ipi_count() == 0) /* wait for the go */
        sdk_wait_for_interrupt();
    work(cpu);
    __atomic_add_fetch(&done, 1, __ATOMIC_SEQ_CST);
    sdk_send_ipi(0, SDK_IPI_VECTOR); /* tell the first CPU */
}

int main(void)
{
    unsigned n = sdk_smp_start(ap_main);
    ncpus = n;
    for (unsigned id = 1; id < n; id++)
        sdk_send_ipi(id, SDK_IPI_VECTOR);
    m5_checkpoint(0, 0);
    work(0);
    while (done < n - 1)
        sdk_wait_for_interrupt();
    uint64_t want = 0;
    for (uint64_t i = 0; i < ITEMS; i++)
        want += item(i);
    int shares = 1;
    for (unsigned id = 0; id < n; id++)
        shares &= share_of[id] != 0;
    printf("smp: every cpu summed its share: %s\n", shares ? "yes" : "NO");
    printf("smp: total %lu is %s\n", (unsigned long)total, total == want ? "correct" : "WRONG");
    /* (IPIs that arrive while one is pending merge into one, as on real hardware) */
    printf("smp: answers by ipi: %s\n", done == n - 1 && (n == 1 || sdk_ipi_count() > 0) ? "all" : "MISSING");
    return total == want && shares ? 0 : 1;
}
