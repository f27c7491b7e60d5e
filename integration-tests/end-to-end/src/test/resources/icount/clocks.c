/*
 * Under -icount a run is a function of its inputs. This guest mixes what could make it depend on the host:
 * rounds of work whose lengths come from a generator, the time read three ways (rdtime, the ACLINT's
 * mtime over MMIO, minstret), timer interrupts re-armed from their handler with generated periods (the
 * handler records the instruction count and pc it interrupted), and waits in WFI for the next interrupt
 * (time skipped while idle). It prints a line per round and stops after a fixed amount of virtual time.
 */
#include <stdint.h>

#define UART     ((volatile uint8_t *)0x10000000)
#define TEST     ((volatile uint32_t *)0x100000)
#define MTIMECMP ((volatile uint64_t *)0x2004000)
#define MTIME    ((volatile uint64_t *)0x200bff8)
#ifndef RUN_TICKS
#define RUN_TICKS 5000000   /* half a second of virtual time */
#endif
#define CSRR(csr) ({ uint64_t v_; __asm__ volatile("csrr %0, " #csr : "=r"(v_)); v_; })

static void putc_(char c) { while (!(UART[5] & 0x20)) { } UART[0] = (uint8_t)c; }
static void puts_(const char *s) { while (*s) putc_(*s++); }
static void putdec(uint64_t v) {
    char b[21]; int i = 20; b[i] = 0;
    do { b[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    puts_(b + i);
}

static volatile uint64_t interrupts, irq_instret, irq_pc;
static uint64_t period_seed = 77;
static uint64_t next(uint64_t *s) { *s = *s * 6364136223846793005ULL + 1442695040888963407ULL; return *s >> 33; }

__attribute__((interrupt("machine"), aligned(4))) static void trap(void) {
    if (CSRR(mcause) == ((1ULL << 63) | 7)) {
        interrupts = interrupts + 1;
        irq_instret = CSRR(minstret);
        irq_pc = CSRR(mepc);
        *MTIMECMP = *MTIME + 500 + next(&period_seed) % 20000;
        return;
    }
    puts_("clocks: unexpected trap\n");
    *TEST = 0x13333;   /* fail, exit status 1 */
}

int main(void) {
    __asm__ volatile("csrw mtvec, %0" :: "r"((uintptr_t)trap));
    uint64_t seed = 12345, acc = 1, end = *MTIME + RUN_TICKS;
    *MTIMECMP = *MTIME + 1000;
    __asm__ volatile("csrs mie, %0" :: "r"(1UL << 7));
    __asm__ volatile("csrs mstatus, %0" :: "r"(1UL << 3));
    puts_("clocks: start\n");
    for (uint64_t round = 0; *MTIME < end; round++) {
        uint64_t n = next(&seed) % 30000;
        for (uint64_t i = 0; i < n; i++) acc = acc * 31 + (i ^ (acc >> 7));
        uint64_t t; __asm__ volatile("rdtime %0" : "=r"(t));
        puts_("round "); putdec(round); puts_(" rdtime "); putdec(t); puts_(" mtime "); putdec(*MTIME);
        puts_(" minstret "); putdec(CSRR(minstret)); puts_(" irqs "); putdec(interrupts);
        puts_(" irq-instret "); putdec(irq_instret); puts_(" irq-pc "); putdec(irq_pc); puts_("\n");
        if (round % 2) __asm__ volatile("wfi");
    }
    puts_("clocks: done acc "); putdec(acc); puts_(" irqs "); putdec(interrupts); puts_("\n");
    *TEST = 0x5555;
    return 0;
}
