/* Compute in ring 3 until the 1 kHz PIT has interrupted TICKS times, then exit at once:
 * the host compares the guest's count with the simulated time since the PIT started. */
#include "simobjs.h"

#define TICKS 30

volatile uint64_t spin_rounds;

int main(void)
{
    sdk_timer_start(1000);
    while (sdk_timer_ticks() < TICKS)
        spin_rounds++;
    m5_exit(0);
    return 0;
}
