/* The process image: deep recursion (the stack grows on demand), a big allocation
 * touched sparsely (pages come on first touch), /proc/self/exe and /proc/self/maps,
 * uname, and with "crash" a fault without a handler: killed by SIGSEGV (status 139). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static long depth(long n)
{
    volatile char pad[1024];
    pad[0] = (char)n;
    return n ? depth(n - 1) + pad[0] : 0;
}

int main(int argc, char **argv)
{
    printf("recursion: %ld\n", depth(1500)); /* about 1.5 MiB of stack */
    size_t big = 32UL << 20;
    char *p = malloc(big);
    unsigned long sum = 0;
    for (size_t i = 0; i < big; i += 1 << 20) {
        p[i] = (char)(i >> 20);
        sum += (unsigned char)p[i];
    }
    printf("sparse: %lu\n", sum);
    free(p);
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    printf("exe is argv[0]: %d\n", strcmp(exe, argv[0]) == 0);
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    int stack = 0, heap = 0;
    while (maps && fgets(line, sizeof line, maps)) {
        stack |= strstr(line, "[stack]") != NULL;
        heap |= strstr(line, "[heap]") != NULL;
    }
    printf("maps: stack %d heap %d\n", stack, heap);
    struct utsname u;
    uname(&u);
    printf("uname: %s %s\n", u.sysname, u.machine);
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "crash") == 0)
        *(volatile int *)16 = 1;
    return 0;
}
