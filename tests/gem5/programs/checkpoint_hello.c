/* Print, take a checkpoint (m5_checkpoint; "addr": the m5ops page form, which
 * KVM needs), print: a restore resumes after the checkpoint. */
#include <m5ops.h>
#include <stdio.h>
#include <string.h>

static volatile int counter = 41;

int main(int argc, char **argv)
{
    int addr = argc > 1 && strcmp(argv[1], "addr") == 0;
    printf("before the checkpoint (counter %d)\n", counter);
    fflush(stdout);
    counter++;
    if (addr)
        m5_checkpoint_addr(0, 0);
    else
        m5_checkpoint(0, 0);
    printf("after the checkpoint (counter %d)\n", counter);
    return 0;
}
