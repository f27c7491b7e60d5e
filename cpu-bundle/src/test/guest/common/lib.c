#include "lib.h"

volatile trap_hook m_hook, s_hook;
volatile u64 last_cause = ~0UL, last_tval, last_epc, trap_count, last_priv;
volatile u64 resume_pc;

void putch(int c) { *UART = (uint8_t) c; }
void puts_(const char *s) { while (*s) putch(*s++); }
void puthex(u64 v) {
    char buf[17];
    for (int i = 15; i >= 0; i--) { int d = v & 15; buf[i] = d < 10 ? '0' + d : 'a' + d - 10; v >>= 4; }
    buf[16] = 0;
    puts_(buf);
}
void putdec(i64 v) {
    char buf[24]; int n = 0; u64 u = v < 0 ? -(u64) v : (u64) v;
    if (v < 0) putch('-');
    do { buf[n++] = '0' + u % 10; u /= 10; } while (u);
    while (n) putch(buf[--n]);
}
void kv(const char *k, u64 v) { puts_(k); putch('='); puthex(v); putch('\n'); }
int check(const char *what, u64 got, u64 want) {
    if (got == want) return 0;
    puts_("FAIL "); puts_(what); puts_(" got "); puthex(got); puts_(" want "); puthex(want); putch('\n');
    return 1;
}
void exit(int code) {
    *FINISHER = code == 0 ? 0x5555 : ((u32) code << 16) | 0x3333;
    for (;;) asm volatile("wfi");
}

static u64 insn_len(u64 epc) {
    uint16_t h = *(volatile uint16_t *) epc;
    return (h & 3) == 3 ? 4 : 2;
}

static void record(u64 cause, u64 epc, u64 tval, u64 priv) {
    last_cause = cause; last_epc = epc; last_tval = tval; last_priv = priv; trap_count++;
}

int m_trap_c(struct frame *f) {
    u64 cause = csr_read(mcause), epc = csr_read(mepc), tval = csr_read(mtval);
    u64 mpp = (csr_read(mstatus) >> 11) & 3;
    if ((cause == 8 || cause == 9 || cause == 11) && f->x[17] == MAGIC_EXIT) return 1;
    if (m_hook && m_hook(f, cause, epc, tval)) return 0;
    record(cause, epc, tval, mpp);
    if ((i64) cause < 0) return 0; /* interrupts must be handled by a hook */
    if (resume_pc) { csr_write(mepc, resume_pc); resume_pc = 0; }
    else csr_write(mepc, epc + insn_len(epc));
    return 0;
}

void s_trap_c(struct frame *f) {
    u64 cause = csr_read(scause), epc = csr_read(sepc), tval = csr_read(stval);
    u64 spp = (csr_read(sstatus) >> 8) & 1;
    if (cause == 8 && f->x[17] == MAGIC_EXIT) {
        /* forward the exit request to M-mode */
        register long a0 asm("a0") = f->x[10];
        register long a7 asm("a7") = MAGIC_EXIT;
        asm volatile("ecall" :: "r"(a0), "r"(a7));
    }
    if (s_hook && s_hook(f, cause, epc, tval)) return;
    record(cause | (1UL << 62), epc, tval, spp);
    if ((i64) cause < 0) return;
    if (resume_pc) { csr_write(sepc, resume_pc); resume_pc = 0; }
    else csr_write(sepc, epc + insn_len(epc));
}

void report_trap(const char *what) {
    puts_(what);
    if (last_cause == ~0UL) { puts_(" no-trap\n"); return; }
    puts_(" cause="); puthex(last_cause);
    puts_(" tval="); puthex(last_tval);
    puts_(" priv="); puthex(last_priv);
    putch('\n');
    last_cause = ~0UL; last_tval = 0; last_epc = 0;
}
