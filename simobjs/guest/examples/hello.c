/* The smallest guest: print from ring 3 and exit. */
#include "simobjs.h"

static unsigned current_cpl(void)
{
    uint16_t cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    return cs & 3;
}

int main(void)
{
    printf("Hello from a simobjs guest!\n");
    printf("running at CPL %u\n", current_cpl());
    m5_exit(0);
    return 0;
}
