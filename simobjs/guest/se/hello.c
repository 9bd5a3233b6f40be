/* A static program for SE mode: arguments, environment, heap, files, time, exit code. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    printf("hello from %s (%d arguments)\n", argv[0], argc - 1);
    for (int i = 1; i < argc; i++)
        printf("  argv[%d] = %s\n", i, argv[i]);
    const char *greeting = getenv("SE_GREETING");
    printf("SE_GREETING=%s\n", greeting ? greeting : "(unset)");

    size_t n = 3 << 20; /* big enough for mmap, freed with munmap */
    unsigned char *big = malloc(n);
    unsigned long sum = 0;
    for (size_t i = 0; i < n; i++)
        big[i] = (unsigned char)(i * 7);
    for (size_t i = 0; i < n; i += 4096)
        sum += big[i] + big[n - 1 - i];
    free(big);
    char *small = malloc(100);
    strcpy(small, "heap works");
    printf("%s, sum %lu\n", small, sum);

    unsigned char *m = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    m[12345] = 42;
    m = mremap(m, 1 << 20, 4 << 20, MREMAP_MAYMOVE);
    printf("mremap kept %d\n", m[12345]);
    munmap(m, 4 << 20);

    struct stat st;
    if (argc > 1 && stat(argv[1], &st) == 0)
        printf("%s: %lld bytes\n", argv[1], (long long)st.st_size);
    int fd = open("/dev/null", O_WRONLY);
    printf("/dev/null write: %zd\n", write(fd, "x", 1));
    close(fd);
    printf("cwd ok: %d\n", getcwd(small, 100) != NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("monotonic: %s\n", (t1.tv_sec > t0.tv_sec || (t1.tv_sec == t0.tv_sec && t1.tv_nsec >= t0.tv_nsec)) ? "ok" : "backwards");
    return argc > 3 ? 3 : 0;
}
