/* Privileged architecture: traps and their causes/tvals, delegation, vectored mtvec, interrupts and WFI,
 * Sv39/Sv48 paging with faults and A/D updates, SUM/MXR/MPRV, PMP, CSR masks; compared against QEMU. */
#include "common/lib.h"

static int fails;
#define PAGE 4096
static u64 root[512] __attribute__((aligned(PAGE)));
static u64 root48[512] __attribute__((aligned(PAGE)));
static u64 l1[512] __attribute__((aligned(PAGE)));
static u64 l0[512] __attribute__((aligned(PAGE)));
static volatile u64 pages[8][512] __attribute__((aligned(PAGE)));
static volatile u64 pmpbuf[2][512] __attribute__((aligned(PAGE)));
static volatile u64 amo_word[2];

#define V 1
#define R 2
#define W 4
#define X 8
#define U 16
#define A 64
#define D 128
#define PTE(pa, fl) ((((u64)(pa)) >> 12) << 10 | (fl))
#define VA_BASE 0x40000000UL

static void setup_tables(int user) {
    for (int i = 0; i < 512; i++) root[i] = l1[i] = l0[i] = root48[i] = 0;
    root[0] = PTE(0, V | R | W | A | D);                                   /* devices */
    root[2] = PTE(0x80000000UL, V | R | W | X | A | D | (user ? U : 0));   /* RAM */
    root[3] = PTE(0x80001000UL, V | R | W | A | D);                        /* misaligned gigapage */
    root[1] = PTE(l1, V);
    l1[0] = PTE(l0, V);
    l1[1] = PTE(0x80400000UL, V | R | W | A | D);                          /* megapage */
    l0[0] = PTE(pages[0], V | R | W | A | D);
    l0[1] = PTE(pages[1], V | R | A);
    l0[2] = PTE(pages[2], V | R | W);                                      /* A and D clear */
    l0[3] = 0;
    l0[4] = PTE(pages[4], V | X | A);
    l0[5] = PTE(pages[5], V | R | W | U | A | D);
    l0[6] = PTE(pages[6], V | W | A | D);                                  /* W without R: reserved */
    root48[0] = PTE(root, V);
    asm volatile("sfence.vma" ::: "memory");
}

static void satp_sv39(void) { csr_write(satp, (8UL << 60) | ((u64) root >> 12)); asm volatile("sfence.vma" ::: "memory"); }
static void satp_sv48(void) { csr_write(satp, (9UL << 60) | ((u64) root48 >> 12)); asm volatile("sfence.vma" ::: "memory"); }
static void satp_off(void) { csr_write(satp, 0); asm volatile("sfence.vma" ::: "memory"); }

static u64 load(u64 va) { u64 v; asm volatile("ld %0, 0(%1)" : "=r"(v) : "r"(va) : "memory"); return v; }
static void store(u64 va, u64 v) { asm volatile("sd %0, 0(%1)" :: "r"(v), "r"(va) : "memory"); }
static void jump(u64 va) {
    asm volatile("la t0, 1f\n la t1, resume_pc\n sd t0, 0(t1)\n jalr %0\n 1:" :: "r"(va) : "t0", "t1", "ra", "memory");
}

static void show_load(const char *what, u64 va) {
    last_cause = ~0UL;
    u64 v = load(va);
    puts_(what); puts_(" value="); puthex(v); putch(' ');
    report_trap("");
}
static void show_store(const char *what, u64 va, u64 val) { last_cause = ~0UL; store(va, val); report_trap(what); }

/* EBREAK's tval: the spec allows pc or 0 (QEMU 7.2 writes 0, Orrery the pc) */
static void report_bp(const char *what) {
    puts_(what); puts_(" cause="); puthex(last_cause); puts_(" tval-ok=");
    puthex(last_tval == 0 || last_tval == last_epc); putch('\n');
    last_cause = ~0UL;
}

/* ---------------- traps in M-mode ---------------- */
static void t_mtraps(void) {
    asm volatile(".4byte 0xffffffff"); report_trap("illegal-ones");
    asm volatile(".2byte 0x0000"); report_trap("illegal-c-zero");
    asm volatile(".4byte 0x00000013 | (0x7ff << 20) | (0 << 15) | (2 << 12) | (5 << 7) | 0x60"); report_trap("illegal-opcode");
    asm volatile("csrr t0, 0x7ff" ::: "t0"); report_trap("csr-custom");
    asm volatile("csrw mvendorid, zero"); report_trap("csr-readonly-write");
    asm volatile("csrr t0, mvendorid" ::: "t0"); report_trap("csr-readonly-read");
    asm volatile("csrr t0, 0x7b0" ::: "t0"); report_trap("csr-dcsr");
    asm volatile("csrr t0, pmpcfg1" ::: "t0"); report_trap("csr-pmpcfg1-rv64");
    asm volatile("ecall"); report_trap("ecall-m");
    asm volatile("ebreak"); report_bp("ebreak");
    asm volatile(".option push\n.option rvc\nc.ebreak\n.option pop"); report_bp("c.ebreak");
    show_load("load-unmapped", 0x90000000UL);
    show_store("store-unmapped", 0x90000000UL, 1);
    jump(0x90000000UL); report_trap("fetch-unmapped");
    /* misaligned accesses */
    show_load("load-misaligned", (u64) &pages[7][0] + 3);
    show_store("store-misaligned", (u64) &pages[7][1] + 5, 0x1122334455667788UL);
    show_load("load-misaligned-back", (u64) &pages[7][1] + 5);
    last_cause = ~0UL;
    { u64 r; asm volatile("amoadd.w %0, %2, (%1)" : "=r"(r) : "r"((u64) &amo_word[0] + 2), "r"(1L) : "memory"); }
    /* the spec says store/AMO misaligned (6); QEMU 7.2 reports 4 */
    kv("amo-misaligned", last_cause == 4 || last_cause == 6); last_cause = ~0UL;
    { u64 r; asm volatile("lr.d %0, (%1)" : "=r"(r) : "r"((u64) &amo_word[0] + 4) : "memory"); }
    report_trap("lr-misaligned");
    /* FP disabled and invalid frm */
    csr_clear(mstatus, 3UL << 13);
    asm volatile("fadd.d ft0, ft0, ft0"); report_trap("fp-off");
    asm volatile("csrr t0, fcsr" ::: "t0"); report_trap("fcsr-off");
    asm volatile(".option push\n.option rvc\n.2byte 0x2008\n.option pop" ::: "memory"); report_trap("c.fld-off");
    csr_set(mstatus, 1UL << 13);
    kv("mstatus-fs-clean", (csr_read(mstatus) >> 13) & 3);
    asm volatile("fmv.d.x ft0, zero");
    kv("mstatus-fs-after-write", (csr_read(mstatus) >> 13) & 3);
    kv("mstatus-sd", csr_read(mstatus) >> 63);
    csr_write(frm, 5);
    asm volatile("fadd.d ft0, ft0, ft0"); report_trap("frm-invalid");
    asm volatile("fadd.d ft0, ft0, ft0, rtz"); report_trap("frm-invalid-static-ok");
    csr_write(frm, 0);
    asm volatile(".4byte 0x02005053"); report_trap("rm-reserved-static");
}

/* ---------------- CSR behaviour ---------------- */
static void t_csrs(void) {
    u64 misa = csr_read(misa);
    fails += check("misa-mxl", misa >> 62, 2);
    u64 want = (1 << 0) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20);
    fails += check("misa-imafdcsu", misa & want, want);
    kv("mhartid", csr_read(mhartid));
    kv("mstatus-uxl-sxl", (csr_read(mstatus) >> 32) & 0xf);
    csr_write(mideleg, ~0UL); kv("mideleg-mask", csr_read(mideleg) & 0x222); csr_write(mideleg, 0);
    csr_write(medeleg, ~0UL); kv("medeleg-mask", csr_read(medeleg) & 0xb1ff); csr_write(medeleg, 0);
    csr_write(mie, ~0UL); kv("mie-mask", csr_read(mie) & 0xaaa); csr_write(mie, 0);
    csr_write(mideleg, 0x222); csr_write(sie, ~0UL); kv("sie-deleg", csr_read(sie)); kv("mie-after-sie", csr_read(mie));
    csr_write(mie, 0); csr_write(mideleg, 0);
    u64 old = csr_read(mtvec);
    csr_write(mtvec, 0x80000002UL); kv("mtvec-mode2-ignored", csr_read(mtvec) == old);
    csr_write(mtvec, old);
    csr_write(satp, 10UL << 60); kv("satp-mode10", csr_read(satp)); csr_write(satp, 0);
    csr_write(satp, 11UL << 60); kv("satp-mode11", csr_read(satp)); csr_write(satp, 0);
    /* MPP=2 is reserved: QEMU 7.2 keeps it, Orrery keeps the old value; only check it is not accepted as is by us */
    csr_clear(mstatus, 3UL << 11);
    csr_set(sstatus, 0x000c0122UL); kv("sstatus-all", csr_read(sstatus) & 0x80000003000de122UL);
    csr_clear(sstatus, (1 << 1) | (1 << 5) | (1 << 8) | (1 << 18) | (1 << 19));
    { u64 ms = csr_read(mscratch); csr_write(mscratch, 0x1234); kv("mscratch", csr_read(mscratch)); csr_write(mscratch, ms); }
    csr_write(mepc, 0x80000003UL); kv("mepc-align", csr_read(mepc) & ~1UL);
    csr_write(pmpaddr0, ~0UL); kv("pmpaddr0-ones", csr_read(pmpaddr0) & 0x003fffffffffffffUL); csr_write(pmpaddr0, 0);
    csr_write(pmpcfg0, 0x0200); kv("pmpcfg-w-only", csr_read(pmpcfg0)); csr_write(pmpcfg0, 0);
    kv("tselect", csr_read(tselect));
    kv("mhpmcounter3", csr_read(mhpmcounter3));
    kv("hpmcounter-m", csr_read(hpmcounter4));
    u64 i1 = csr_read(minstret), i2 = csr_read(minstret);
    fails += check("instret-advances", i2 > i1, 1);
    kv("menvcfg-stce", csr_read(menvcfg) >> 63);
}

/* ---------------- U and S mode ---------------- */
static long u_body(long arg) {
    (void) arg;
    register long a7 asm("a7") = 1;
    asm volatile("ecall" :: "r"(a7)); report_trap("ecall-u");
    asm volatile("csrr t0, mstatus" ::: "t0"); report_trap("u-csr-mstatus");
    asm volatile("csrr t0, sstatus" ::: "t0"); report_trap("u-csr-sstatus");
    asm volatile("mret"); report_trap("u-mret");
    asm volatile("sret"); report_trap("u-sret");
    asm volatile("wfi"); report_trap("u-wfi");
    asm volatile("sfence.vma" ::: "memory"); report_trap("u-sfence");
    asm volatile("rdcycle t0" ::: "t0"); report_trap("u-rdcycle-disabled");
    return 42;
}
static long u_counters(long arg) {
    (void) arg;
    asm volatile("rdtime t0" ::: "t0"); report_trap("u-rdtime-enabled");
    asm volatile("rdcycle t0" ::: "t0"); report_trap("u-rdcycle-s-disabled");
    return 7;
}
static long s_body(long arg) {
    (void) arg;
    register long a7 asm("a7") = 1;
    asm volatile("ecall" :: "r"(a7)); report_trap("ecall-s");
    asm volatile("csrr t0, mstatus" ::: "t0"); report_trap("s-csr-mstatus");
    asm volatile("csrr t0, sstatus" ::: "t0"); report_trap("s-csr-sstatus");
    asm volatile("mret"); report_trap("s-mret");
    asm volatile("csrr t0, stimecmp" ::: "t0"); report_trap("s-stimecmp-no-stce");
    return 43;
}
static long s_trapped(long arg) {
    (void) arg;
    asm volatile("sret"); report_trap("s-sret-tsr");
    asm volatile("sfence.vma" ::: "memory"); report_trap("s-sfence-tvm");
    asm volatile("csrr t0, satp" ::: "t0"); report_trap("s-satp-tvm");
    asm volatile("wfi"); report_trap("s-wfi-tw");
    return 44;
}
static long u_deleg(long arg) {
    (void) arg;
    asm volatile(".4byte 0xffffffff"); report_trap("u-illegal-delegated");
    register long a7 asm("a7") = 2;
    asm volatile("ecall" :: "r"(a7)); report_trap("u-ecall-delegated");
    asm volatile("ebreak"); report_bp("u-ebreak-not-delegated");
    return 45;
}
static long s_deleg(long arg) {
    (void) arg;
    asm volatile(".4byte 0xffffffff"); report_trap("s-illegal-delegated");
    register long a7 asm("a7") = 3;
    asm volatile("ecall" :: "r"(a7)); report_trap("s-ecall-not-delegated");
    return 46;
}

static void t_modes(void) {
    kv("u-ret", enter_mode(0, u_body, 0));
    csr_write(mcounteren, 2); csr_write(scounteren, 2);
    kv("u-ret2", enter_mode(0, u_counters, 0));
    csr_write(mcounteren, 0); csr_write(scounteren, 0);
    kv("s-ret", enter_mode(1, s_body, 0));
    csr_set(mstatus, (1UL << 20) | (1UL << 21) | (1UL << 22));
    kv("s-ret2", enter_mode(1, s_trapped, 0));
    csr_clear(mstatus, (1UL << 20) | (1UL << 21) | (1UL << 22));
    csr_write(stvec, strap_entry);
    csr_write(medeleg, (1 << 2) | (1 << 8));
    kv("u-ret3", enter_mode(0, u_deleg, 0));
    kv("s-ret3", enter_mode(1, s_deleg, 0));
    asm volatile(".4byte 0xffffffff"); report_trap("m-illegal-not-delegated");
    csr_write(medeleg, 0);
}

/* ---------------- interrupts ---------------- */
static volatile u64 irq_log[8];
static volatile int irq_n;
static int irq_hook(struct frame *f, u64 cause, u64 epc, u64 tval) {
    (void) f; (void) epc; (void) tval;
    if ((i64) cause >= 0) return 0;
    if (irq_n < 8) irq_log[irq_n++] = cause;
    u64 c = cause & 0xff;
    if (c == 3) *CLINT_MSIP = 0;
    else if (c == 7) { *CLINT_MTIMECMP = 1UL << 50; csr_clear(mie, 1 << 7); }  /* QEMU may re-raise MTIP briefly */
    else if (c == 1) csr_clear(mip, 2);
    else if (c == 5) csr_clear(mie, 1 << 5);
    else if (c == 9) csr_clear(mip, 1 << 9);
    return 1;
}
static int s_irq_hook(struct frame *f, u64 cause, u64 epc, u64 tval) {
    (void) f; (void) epc; (void) tval;
    if ((i64) cause >= 0) return 0;
    if (irq_n < 8) irq_log[irq_n++] = cause | (1UL << 62);
    u64 c = cause & 0xff;
    if (c == 1) csr_clear(sip, 2);
    else if (c == 5) asm volatile("csrw stimecmp, %0" :: "r"(1UL << 50));
    else if (c == 9) csr_clear(sie, 1 << 9);
    return 1;
}
static void show_irqs(const char *what) {
    puts_(what);
    for (int i = 0; i < irq_n; i++) { putch(' '); puthex(irq_log[i]); }
    putch('\n');
    irq_n = 0;
}
static long s_wait_ssi(long arg) {
    (void) arg;
    csr_set(sie, 2);
    csr_set(sstatus, 2);
    csr_set(sip, 2);
    for (volatile int i = 0; i < 100; i++) { }
    csr_clear(sstatus, 2);
    return irq_n;
}
static long s_wait_stimer(long arg) {
    (void) arg;
    u64 t = csr_read(time);
    asm volatile("csrw stimecmp, %0" :: "r"(t + 50));
    csr_set(sie, 1 << 5);
    /* the test and the WFI with SIE clear, or an interrupt between them leaves WFI waiting for another */
    while (irq_n == 0) {
        asm volatile("wfi");     /* wakes on the pending interrupt even with SIE clear */
        csr_set(sstatus, 2);     /* takes it */
        csr_clear(sstatus, 2);
    }
    return irq_n;
}
static long u_spin(long arg) {
    (void) arg;
    while (irq_n == 0) { }
    return irq_n;
}

static void t_interrupts(void) {
    m_hook = irq_hook;
    s_hook = s_irq_hook;
    /* machine software interrupt */
    csr_write(mie, 1 << 3);
    csr_set(mstatus, 1 << 3);
    *CLINT_MSIP = 1;
    for (volatile int i = 0; i < 100; i++) { }
    show_irqs("msi");
    /* timer, vectored, woken from WFI */
    csr_write(mtvec, (u64) mtrap_vector | 1);
    csr_clear(mstatus, 1 << 3);   /* as in s_wait_stimer: test and WFI with MIE clear, then take it */
    csr_write(mie, 1 << 7);
    *CLINT_MTIMECMP = *CLINT_MTIME + 100;
    while (irq_n == 0) {
        asm volatile("wfi");
        csr_set(mstatus, 1 << 3);
        csr_clear(mstatus, 1 << 3);
    }
    csr_set(mstatus, 1 << 3);
    show_irqs("mti-vectored");
    /* priority: MSI and MTI pending together, MSI first */
    csr_clear(mstatus, 1 << 3);
    *CLINT_MSIP = 1;
    *CLINT_MTIMECMP = 0;
    csr_write(mie, (1 << 3) | (1 << 7));
    kv("mip-pending", csr_read(mip) & 0x88);
    csr_set(mstatus, 1 << 3);
    for (volatile int i = 0; i < 100; i++) { }
    show_irqs("priority");
    /* WFI with MIE clear resumes without a trap */
    csr_clear(mstatus, 1 << 3);
    *CLINT_MTIMECMP = *CLINT_MTIME + 100;
    csr_write(mie, 1 << 7);
    asm volatile("wfi");
    kv("wfi-wakeup-mtip", (csr_read(mip) >> 7) & 1);
    *CLINT_MTIMECMP = 1UL << 50;
    csr_write(mtvec, mtrap_entry);
    /* M-level interrupt preempts U-mode even with MIE clear */
    *CLINT_MTIMECMP = *CLINT_MTIME + 100;
    csr_write(mie, 1 << 7);
    kv("u-preempted", enter_mode(0, u_spin, 0));
    show_irqs("mti-from-u");
    csr_write(mie, 0);
    /* supervisor software interrupt delegated to S */
    csr_write(mideleg, 1 << 1);
    csr_write(stvec, strap_entry);
    kv("ssi-n", enter_mode(1, s_wait_ssi, 0));
    show_irqs("ssi-delegated");
    /* Sstc: supervisor timer via stimecmp */
    csr_write(menvcfg, 1UL << 63);
    csr_write(mcounteren, 2);
    csr_write(mideleg, (1 << 1) | (1 << 5));
    kv("sti-n", enter_mode(1, s_wait_stimer, 0));
    show_irqs("sti-sstc");
    asm volatile("csrw stimecmp, %0" :: "r"(1UL << 50));
    /* SEIP written by software is visible in mip and traps when delegated */
    csr_write(mideleg, 1 << 9);
    csr_set(mip, 1 << 9);
    kv("mip-seip-sw", (csr_read(mip) >> 9) & 1);
    csr_clear(mip, 1 << 9);
    csr_write(mideleg, 0);
    csr_write(menvcfg, 0);
    csr_write(mcounteren, 0);
    m_hook = 0;
    s_hook = 0;
}

/* ---------------- paging ---------------- */
static long s_paging(long arg) {
    (void) arg;
    show_load("sv-read-p0", VA_BASE);
    show_store("sv-write-p0", VA_BASE + 8, 0xabcdef);
    show_load("sv-read-p0-back", VA_BASE + 8);
    show_load("sv-read-ro", VA_BASE + PAGE);
    show_store("sv-write-ro", VA_BASE + PAGE, 5);
    show_load("sv-read-ad", VA_BASE + 2 * PAGE);
    show_store("sv-write-ad", VA_BASE + 2 * PAGE + 16, 7);
    show_load("sv-read-invalid", VA_BASE + 3 * PAGE + 0x18);
    show_load("sv-read-xonly", VA_BASE + 4 * PAGE);
    csr_set(sstatus, 1 << 19);
    show_load("sv-read-xonly-mxr", VA_BASE + 4 * PAGE);
    csr_clear(sstatus, 1 << 19);
    show_load("sv-read-user-nosum", VA_BASE + 5 * PAGE);
    csr_set(sstatus, 1 << 18);
    show_load("sv-read-user-sum", VA_BASE + 5 * PAGE);
    csr_clear(sstatus, 1 << 18);
    show_load("sv-read-wonly", VA_BASE + 6 * PAGE);
    show_load("sv-read-megapage", VA_BASE + 0x200000 + 0x10);
    show_load("sv-read-misaligned-giga", 0xC0000000UL);
    show_load("sv-noncanonical", 0x0000008000000000UL);
    show_load("sv-noncanonical-high", 0xffffffc000000000UL);
    jump(VA_BASE); report_trap("sv-exec-nx");
    jump(VA_BASE + 4 * PAGE); report_trap("sv-exec-xonly");
    jump(VA_BASE + 5 * PAGE); report_trap("sv-exec-user");
    return 1;
}
static long u_paging(long arg) {
    (void) arg;
    show_load("u-read-user", VA_BASE + 5 * PAGE);
    show_load("u-read-super", VA_BASE);
    show_store("u-write-super", VA_BASE, 1);
    return 2;
}
static long s_sv48(long arg) {
    (void) arg;
    show_load("sv48-read-p0", VA_BASE + 8);
    show_load("sv48-unmapped", 0x0000008000000000UL);
    show_load("sv48-noncanonical", 0x0000800000000000UL);
    show_load("sv48-read-megapage", VA_BASE + 0x200000 + 0x10);
    return 3;
}

static void t_paging(void) {
    for (int p = 0; p < 8; p++) for (int i = 0; i < 512; i++) pages[p][i] = 0x1000UL * p + i;
    *(volatile uint16_t *) &pages[4][0] = 0x8082; /* c.ret */
    asm volatile("fence.i");
    *(volatile u64 *) (0x80400000UL + 0x10) = 0x5a5a5a5a;
    setup_tables(0);
    satp_sv39();
    kv("s-paging", enter_mode(1, s_paging, 0));
    kv("pte-ro-flags", l0[1] & 0xff);
    kv("pte-ad-flags", l0[2] & 0xff);
    kv("p0-written", pages[0][1]);
    setup_tables(1);
    satp_sv39();
    kv("u-paging", enter_mode(0, u_paging, 0));
    setup_tables(0);
    satp_sv48();
    kv("s-sv48", enter_mode(1, s_sv48, 0));
    /* MPRV: M-mode loads and stores translated as S */
    satp_sv39();
    csr_write(mstatus, (csr_read(mstatus) & ~(3UL << 11)) | (1UL << 11) | (1UL << 17));
    u64 v = load(VA_BASE + 8);
    store(VA_BASE + 16, 0x77);
    csr_clear(mstatus, 1UL << 17);
    kv("mprv-load", v);
    kv("mprv-store", pages[0][2]);
    /* remap after sfence.vma */
    l0[0] = PTE(pages[7], V | R | W | A | D);
    asm volatile("sfence.vma" ::: "memory");
    csr_set(mstatus, 1UL << 17);
    v = load(VA_BASE + 8);
    csr_clear(mstatus, 1UL << 17);
    kv("remapped", v);
    satp_off();
}

/* ---------------- PMP ---------------- */
static long s_pmp(long arg) {
    (void) arg;
    show_load("pmp-s-read-denied", (u64) &pmpbuf[1][0]);
    show_store("pmp-s-write-denied", (u64) &pmpbuf[1][1], 1);
    show_load("pmp-s-read-other", (u64) &pmpbuf[0][0]);
    show_load("pmp-s-read-straddle", (u64) &pmpbuf[1][0] - 4);
    jump((u64) &pmpbuf[1][0]); report_trap("pmp-s-exec-denied");
    return 5;
}
static void t_pmp(void) {
    pmpbuf[0][0] = 0x11; pmpbuf[1][0] = 0x22;
    u64 napot = ((u64) &pmpbuf[1][0] >> 2) | ((PAGE / 8) - 1);
    csr_write(pmpaddr1, napot);
    csr_write(pmpaddr2, ~0UL);
    csr_write(pmpcfg0, ((u64) (3 << 3) << 8) | ((u64) ((3 << 3) | 7) << 16));
    kv("pmpcfg0", csr_read(pmpcfg0));
    kv("pmp-s", enter_mode(1, s_pmp, 0));
    show_load("pmp-m-read-unlocked", (u64) &pmpbuf[1][0]);
    /* a locked read-only entry applies to M-mode too */
    csr_write(pmpaddr0, ((u64) &pmpbuf[0][0] >> 2) | ((PAGE / 8) - 1));
    csr_set(pmpcfg0, (3 << 3) | 1 | 0x80);
    show_load("pmp-m-read-locked", (u64) &pmpbuf[0][0]);
    show_store("pmp-m-write-locked", (u64) &pmpbuf[0][0], 3);
    csr_write(pmpaddr0, 0);
    kv("pmpaddr0-locked", csr_read(pmpaddr0) == (((u64) &pmpbuf[0][0] >> 2) | ((PAGE / 8) - 1)));
    kv("pmpcfg0-locked", csr_read(pmpcfg0) & 0xff);
}

/* ---------------- LR/SC ---------------- */
static void t_lrsc(void) {
    u64 r, ok;
    amo_word[0] = 5;
    asm volatile("sc.d %0, %2, (%1)" : "=r"(ok) : "r"(&amo_word[0]), "r"(9L) : "memory");
    kv("sc-no-reservation", ok);
    asm volatile("lr.d %0, (%2)\n sd %3, 0(%2)\n sc.d %1, %4, (%2)" : "=&r"(r), "=&r"(ok) : "r"(&amo_word[0]), "r"(6L), "r"(9L) : "memory");
    kv("sc-after-store", ok);
    asm volatile("lr.d %0, (%2)\n sc.d %1, %3, (%2)" : "=&r"(r), "=&r"(ok) : "r"(&amo_word[0]), "r"(10L) : "memory");
    kv("sc-ok", ok);
    kv("sc-value", amo_word[0]);
}

int main(void) {
    t_mtraps();
    t_csrs();
    /* S and U need a PMP entry; the last one (lowest priority) grants everything */
    csr_write(pmpaddr15, ~0UL);
    csr_write(pmpcfg2, 0x1fUL << 56);
    t_modes();
    t_interrupts();
    t_paging();
    t_lrsc();
    t_pmp();
    puts_(fails ? "priv FAILED\n" : "priv ok\n");
    return fails;
}
