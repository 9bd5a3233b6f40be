/* Arguments, one environment variable and the first line of stdin, on stdout;
 * a line on stderr. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    char line[128] = "";
    for (int i = 1; i < argc; i++)
        printf("arg %s\n", argv[i]);
    const char *greeting = getenv("GREETING");
    printf("GREETING=%s\n", greeting ? greeting : "(unset)");
    if (fgets(line, sizeof(line), stdin))
        printf("stdin: %s", line);
    fprintf(stderr, "to stderr\n");
    return 3;
}
