/* SSE and x87 arithmetic in ring 3; results printed as integers and hex so the output is exact. */
#include "simobjs.h"

static uint64_t bits_of(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

static double sse_series(int n) /* sum 1/i^2, scalar SSE2 */
{
    volatile double sum = 0.0;
    for (int i = 1; i <= n; i++)
        sum += 1.0 / ((double)i * (double)i);
    return sum;
}

static float sse_float_mix(void)
{
    volatile float a = 1.5f, b = 3.25f;
    return a * b - a / b;
}

static long double x87_harmonic(int n)
{
    volatile long double sum = 0.0L;
    for (int i = 1; i <= n; i++)
        sum += 1.0L / (long double)i;
    return sum;
}

static long double x87_sqrt2(void)
{
    long double r;
    __asm__ volatile("fld1; fld1; faddp; fsqrt" : "=t"(r));
    return r;
}

static void print_ld(const char *what, long double v)
{
    unsigned char raw[16];
    memset(raw, 0, sizeof(raw));
    memcpy(raw, &v, 10);
    uint64_t mant;
    uint16_t se;
    memcpy(&mant, raw, 8);
    memcpy(&se, raw + 8, 2);
    printf("fpu: %s x87 = %04x:%016lx\n", what, se, mant);
}

int main(void)
{
    double s = sse_series(1000);
    printf("fpu: sse sum 1/i^2 (1000) = %lx, scaled %ld\n", bits_of(s), (long)(s * 1e12));
    float f = sse_float_mix();
    uint32_t fb;
    memcpy(&fb, &f, sizeof(fb));
    printf("fpu: sse float mix = %08x, scaled %d\n", fb, (int)(f * 1e6f));
    long double h = x87_harmonic(100);
    print_ld("harmonic(100)", h);
    printf("fpu: harmonic(100) scaled %ld\n", (long)(h * 1e15L));
    long double r = x87_sqrt2();
    print_ld("sqrt(2)", r);
    printf("fpu: sqrt(2) scaled %ld\n", (long)(r * 1e18L));
    m5_exit(0);
    return 0;
}
