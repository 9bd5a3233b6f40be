/* Computes forever in ring 3 without an exit: only a signal can stop the run. */
#include "simobjs.h"

volatile uint64_t spins;

int main(void)
{
    printf("spin: running\n");
    for (;;)
        spins++;
}
