/* The compute kernel of bench/se.py: a xorshift loop. Compiled into the SE program and,
 * freestanding, into the flat code the bare Unicorn baseline runs. */
unsigned long xorshift_loop(long n, unsigned long x)
{
    unsigned long acc = 0;
    for (long i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        acc += x >> 32;
    }
    return acc ^ x;
}
