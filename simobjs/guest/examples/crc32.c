/* The compute kernel: CRC-32 and the buffer generator. Freestanding and
 * SDK-free so a benchmark can build and call it natively as well. */
#include "crc32.h"

static unsigned int table[256];
static int table_ready;

static void make_table(void)
{
    for (unsigned int i = 0; i < 256; i++) {
        unsigned int c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    table_ready = 1;
}

/* crc32_update(0, buf, len) is zlib's crc32(0, buf, len); chain calls for pieces. */
unsigned int crc32_update(unsigned int crc, const unsigned char *buf, unsigned long len)
{
    if (!table_ready)
        make_table();
    crc = ~crc;
    for (unsigned long i = 0; i < len; i++)
        crc = table[(crc ^ buf[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

/* A deterministic pseudo-random buffer (32-bit LCG, top byte of each step). */
void fill_pattern(unsigned char *buf, unsigned long len, unsigned int seed)
{
    unsigned int x = seed;
    for (unsigned long i = 0; i < len; i++) {
        x = x * 1664525u + 1013904223u;
        buf[i] = (unsigned char)(x >> 24);
    }
}
