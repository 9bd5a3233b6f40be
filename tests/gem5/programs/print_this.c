/* print_this TEXT [N]: TEXT on stdout N times (once without N), each line
 * numbered; then the count. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s TEXT [N]\n", argv[0]);
        return 2;
    }
    int times = argc > 2 ? atoi(argv[2]) : 1;
    for (int i = 0; i < times; i++)
        printf("%d: %s\n", i + 1, argv[1]);
    printf("printed %d time%s\n", times, times == 1 ? "" : "s");
    return 0;
}
