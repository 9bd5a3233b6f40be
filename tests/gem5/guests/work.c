/* Two annotated regions of work (m5_work_begin/end) between prints. */
#include "simobjs.h"

static volatile unsigned long sink;

static void work(unsigned long n)
{
    for (unsigned long i = 0; i < n; i++)
        sink += i * i;
}

int main(void)
{
    printf("work: start\n");
    for (int id = 0; id < 2; id++) {
        m5_work_begin(id, 0);
        work(20000);
        m5_work_end(id, 0);
    }
    printf("work: done\n");
    m5_exit(0);
    return 0;
}
