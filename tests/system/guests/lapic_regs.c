/* The local APIC's registers as a program sees them (ring 3, through 0xFEE00000). */
#include "simobjs.h"

int main(void)
{
    printf("id %u version %#x\n", lapic_read(LAPIC_ID) >> 24, lapic_read(LAPIC_VERSION));
    printf("lint0 %#x lint1 %#x timer %#x svr %#x dfr %#x\n", lapic_read(LAPIC_LVT_LINT0),
           lapic_read(LAPIC_LVT_LINT1), lapic_read(LAPIC_LVT_TIMER), lapic_read(LAPIC_SVR),
           lapic_read(LAPIC_DFR));
    lapic_write(LAPIC_SVR, 0x1FF);
    lapic_write(LAPIC_TPR, 0x20);
    printf("tpr %#x ppr %#x\n", lapic_read(LAPIC_TPR), lapic_read(LAPIC_PPR));
    /* a self IPI held back by the task priority stays in the IRR */
    lapic_write(LAPIC_TPR, 0xF0);
    lapic_write(LAPIC_ICR_LOW, ICR_SELF | ICR_ASSERT | SDK_IPI_VECTOR);
    printf("held: irr %#x ipis %lu\n", lapic_read(LAPIC_IRR + 0x70), sdk_ipi_count());
    lapic_write(LAPIC_TPR, 0);
    while (sdk_ipi_count() == 0)
        sdk_wait_for_interrupt();
    printf("taken: irr %#x isr %#x ipis %lu\n", lapic_read(LAPIC_IRR + 0x70),
           lapic_read(LAPIC_ISR + 0x70), sdk_ipi_count());
    /* a one-shot timer: the current count runs down, then one interrupt */
    sdk_apic_timer_start(100000, 0xB, 0);
    uint32_t a = lapic_read(LAPIC_TIMER_CURRENT);
    while (sdk_apic_timer_ticks() == 0)
        sdk_wait_for_interrupt();
    uint32_t b = lapic_read(LAPIC_TIMER_CURRENT);
    printf("timer: divide %#x, count %s, then %u; %lu interrupt\n", lapic_read(LAPIC_TIMER_DIVIDE),
           a > 0 && a <= 100000 ? "running" : "WRONG", b, sdk_apic_timer_ticks());
    lapic_write(LAPIC_ESR, 0);
    printf("esr %#x ldr %#x\n", lapic_read(LAPIC_ESR), lapic_read(LAPIC_LDR));
    return 0;
}
