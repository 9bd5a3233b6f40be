/* Many UART writes: 2000 numbered lines with a running checksum. */
#include "simobjs.h"

int main(void)
{
    unsigned int sum = 0;
    for (int i = 0; i < 2000; i++) {
        sum = sum * 31u + (unsigned int)i;
        printf("line %4d sum %08x\n", i, sum);
    }
    printf("uart_stress: done\n");
    m5_exit(0);
    return 0;
}
