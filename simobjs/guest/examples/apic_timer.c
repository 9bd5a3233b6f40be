/* The local APIC timer in periodic mode (handled in ring 0) while computing in ring 3,
 * then waiting for its interrupts; the current count counts down between two reads. */
#include "simobjs.h"
#include "crc32.h"

#define TARGET_TICKS 20
#define PERIOD_COUNT 7812 /* at divide 16: 1 ms with a 2 GHz CPU (a 125 MHz bus clock) */
static unsigned char block[4096];

int main(void)
{
    sdk_apic_timer_start(PERIOD_COUNT, 0x3, 1);
    uint32_t first = lapic_read(LAPIC_TIMER_CURRENT);
    unsigned int crc = 0;
    unsigned long rounds = 0;
    fill_pattern(block, sizeof(block), 7);
    uint32_t second = lapic_read(LAPIC_TIMER_CURRENT);
    while (sdk_apic_timer_ticks() < TARGET_TICKS) {
        crc = crc32_update(crc, block, sizeof(block));
        rounds++;
    }
    printf("apic_timer: %d periodic interrupts counted while computing (%s)\n", TARGET_TICKS,
           rounds > 0 ? "work done" : "no work");
    printf("apic_timer: the current count %s\n",
           first <= PERIOD_COUNT && second <= PERIOD_COUNT ? "stays within the period" : "IS WRONG");
    uint64_t before = sdk_apic_timer_ticks();
    for (int i = 0; i < 5; i++)
        sdk_wait_for_interrupt();
    uint64_t waited = sdk_apic_timer_ticks() - before;
    printf("apic_timer: waited for interrupts, ticks advanced %s\n",
           waited >= 5 ? "by at least 5" : "TOO LITTLE");
    sdk_apic_timer_stop();
    return 0;
}
