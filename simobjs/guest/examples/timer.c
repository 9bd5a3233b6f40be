/* Count PIT interrupts (1 kHz, handled in ring 0) while computing in ring 3. */
#include "simobjs.h"
#include "crc32.h"

#define TARGET_TICKS 20
static unsigned char block[4096];

int main(void)
{
    sdk_timer_start(1000);
    unsigned int crc = 0;
    unsigned long rounds = 0;
    fill_pattern(block, sizeof(block), 7);
    while (sdk_timer_ticks() < TARGET_TICKS) {
        crc = crc32_update(crc, block, sizeof(block));
        rounds++;
    }
    printf("timer: %d ticks counted while computing (%s)\n", TARGET_TICKS,
           rounds > 0 ? "work done" : "no work");
    uint64_t before = sdk_timer_ticks();
    for (int i = 0; i < 5; i++)
        sdk_wait_for_interrupt();
    uint64_t waited = sdk_timer_ticks() - before;
    printf("timer: waited for interrupts, ticks advanced %s\n", waited >= 5 ? "by at least 5" : "TOO LITTLE");
    sdk_timer_stop();
    m5_exit(0);
    return 0;
}
