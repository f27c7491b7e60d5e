/*
 * Drives every feature of edu-mmio from a bare-metal guest and prints one PASS or FAIL line per check
 * on the virt board's UART; exits through the SiFive test device (status 0 when all passed). When the
 * device tree (in a1, as the board starts a kernel) has an edu-countdown node, it drives that device too.
 * Build: see build.sh. Run: orrery -machine virt -bios none -kernel edu-test.elf -device edu-mmio,...
 */
#include <stdint.h>

#ifndef EDU_BASE
#define EDU_BASE 0x10010000UL
#endif
#ifndef EDU_IRQ
#define EDU_IRQ 20
#endif

#define UART_BASE 0x10000000UL
#define TEST_BASE 0x100000UL
#define PLIC_BASE 0x0c000000UL

/* edu-mmio's registers (see EduMmio.java) */
#define EDU_ID          0x00
#define EDU_LIVENESS    0x04
#define EDU_FACT        0x08
#define EDU_STATUS      0x0c
#define EDU_FACT_RESULT 0x10
#define EDU_IRQ_STATUS  0x20
#define EDU_IRQ_RAISE   0x24
#define EDU_IRQ_ACK     0x28
#define EDU_IRQ_ENABLE  0x2c
#define EDU_DMA_SRC     0x40
#define EDU_DMA_DST     0x48
#define EDU_DMA_COUNT   0x50
#define EDU_DMA_CMD     0x54
#define EDU_DMA_RESULT  0x58
#define EDU_BUFFER_SIZE 0x5c

#define STATUS_FACT_BUSY 1u
#define STATUS_DMA_BUSY  2u
#define IRQ_FACT_DONE 1u
#define IRQ_DMA_DONE  2u
#define IRQ_DMA_ERROR 4u
#define DMA_START  1u
#define DMA_TO_RAM 2u
#define DMA_OK 0u
#define DMA_OUT_OF_BUFFER 2u
#define DMA_BUS_ERROR 3u

static inline uint32_t rd32(uintptr_t a) { return *(volatile uint32_t *)a; }
static inline void wr32(uintptr_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline uint64_t rd64(uintptr_t a) { return *(volatile uint64_t *)a; }
static inline void wr64(uintptr_t a, uint64_t v) { *(volatile uint64_t *)a = v; }
static inline uint32_t edu(uint32_t reg) { return rd32(EDU_BASE + reg); }
static inline void edu_w(uint32_t reg, uint32_t v) { wr32(EDU_BASE + reg, v); }

static void putc_uart(char c) {
    while (!(*(volatile uint8_t *)(UART_BASE + 5) & 0x20)) { }   /* LSR: transmitter holding register empty */
    *(volatile uint8_t *)UART_BASE = (uint8_t)c;
}
static void puts_uart(const char *s) { while (*s) putc_uart(*s++); }
static void puthex(uint64_t v) {
    puts_uart("0x");
    for (int i = 60; i >= 0; i -= 4) putc_uart("0123456789abcdef"[(v >> i) & 15]);
}

static int passed, failed;
static void check(const char *name, int ok, uint64_t seen) {
    puts_uart(ok ? "PASS " : "FAIL ");
    puts_uart(name);
    if (!ok) { puts_uart(" (saw "); puthex(seen); puts_uart(")"); }
    puts_uart("\n");
    if (ok) passed++; else failed++;
}

/* Polls until (reg & mask) == want, at most `spins` reads; returns the last value read. */
static uint32_t wait_for(uint32_t reg, uint32_t mask, uint32_t want, long spins) {
    uint32_t v = edu(reg);
    while ((v & mask) != want && --spins > 0) v = edu(reg);
    return v;
}

static int plic_pending(int irq) { return (rd32(PLIC_BASE + 0x1000 + 4 * (irq / 32)) >> (irq % 32)) & 1; }

static uint8_t ram_src[256], ram_dst[256];

/* ---- the device tree, read as an operating system reads it: big-endian tokens, names in a string block ---- */
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static int streq(const char *a, const char *b) { while (*a && *a == *b) { a++; b++; } return *a == *b; }

/* Finds the node whose first compatible string is `compat`: its first reg address and its interrupt. */
static int fdt_find(const uint8_t *fdt, const char *compat, uint64_t *reg, uint32_t *irq) {
    if (be32(fdt) != 0xd00dfeedu) return 0;
    const uint8_t *p = fdt + be32(fdt + 8);
    const char *strings = (const char *)fdt + be32(fdt + 12);
    int match = 0;
    for (;;) {
        uint32_t token = be32(p);
        p += 4;
        if (token == 1 || token == 2 || token == 9) {   /* a node begins or ends: the last one's properties are all read */
            if (match) return 1;
            if (token == 9) return 0;
            if (token == 1) { while (*p) p++; p = (const uint8_t *)(((uintptr_t)p + 4) & ~(uintptr_t)3); }
        } else if (token == 3) {                        /* a property: length, name offset, value */
            uint32_t len = be32(p);
            const char *name = strings + be32(p + 4);
            const uint8_t *v = p + 8;
            if (streq(name, "compatible")) match = streq((const char *)v, compat);
            else if (streq(name, "reg") && len >= 8) *reg = (uint64_t)be32(v) << 32 | be32(v + 4);
            else if (streq(name, "interrupts") && len >= 4) *irq = be32(v);
            p = v + ((len + 3) & ~3u);
        }
    }
}

/* edu-countdown (EduCountdown.java): COUNT at 0, STATUS at 4 with DONE (bit 0, write 1 to clear) and IRQ_ENABLE (bit 1) */
static void countdown_test(const uint8_t *fdt) {
    uint64_t cd = 0;
    uint32_t irq = 0;
    if (!fdt_find(fdt, "orrery,edu-countdown", &cd, &irq)) { puts_uart("SKIP edu-countdown: no node in the device tree\n"); return; }
    wr32(PLIC_BASE + 4 * irq, 1);
    wr32(PLIC_BASE + 0x2000 + 4 * (irq / 32), rd32(PLIC_BASE + 0x2000 + 4 * (irq / 32)) | 1u << (irq % 32));
    wr32(cd + 4, 2);                                    /* IRQ_ENABLE */
    wr32(cd, 50000);                                    /* 50,000 ticks: 50 ms at the default tick-ns, which */
    check("countdown: COUNT reads back", rd32(cd) == 50000, rd32(cd));  /* a cold first MMIO read never outlasts */
    check("countdown: not done at once", (rd32(cd + 4) & 1) == 0, rd32(cd + 4));
    long spins = 100000000L;
    while (!plic_pending(irq) && --spins > 0) { }
    check("countdown: the end raises the interrupt (PLIC pending)", plic_pending(irq) && rd32(cd + 4) == 3, rd32(cd + 4));
    uint32_t claimed = rd32(PLIC_BASE + 0x200004);
    check("countdown: the PLIC claim returns its source", claimed == irq, claimed);
    wr32(cd + 4, 3);                                    /* clear DONE, keep IRQ_ENABLE */
    wr32(PLIC_BASE + 0x200004, claimed);
    check("countdown: DONE cleared, the line low", rd32(cd + 4) == 2 && !plic_pending(irq), rd32(cd + 4));
}

int main(long hartid, const uint8_t *fdt) {
    (void)hartid;
    puts_uart("edu-test: starting\n");

    /* identification and liveness */
    check("id register reads 0x45440100", edu(EDU_ID) == 0x45440100u, edu(EDU_ID));
    edu_w(EDU_LIVENESS, 0x12345678u);
    check("liveness returns the inverse", edu(EDU_LIVENESS) == ~0x12345678u, edu(EDU_LIVENESS));
    check("buffer size is readable", edu(EDU_BUFFER_SIZE) >= 256, edu(EDU_BUFFER_SIZE));

    /* factorial, polled through STATUS */
    edu_w(EDU_FACT, 10);
    check("factorial is busy at first", (edu(EDU_STATUS) & STATUS_FACT_BUSY) != 0, edu(EDU_STATUS));
    uint32_t st = wait_for(EDU_STATUS, STATUS_FACT_BUSY, 0, 100000000L);
    check("factorial completes", (st & STATUS_FACT_BUSY) == 0, st);
    check("10! = 3628800", rd64(EDU_BASE + EDU_FACT_RESULT) == 3628800u, rd64(EDU_BASE + EDU_FACT_RESULT));
    check("FACT_DONE is set in IRQ_STATUS", (edu(EDU_IRQ_STATUS) & IRQ_FACT_DONE) != 0, edu(EDU_IRQ_STATUS));
    check("the line stays low while disabled", !plic_pending(EDU_IRQ), plic_pending(EDU_IRQ));
    edu_w(EDU_IRQ_ACK, IRQ_FACT_DONE);
    check("IRQ_ACK clears FACT_DONE", (edu(EDU_IRQ_STATUS) & IRQ_FACT_DONE) == 0, edu(EDU_IRQ_STATUS));

    /* factorial with the interrupt, seen as the PLIC's pending bit and claimed through context 0 (hart 0, M) */
    wr32(PLIC_BASE + 4 * EDU_IRQ, 1);                                   /* priority 1 */
    wr32(PLIC_BASE + 0x2000 + 4 * (EDU_IRQ / 32), 1u << (EDU_IRQ % 32)); /* enable for context 0 */
    wr32(PLIC_BASE + 0x200000, 0);                                      /* threshold 0 */
    edu_w(EDU_IRQ_ENABLE, IRQ_FACT_DONE | IRQ_DMA_DONE | IRQ_DMA_ERROR);
    edu_w(EDU_FACT, 20);
    long spins = 100000000L;
    while (!plic_pending(EDU_IRQ) && --spins > 0) { }
    check("factorial raises the interrupt (PLIC pending)", plic_pending(EDU_IRQ), edu(EDU_STATUS));
    check("20! = 2432902008176640000", rd64(EDU_BASE + EDU_FACT_RESULT) == 2432902008176640000ull, rd64(EDU_BASE + EDU_FACT_RESULT));
    uint32_t claimed = rd32(PLIC_BASE + 0x200004);
    check("the PLIC claim returns the device's source", claimed == EDU_IRQ, claimed);
    edu_w(EDU_IRQ_ACK, IRQ_FACT_DONE);
    wr32(PLIC_BASE + 0x200004, claimed);                                /* complete */
    check("acknowledged: no longer pending", !plic_pending(EDU_IRQ), plic_pending(EDU_IRQ));

    /* a software-raised interrupt */
    edu_w(EDU_IRQ_ENABLE, 0x80000000u);
    edu_w(EDU_IRQ_RAISE, 0x80000000u);
    check("IRQ_RAISE asserts the line", plic_pending(EDU_IRQ), edu(EDU_IRQ_STATUS));
    edu_w(EDU_IRQ_ACK, 0x80000000u);
    check("IRQ_ACK lowers it", !plic_pending(EDU_IRQ), edu(EDU_IRQ_STATUS));
    edu_w(EDU_IRQ_ENABLE, IRQ_DMA_DONE | IRQ_DMA_ERROR);

    /* DMA: RAM -> buffer -> another place in RAM */
    for (int i = 0; i < 256; i++) { ram_src[i] = (uint8_t)(i * 7 + 3); ram_dst[i] = 0; }
    wr64(EDU_BASE + EDU_DMA_SRC, (uintptr_t)ram_src);
    wr64(EDU_BASE + EDU_DMA_DST, 16);
    edu_w(EDU_DMA_COUNT, 256);
    edu_w(EDU_DMA_CMD, DMA_START);
    check("DMA is busy at first", (edu(EDU_STATUS) & STATUS_DMA_BUSY) != 0, edu(EDU_STATUS));
    st = wait_for(EDU_STATUS, STATUS_DMA_BUSY, 0, 100000000L);
    check("DMA to the buffer completes", (st & STATUS_DMA_BUSY) == 0 && edu(EDU_DMA_RESULT) == DMA_OK, edu(EDU_DMA_RESULT));
    check("DMA_DONE raises the interrupt", plic_pending(EDU_IRQ) && (edu(EDU_IRQ_STATUS) & IRQ_DMA_DONE), edu(EDU_IRQ_STATUS));
    edu_w(EDU_IRQ_ACK, IRQ_DMA_DONE);
    wr64(EDU_BASE + EDU_DMA_SRC, 16);
    wr64(EDU_BASE + EDU_DMA_DST, (uintptr_t)ram_dst);
    edu_w(EDU_DMA_COUNT, 256);
    edu_w(EDU_DMA_CMD, DMA_START | DMA_TO_RAM);
    st = wait_for(EDU_STATUS, STATUS_DMA_BUSY, 0, 100000000L);
    int same = 1;
    for (int i = 0; i < 256; i++) if (ram_dst[i] != ram_src[i]) same = 0;
    check("DMA back to RAM copies every byte", (st & STATUS_DMA_BUSY) == 0 && same, ram_dst[1]);
    edu_w(EDU_IRQ_ACK, IRQ_DMA_DONE);

    /* DMA errors: refused outside the buffer, failed on an unmapped address; neither stops the machine */
    wr64(EDU_BASE + EDU_DMA_SRC, (uintptr_t)ram_src);
    wr64(EDU_BASE + EDU_DMA_DST, edu(EDU_BUFFER_SIZE) - 8);
    edu_w(EDU_DMA_COUNT, 64);
    edu_w(EDU_DMA_CMD, DMA_START);
    check("DMA past the buffer is refused", edu(EDU_DMA_RESULT) == DMA_OUT_OF_BUFFER && (edu(EDU_IRQ_STATUS) & IRQ_DMA_ERROR),
          edu(EDU_DMA_RESULT));
    edu_w(EDU_IRQ_ACK, IRQ_DMA_ERROR);
    wr64(EDU_BASE + EDU_DMA_SRC, 0);
    wr64(EDU_BASE + EDU_DMA_DST, 0x80000UL);   /* nothing is mapped there on virt (between the boot ROM and the test device) */
    edu_w(EDU_DMA_COUNT, 32);
    edu_w(EDU_DMA_CMD, DMA_START | DMA_TO_RAM);
    st = wait_for(EDU_STATUS, STATUS_DMA_BUSY, 0, 100000000L);
    check("DMA to an unmapped address reports a bus error", edu(EDU_DMA_RESULT) == DMA_BUS_ERROR, edu(EDU_DMA_RESULT));
    edu_w(EDU_IRQ_ACK, 0xffffffffu);
    check("all interrupts acknowledged", !plic_pending(EDU_IRQ), edu(EDU_IRQ_STATUS));

    countdown_test(fdt);

    puts_uart(failed ? "edu-test: FAIL\n" : "edu-test: PASS\n");
    return failed;
}

void exit_guest(int status) {
    wr32(TEST_BASE, status ? ((uint32_t)status << 16) | 0x3333u : 0x5555u);
    for (;;) { }
}
