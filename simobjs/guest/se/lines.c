/* Reads a text file (argv[1]) line by line and prints a running digest; after
 * argv[2] lines (0: never; natively the m5op instruction is illegal) it asks for a
 * checkpoint (m5_checkpoint), then goes on: the input
 * file is open across the checkpoint. */
#include <m5ops.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    FILE *f = fopen(argc > 1 ? argv[1] : "input.txt", "r");
    long at = argc > 2 ? atol(argv[2]) : -1;
    if (!f) {
        perror("fopen");
        return 2;
    }
    char line[512];
    unsigned long h = 5381;
    long n = 0;
    while (fgets(line, sizeof line, f)) {
        for (char *p = line; *p; p++)
            h = h * 33 + (unsigned char)*p;
        n++;
        if (n % 100 == 0)
            printf("%ld lines, digest %016lx\n", n, h);
        if (n == at) {
            fflush(stdout);
            m5_checkpoint(0, 0);
        }
    }
    printf("total %ld lines, digest %016lx\n", n, h);
    fclose(f);
    return 0;
}
