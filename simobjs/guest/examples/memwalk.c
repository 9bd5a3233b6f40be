/* A random pointer chase through 16 MiB, one pointer per 64-byte line: nearly every
   load misses every cache level (the memory-bound counterpart of `compute`). */
#include "simobjs.h"

#define LINES (16UL << 20) / 64
#define WORDS_PER_LINE 8
#define STEPS 1000000UL

static uint64_t table[LINES * WORDS_PER_LINE];

static uint64_t lcg(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return *state >> 33;
}

int main(void)
{
    /* Sattolo's algorithm: one cycle through every line */
    for (uint64_t i = 0; i < LINES; i++)
        table[i * WORDS_PER_LINE] = i;
    uint64_t state = 2024;
    for (uint64_t i = LINES - 1; i > 0; i--) {
        uint64_t j = lcg(&state) % i;
        uint64_t t = table[i * WORDS_PER_LINE];
        table[i * WORDS_PER_LINE] = table[j * WORDS_PER_LINE];
        table[j * WORDS_PER_LINE] = t;
    }
    uint64_t at = 0, sum = 0;
    for (uint64_t step = 0; step < STEPS; step++) {
        at = table[at * WORDS_PER_LINE];
        sum += at;
    }
    printf("memwalk: %lu steps over %lu lines end at line %lu, sum %lx\n", STEPS, LINES, at, sum);
    m5_exit(0);
    return 0;
}
