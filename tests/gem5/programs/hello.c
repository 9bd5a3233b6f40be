/* The classic: what gem5's x86 hello test program prints. */
#include <stdio.h>

int main(void)
{
    printf("Hello world!\n");
    return 0;
}
