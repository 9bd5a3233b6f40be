/*
 * The ring-0 part: IDT, TSS, 8259 setup, the trap handler (exceptions, IRQs,
 * the ring-3 HLT wait service), then the drop to ring 3.
 * Compiled with -mgeneral-regs-only: CPL-0 code must not touch x87/SSE state.
 */
#include "simobjs.h"

#define KERNEL_CS 0x08
#define TSS_SEL 0x28
#define VEC_IRQ0 0x20
#define VEC_SPURIOUS 0xFF
#define GDT_ENTRIES 7
#define AP_KSTACK_SIZE 8192 /* crt0.S: AP_KSTACK_SHIFT */
#define AP_USTACK_SIZE 16384
#define VEC_GP 13
#define OPCODE_HLT 0xF4

struct sdk_trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

struct idt_entry {
    uint16_t off_lo, sel;
    uint8_t ist, attr;
    uint16_t off_mid;
    uint32_t off_hi, zero;
} __attribute__((packed));

struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3, iomap_base;
    uint8_t iomap[65536 / 8]; /* one bit per port: 0 lets ring 3 use it */
    uint8_t iomap_end;        /* the architecture reads one byte past the map: all ones */
} __attribute__((packed));

struct dtr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

uint64_t sdk_boot_ram_size;
uint64_t sdk_user_stack_top;
volatile uint64_t sdk_ticks;
extern char sdk_kernel_stack_top[], sdk_ist1_stack_top[];
extern void sdk_user_start(void);
extern void sdk_enter_user(void (*entry)(void), uint64_t rsp) __attribute__((noreturn));

static struct idt_entry idt[256] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));

#define DECL_STUB(n) extern void sdk_isr##n(void);
#define STUBS8(a, b, c, d, e, f, g, h) \
    DECL_STUB(a) DECL_STUB(b) DECL_STUB(c) DECL_STUB(d) DECL_STUB(e) DECL_STUB(f) DECL_STUB(g) DECL_STUB(h)
STUBS8(0, 1, 2, 3, 4, 5, 6, 7)
STUBS8(8, 9, 10, 11, 12, 13, 14, 15)
STUBS8(16, 17, 18, 19, 20, 21, 22, 23)
STUBS8(24, 25, 26, 27, 28, 29, 30, 31)
STUBS8(32, 33, 34, 35, 36, 37, 38, 39)
STUBS8(40, 41, 42, 43, 44, 45, 46, 47)
DECL_STUB(239) DECL_STUB(240) DECL_STUB(255)

static void (*const stubs[48])(void) = {
    sdk_isr0,  sdk_isr1,  sdk_isr2,  sdk_isr3,  sdk_isr4,  sdk_isr5,  sdk_isr6,  sdk_isr7,
    sdk_isr8,  sdk_isr9,  sdk_isr10, sdk_isr11, sdk_isr12, sdk_isr13, sdk_isr14, sdk_isr15,
    sdk_isr16, sdk_isr17, sdk_isr18, sdk_isr19, sdk_isr20, sdk_isr21, sdk_isr22, sdk_isr23,
    sdk_isr24, sdk_isr25, sdk_isr26, sdk_isr27, sdk_isr28, sdk_isr29, sdk_isr30, sdk_isr31,
    sdk_isr32, sdk_isr33, sdk_isr34, sdk_isr35, sdk_isr36, sdk_isr37, sdk_isr38, sdk_isr39,
    sdk_isr40, sdk_isr41, sdk_isr42, sdk_isr43, sdk_isr44, sdk_isr45, sdk_isr46, sdk_isr47,
};

static const char *const exception_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP", "#SS",
    "#GP", "#PF", "RSV", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "RSV", "RSV", "RSV", "RSV",
    "RSV", "RSV", "#HV", "#VC", "#SX", "RSV",
};

static void set_gate(int vec, void (*fn)(void), int dpl, int ist)
{
    uint64_t off = (uint64_t)fn;
    idt[vec].off_lo = off & 0xFFFF;
    idt[vec].sel = KERNEL_CS;
    idt[vec].ist = ist;
    idt[vec].attr = 0x8E | (dpl << 5); /* present, 64-bit interrupt gate (IF cleared on entry) */
    idt[vec].off_mid = (off >> 16) & 0xFFFF;
    idt[vec].off_hi = off >> 32;
    idt[vec].zero = 0;
}

static void setup_idt(void)
{
    for (int v = 0; v < 48; v++)
        set_gate(v, stubs[v], 0, v == 8 ? 1 : 0); /* #DF on its own IST stack */
    set_gate(SDK_APIC_TIMER_VECTOR, sdk_isr239, 0, 0);
    set_gate(SDK_IPI_VECTOR, sdk_isr240, 0, 0);
    set_gate(VEC_SPURIOUS, sdk_isr255, 0, 0);
    struct dtr d = {sizeof(idt) - 1, (uint64_t)idt};
    __asm__ volatile("lidt %0" : : "m"(d));
}

/* A TSS with every port open to ring 3, RSP0 and IST1 as given. */
static void init_tss(struct tss64 *t, uint64_t rsp0, uint64_t ist1)
{
    t->rsp[0] = rsp0;
    t->ist[0] = ist1;
    /* IOPL 3 grants ring 3 every port on hardware virtualisation and in emulators, but
     * PVM ignores IOPL in ring 3 and consults only this bitmap: it grants every port too. */
    t->iomap_base = __builtin_offsetof(struct tss64, iomap);
    t->iomap_end = 0xFF;
}

/* Write the 16-byte TSS descriptor into `gdt` at TSS_SEL, then load TR. */
static void load_tss(volatile uint64_t *gdt, struct tss64 *t)
{
    uint64_t base = (uint64_t)t, limit = sizeof(*t) - 1;
    volatile uint64_t *slot = (volatile uint64_t *)((uint64_t)gdt + TSS_SEL);
    slot[0] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89UL << 40) |
              (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    slot[1] = base >> 32;
    __asm__ volatile("ltr %w0" : : "r"(TSS_SEL));
}

/* The loader's GDT leaves a free 16-byte slot at 0x28 for this TSS. */
static void setup_tss(void)
{
    struct dtr g;
    __asm__ volatile("sgdt %0" : "=m"(g));
    init_tss(&tss, (uint64_t)sdk_kernel_stack_top, (uint64_t)sdk_ist1_stack_top);
    load_tss((volatile uint64_t *)g.base, &tss);
}

/* Both 8259s remapped to vectors 0x20-0x2f, every line masked until a driver unmasks it. */
static void setup_pic(void)
{
    outb(0x20, 0x11); /* ICW1: edge, cascade, ICW4 */
    outb(0xA0, 0x11);
    outb(0x21, VEC_IRQ0);     /* ICW2: vector base */
    outb(0xA1, VEC_IRQ0 + 8);
    outb(0x21, 0x04); /* ICW3: slave on IR2 */
    outb(0xA1, 0x02); /* ICW3: slave id 2 */
    outb(0x21, 0x01); /* ICW4: 8086 mode */
    outb(0xA1, 0x01);
    outb(0x21, 0xFB); /* OCW1: all masked but the cascade line */
    outb(0xA1, 0xFF);
}

static void report_exception(struct sdk_trap_frame *f)
{
    uint64_t cr2 = 0;
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    printf("\n*** guest exception %s (vector %lu) error %#lx rip %#lx cs %#lx rflags %#lx"
           " rsp %#lx cr2 %#lx\n",
           exception_names[f->vector], f->vector, f->error, f->rip, f->cs, f->rflags, f->rsp, cr2);
    m5_fail(0, 128 + f->vector);
    for (;;)
        __asm__ volatile("cli; hlt");
}

static void handle_irq(unsigned irq)
{
    if (irq == 7 || irq == 15) { /* spurious unless the in-service bit is set */
        uint16_t cmd = irq == 7 ? 0x20 : 0xA0;
        outb(cmd, 0x0B); /* OCW3: read ISR */
        if (!(inb(cmd) & 0x80)) {
            if (irq == 15)
                outb(0x20, 0x20); /* the master did see the cascade line */
            return;
        }
    }
    if (irq == 0)
        sdk_ticks++;
    if (irq >= 8)
        outb(0xA0, 0x20); /* non-specific EOI */
    outb(0x20, 0x20);
}

/* Ring 3 waits by executing HLT, which is privileged there: the #GP it raises is the
 * request. This needs no software-interrupt gate, which some hosts do not deliver from
 * ring 3 (PVM turns `int n` in ring 3 into #UD). The IRQ nests on this stack. */
static int wait_requested(const struct sdk_trap_frame *f)
{
    return f->vector == VEC_GP && f->error == 0 && (f->cs & 3) == 3 &&
           *(const volatile uint8_t *)f->rip == OPCODE_HLT;
}

/* Per-CPU counts of the local APIC's interrupts (indexed by APIC ID). */
static volatile uint64_t apic_timer_ticks[SDK_MAX_CPUS];
static volatile uint64_t ipi_counts[SDK_MAX_CPUS];

static void handle_lapic(unsigned vector)
{
    if (vector == VEC_SPURIOUS)
        return; /* no EOI for a spurious interrupt */
    unsigned id = sdk_cpu_id();
    if (id < SDK_MAX_CPUS) {
        if (vector == SDK_APIC_TIMER_VECTOR)
            apic_timer_ticks[id]++;
        else
            ipi_counts[id]++;
    }
    lapic_write(LAPIC_EOI, 0);
}

void sdk_trap(struct sdk_trap_frame *f)
{
    if (wait_requested(f)) {
        f->rip += 1;
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    } else if (f->vector < 32)
        report_exception(f);
    else if (f->vector < 48)
        handle_irq(f->vector - VEC_IRQ0);
    else
        handle_lapic(f->vector);
}

/* -- application processors (ring 0) ------------------------------------------------ */

extern char sdk_ap_kstacks[];
extern void sdk_ap_entry(void);
extern void sdk_ap_user_start(void);
static struct tss64 ap_tss[SDK_MAX_CPUS] __attribute__((aligned(16)));
static uint64_t ap_gdt[SDK_MAX_CPUS][GDT_ENTRIES] __attribute__((aligned(16)));
static uint8_t ap_ustacks[SDK_MAX_CPUS][AP_USTACK_SIZE] __attribute__((aligned(16)));
static void (*volatile ap_fn)(unsigned cpu);
static volatile uint32_t cpus_online = 1;

/* From sdk_ap_entry, on this processor's ring-0 stack: its own GDT (the loader's, with its
 * own TSS), the shared IDT, its APIC enabled, then ring 3. */
void sdk_ap_kernel_main(uint64_t id)
{
    struct dtr g;
    __asm__ volatile("sgdt %0" : "=m"(g));
    const volatile uint64_t *boot_gdt = (const volatile uint64_t *)g.base;
    for (int i = 0; i < GDT_ENTRIES; i++)
        ap_gdt[id][i] = boot_gdt[i];
    struct dtr mine = {sizeof(ap_gdt[id]) - 1, (uint64_t)ap_gdt[id]};
    __asm__ volatile("lgdt %0" : : "m"(mine));
    uint64_t kstack = (uint64_t)sdk_ap_kstacks + (id + 1) * AP_KSTACK_SIZE;
    init_tss(&ap_tss[id], kstack, kstack);
    load_tss(ap_gdt[id], &ap_tss[id]);
    struct dtr d = {sizeof(idt) - 1, (uint64_t)idt};
    __asm__ volatile("lidt %0" : : "m"(d));
    lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS); /* software-enabled */
    __atomic_add_fetch(&cpus_online, 1, __ATOMIC_SEQ_CST);
    sdk_enter_user(sdk_ap_user_start, (uint64_t)ap_ustacks[id] + AP_USTACK_SIZE);
}

void sdk_kernel_main(void)
{
    uart_init();
    setup_idt();
    setup_tss();
    setup_pic();
    sdk_enter_user(sdk_user_start, sdk_user_stack_top);
}

/* -- ring-3 services ------------------------------------------------------------- */

void sdk_finish(int rc)
{
    if (rc == 0)
        m5_exit(0);
    else
        m5_fail(0, (uint64_t)(int64_t)rc);
    for (;;)
        __asm__ volatile("pause");
}

void sdk_wait_for_interrupt(void)
{
    __asm__ volatile("hlt" ::: "memory"); /* trapped and served in ring 0: see sdk_trap */
}

void sdk_timer_start(uint32_t hz)
{
    uint32_t div = hz ? 1193182u / hz : 0;
    if (div == 0 || div > 65535)
        div = 0; /* 0 programs 65536: the slowest rate */
    outb(0x43, 0x34); /* channel 0, lobyte/hibyte, mode 2 (rate generator), binary */
    outb(0x40, div & 0xFF);
    outb(0x40, (div >> 8) & 0xFF);
    outb(0x21, inb(0x21) & ~0x01); /* unmask IRQ 0 */
}

void sdk_timer_stop(void)
{
    outb(0x21, inb(0x21) | 0x01);
}

uint64_t sdk_timer_ticks(void)
{
    return sdk_ticks;
}

uint64_t sdk_ram_size(void)
{
    return sdk_boot_ram_size;
}

/* -- SMP, IPIs and the APIC timer (ring 3) ---------------------------------------------- */

void sdk_ap_user_main(void)
{
    ap_fn(sdk_cpu_id());
    for (;;)
        sdk_wait_for_interrupt();
}

unsigned sdk_cpus_online(void)
{
    return cpus_online;
}

unsigned sdk_smp_start(void (*fn)(unsigned cpu))
{
    ap_fn = fn;
    /* the trampoline: movabs $sdk_ap_entry, %rax; jmp *%rax */
    volatile uint8_t *t = (volatile uint8_t *)SDK_AP_TRAMPOLINE;
    uint64_t target = (uint64_t)sdk_ap_entry;
    t[0] = 0x48;
    t[1] = 0xB8;
    for (int i = 0; i < 8; i++)
        t[2 + i] = (uint8_t)(target >> (8 * i));
    t[10] = 0xFF;
    t[11] = 0xE0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    lapic_write(LAPIC_SVR, 0x100 | VEC_SPURIOUS);
    lapic_write(LAPIC_ICR_HIGH, 0);
    lapic_write(LAPIC_ICR_LOW, ICR_ALL_BUT_SELF | ICR_ASSERT | ICR_INIT);
    lapic_write(LAPIC_ICR_LOW, ICR_ALL_BUT_SELF | ICR_ASSERT | ICR_STARTUP | (SDK_AP_TRAMPOLINE >> 12));
    uint64_t before = sdk_apic_timer_ticks();
    sdk_apic_timer_start(SDK_SMP_WAIT_COUNT, 0x3, 0);
    while (sdk_apic_timer_ticks() == before && cpus_online < SDK_MAX_CPUS)
        sdk_wait_for_interrupt();
    sdk_apic_timer_stop();
    return cpus_online;
}

void sdk_send_ipi(unsigned apic_id, uint8_t vector)
{
    lapic_write(LAPIC_ICR_HIGH, apic_id << 24);
    lapic_write(LAPIC_ICR_LOW, ICR_FIXED | ICR_ASSERT | vector);
}

void sdk_send_ipi_all_but_self(uint8_t vector)
{
    lapic_write(LAPIC_ICR_LOW, ICR_ALL_BUT_SELF | ICR_FIXED | ICR_ASSERT | vector);
}

uint64_t sdk_ipi_count(void)
{
    unsigned id = sdk_cpu_id();
    return id < SDK_MAX_CPUS ? ipi_counts[id] : 0;
}

void sdk_apic_timer_start(uint32_t initial_count, uint32_t divide_conf, int periodic)
{
    lapic_write(LAPIC_TIMER_DIVIDE, divide_conf);
    lapic_write(LAPIC_LVT_TIMER, SDK_APIC_TIMER_VECTOR | (periodic ? LAPIC_TIMER_PERIODIC : 0));
    lapic_write(LAPIC_TIMER_INITIAL, initial_count);
}

void sdk_apic_timer_stop(void)
{
    lapic_write(LAPIC_TIMER_INITIAL, 0);
    lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | SDK_APIC_TIMER_VECTOR);
}

uint64_t sdk_apic_timer_ticks(void)
{
    unsigned id = sdk_cpu_id();
    return id < SDK_MAX_CPUS ? apic_timer_ticks[id] : 0;
}
