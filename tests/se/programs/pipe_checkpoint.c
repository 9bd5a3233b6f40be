/* Asks for a checkpoint while a pipe is open: SE mode refuses it (as gem5). */
#include <m5ops.h>
#include <unistd.h>

int main(void)
{
    int fds[2];
    pipe(fds);
    write(fds[1], "x", 1);
    m5_checkpoint(0, 0);
    return 0;
}
