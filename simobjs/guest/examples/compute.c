/* CRC-32 over a 4 MiB buffer generated in the guest. */
#include "simobjs.h"
#include "crc32.h"

#define SIZE (4UL << 20)
static unsigned char buffer[SIZE];

int main(void)
{
    fill_pattern(buffer, SIZE, 12345);
    unsigned int crc = crc32_update(0, buffer, SIZE);
    printf("compute: crc32 of %lu bytes = %08x\n", SIZE, crc);
    unsigned int crc2 = crc32_update(crc32_update(0, buffer, SIZE / 2), buffer + SIZE / 2, SIZE / 2);
    printf("compute: chained crc32 %s\n", crc2 == crc ? "matches" : "DIFFERS");
    m5_exit(0);
    return 0;
}
