/*
 * The default demo's guest: computes CRC-32 digests in ring 3, asks the
 * simulator to switch CPUs twice and to take one checkpoint, and prints
 * every result on COM1. Its output depends only on the computation, so a
 * run restored from the checkpoint must print exactly what the original
 * printed after it.
 */
#include <simobjs.h>

#define BUF_SIZE (64 * 1024)

static uint8_t buf[BUF_SIZE];

static uint32_t crc32(const uint8_t *p, size_t n, uint32_t crc)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1u));
    }
    return ~crc;
}

/* Fill the buffer from `seed` (a 64-bit LCG) and digest it `rounds` times. */
static uint32_t work(uint32_t seed, int rounds)
{
    uint64_t x = seed | 1;
    for (size_t i = 0; i < BUF_SIZE; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        buf[i] = (uint8_t)(x >> 56);
    }
    uint32_t crc = 0;
    for (int r = 0; r < rounds; r++)
        crc = crc32(buf, BUF_SIZE, crc);
    return crc;
}

int main(void)
{
    printf("demo: hello from ring 3\n");
    uint32_t a = work(1, 4);
    printf("demo: phase 1 crc32 %08x\n", a);

    m5_switch_cpu(); /* the simulator moves the guest to the other CPU */
    uint32_t b = work(a, 1);
    printf("demo: phase 2 crc32 %08x\n", b);
    m5_switch_cpu(); /* ... and back */

    printf("demo: checkpoint\n");
    m5_checkpoint(0, 0);
    uint32_t c = work(b, 4);
    printf("demo: phase 3 crc32 %08x\n", c);
    printf("demo: done\n");
    return 0;
}
