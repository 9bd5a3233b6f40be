/* Switch CPUs around a computation: the result must not depend on the CPU. */
#include "simobjs.h"
#include "crc32.h"

static unsigned char buffer[65536];

int main(void)
{
    printf("switch: start\n");
    m5_switch_cpu();
    fill_pattern(buffer, sizeof(buffer), 99);
    unsigned int crc = crc32_update(0, buffer, sizeof(buffer));
    printf("switch: crc32 %08x after the first switch\n", crc);
    m5_switch_cpu();
    printf("switch: done\n");
    m5_exit(0);
    return 0;
}
