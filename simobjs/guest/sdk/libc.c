/*
 * UART output, a small printf and the string helpers. Used from ring 0 and
 * ring 3, so compiled with -mgeneral-regs-only.
 */
#include "simobjs.h"

#define UART_THR 0
#define UART_IER 1
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_THRE 0x20

/* -- string helpers ----------------------------------------------------------------- */

void *memset(void *d, int c, size_t n)
{
    unsigned char *p = d;
    while (n--)
        *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    if (p < q) {
        while (n--)
            *p++ = *q++;
    } else {
        while (n--)
            p[n] = q[n];
    }
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p - *q;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

/* -- UART ---------------------------------------------------------------------------- */

void uart_init(void)
{
    outb(SIMOBJS_COM1 + UART_IER, 0x00); /* no UART interrupts */
    outb(SIMOBJS_COM1 + UART_LCR, 0x80); /* DLAB: divisor latch */
    outb(SIMOBJS_COM1 + 0, 0x01);        /* DLL: 115200 baud */
    outb(SIMOBJS_COM1 + 1, 0x00);        /* DLM */
    outb(SIMOBJS_COM1 + UART_LCR, 0x03); /* 8N1, DLAB off */
    outb(SIMOBJS_COM1 + UART_MCR, 0x03); /* DTR, RTS */
}

static void uart_write(const char *s, size_t n)
{
    /* Wait for THRE once per 16 bytes (a 16550's FIFO depth): each port access is a VM exit. */
    for (size_t i = 0; i < n; i++) {
        if ((i & 15) == 0)
            while (!(inb(SIMOBJS_COM1 + UART_LSR) & LSR_THRE))
                ;
        outb(SIMOBJS_COM1 + UART_THR, (uint8_t)s[i]);
    }
}

void uart_putc(char c)
{
    uart_write(&c, 1);
}

void uart_puts(const char *s)
{
    uart_write(s, strlen(s));
}

int putchar(int c)
{
    uart_putc((char)c);
    return c;
}

int puts(const char *s)
{
    uart_puts(s);
    uart_putc('\n');
    return 0;
}

/* -- formatting ---------------------------------------------------------------------- */

struct sink {
    char *buf;
    size_t cap, len, total;
    int flush_to_uart;
};

static void emit(struct sink *k, char c)
{
    if (k->len < k->cap)
        k->buf[k->len++] = c;
    else if (k->flush_to_uart) {
        uart_write(k->buf, k->len);
        k->len = 0;
        k->buf[k->len++] = c;
    }
    k->total++;
}

static void emit_padded(struct sink *k, const char *s, size_t n, int width, int left, char pad)
{
    int fill = width > (int)n ? width - (int)n : 0;
    if (!left && pad == '0' && n && (*s == '-')) { /* sign before zero padding */
        emit(k, *s++);
        n--;
    }
    if (!left)
        while (fill--)
            emit(k, pad);
    while (n--)
        emit(k, *s++);
    if (left)
        while (fill-- > 0)
            emit(k, ' ');
}

static size_t utoa(uint64_t v, unsigned base, int upper, char *out)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    for (size_t i = 0; i < n; i++)
        out[i] = tmp[n - 1 - i];
    return n;
}

static void format(struct sink *k, const char *fmt, va_list ap)
{
    char num[32];
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(k, *fmt);
            continue;
        }
        fmt++;
        int left = 0, alt = 0, width = 0, lng = 0;
        char pad = ' ';
        for (;; fmt++) {
            if (*fmt == '-')
                left = 1;
            else if (*fmt == '0')
                pad = '0';
            else if (*fmt == '#')
                alt = 1;
            else
                break;
        }
        if (*fmt == '*') {
            width = __builtin_va_arg(ap, int);
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        while (*fmt == 'l' || *fmt == 'z') {
            lng = 1;
            fmt++;
        }
        size_t n = 0;
        switch (*fmt) {
        case 'd':
        case 'i': {
            int64_t v = lng ? __builtin_va_arg(ap, int64_t) : __builtin_va_arg(ap, int);
            if (v < 0) {
                num[n++] = '-';
                n += utoa(-(uint64_t)v, 10, 0, num + n);
            } else
                n = utoa((uint64_t)v, 10, 0, num);
            emit_padded(k, num, n, width, left, pad);
            break;
        }
        case 'u':
        case 'x':
        case 'X': {
            uint64_t v = lng ? __builtin_va_arg(ap, uint64_t) : __builtin_va_arg(ap, unsigned);
            if (alt && *fmt != 'u' && v) {
                num[n++] = '0';
                num[n++] = 'x';
            }
            n += utoa(v, *fmt == 'u' ? 10 : 16, *fmt == 'X', num + n);
            emit_padded(k, num, n, width, left, pad);
            break;
        }
        case 'p': {
            uint64_t v = (uint64_t)__builtin_va_arg(ap, void *);
            num[n++] = '0';
            num[n++] = 'x';
            n += utoa(v, 16, 0, num + n);
            emit_padded(k, num, n, width, left, ' ');
            break;
        }
        case 's': {
            const char *s = __builtin_va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            emit_padded(k, s, strlen(s), width, left, ' ');
            break;
        }
        case 'c': {
            char c = (char)__builtin_va_arg(ap, int);
            emit_padded(k, &c, 1, width, left, ' ');
            break;
        }
        case '%':
            emit(k, '%');
            break;
        case '\0':
            return;
        default: /* unknown conversion: print it as written */
            emit(k, '%');
            emit(k, *fmt);
        }
    }
}

int vprintf(const char *fmt, va_list ap)
{
    char buf[128];
    struct sink k = {buf, sizeof(buf), 0, 0, 1};
    format(&k, fmt, ap);
    uart_write(buf, k.len);
    return (int)k.total;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    __builtin_va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    __builtin_va_end(ap);
    return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    struct sink k = {buf, size ? size - 1 : 0, 0, 0, 0};
    va_list ap;
    __builtin_va_start(ap, fmt);
    format(&k, fmt, ap);
    __builtin_va_end(ap);
    if (size)
        buf[k.len] = '\0';
    return (int)k.total;
}
