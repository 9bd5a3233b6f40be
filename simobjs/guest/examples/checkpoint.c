/* Print, take a checkpoint, print: a restore resumes after m5_checkpoint. */
#include "simobjs.h"

static volatile unsigned int counter = 41;

int main(void)
{
    printf("checkpoint: before (counter %u)\n", counter);
    counter++;
    m5_checkpoint(0, 0);
    printf("checkpoint: after (counter %u)\n", counter);
    m5_exit(0);
    return 0;
}
