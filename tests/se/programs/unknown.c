/* Calls a system call SE mode does not emulate (io_setup) twice: ENOSYS both times. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    for (int i = 0; i < 2; i++) {
        long r = syscall(SYS_io_setup, 1, (void *)0);
        printf("io_setup: %ld errno %s\n", r, errno == ENOSYS ? "ENOSYS" : "other");
    }
    return 0;
}
