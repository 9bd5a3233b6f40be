/* Port reads and writes and MMIO reads (m5_sum) in a loop, folded into a checksum:
 * an I/O lost, doubled or completed with the wrong data changes the output. */
#include "simobjs.h"

#define ROUNDS 2000
#define UART_SCR (SIMOBJS_COM1 + 7)

int main(void)
{
    uint64_t acc = 1;
    for (uint64_t i = 0; i < ROUNDS; i++) {
        outb(UART_SCR, (uint8_t)(acc ^ i));
        acc = acc * 31 + inb(UART_SCR);
        acc += m5_sum(i, acc, 1, 2, 3, 4);
        if (i % 500 == 0)
            printf("io_mix: round %lu acc %lx\n", i, acc);
    }
    printf("io_mix: done acc %lx\n", acc);
    return 0;
}
