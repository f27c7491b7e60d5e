/* RV32IMAFDC: integer, multiply/divide, atomics, FP and traps on a 32-bit hart; compared against
 * qemu-system-riscv32. */
#include <stdint.h>
typedef uint32_t u32;
typedef int32_t i32;
typedef uint64_t u64;
extern volatile u32 last_cause32[2];

static void putch(int c) { *(volatile uint8_t *) 0x10000000 = (uint8_t) c; }
static void puts_(const char *s) { while (*s) putch(*s++); }
static void puthex(u32 v) { for (int i = 7; i >= 0; i--) { int d = (v >> (4 * i)) & 15; putch(d < 10 ? '0' + d : 'a' + d - 10); } }
static void kv(const char *k, u32 v) { puts_(k); putch('='); puthex(v); putch('\n'); }
static void trap(const char *k) { puts_(k); puts_(" cause="); puthex(last_cause32[0]); puts_(" tval="); puthex(last_cause32[1]); putch('\n'); last_cause32[0] = ~0u; }

static u32 rng = 0x12345678;
static u32 next(void) { rng ^= rng << 13; rng ^= rng >> 17; rng ^= rng << 5; return rng; }
static const u32 special[] = {0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 31, 32, 0x10000};
static u32 mix(u32 h, u32 v) { h ^= v; h *= 0x01000193; return h ^ (h >> 15); }

#define OP2(name, insn) static u32 name(u32 a, u32 b) { u32 r; asm volatile(insn " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); return r; }
OP2(op_add, "add") OP2(op_sub, "sub") OP2(op_sll, "sll") OP2(op_slt, "slt") OP2(op_sltu, "sltu") OP2(op_xor, "xor")
OP2(op_srl, "srl") OP2(op_sra, "sra") OP2(op_or, "or") OP2(op_and, "and") OP2(op_mul, "mul") OP2(op_mulh, "mulh")
OP2(op_mulhsu, "mulhsu") OP2(op_mulhu, "mulhu") OP2(op_div, "div") OP2(op_divu, "divu") OP2(op_rem, "rem") OP2(op_remu, "remu")
static u32 op_imm(u32 a, u32 b) { u32 r1, r2, r3; (void) b; asm volatile("slli %0, %3, 7\n srai %1, %3, 13\n addi %2, %3, -2048" : "=r"(r1), "=r"(r2), "=r"(r3) : "r"(a)); return r1 ^ r2 ^ r3; }
static u32 op_amo(u32 a, u32 b) {
    static volatile u32 m; u32 r, h = 0; m = a;
#define AMO(insn) asm volatile(insn " %0, %2, (%1)" : "=r"(r) : "r"(&m), "r"(b) : "memory"); h = mix(mix(h, r), m);
    AMO("amoadd.w") AMO("amoxor.w") AMO("amoand.w") AMO("amoor.w") AMO("amomin.w") AMO("amomax.w") AMO("amominu.w") AMO("amomaxu.w") AMO("amoswap.w")
    u32 ok, old;
    asm volatile("lr.w %0, (%2)\n sc.w %1, %3, (%2)" : "=&r"(old), "=&r"(ok) : "r"(&m), "r"(a) : "memory");
    return mix(mix(h, ok), m);
}
static u32 op_mem(u32 a, u32 b) {
    static volatile union { u32 w[4]; uint8_t c[16]; } m;
    m.w[0] = a; m.w[1] = b;
    u32 h = (u32) (int8_t) m.c[1] + (u32) m.c[2] + (u32) *(volatile int16_t *) &m.c[2] + *(volatile uint16_t *) &m.c[4];
    *(volatile uint8_t *) &m.c[9] = (uint8_t) a; *(volatile uint16_t *) &m.c[10] = (uint16_t) b;
    return mix(h, m.w[2]);
}
static u32 op_fp(u32 a, u32 b) {
    double x = (double) (i32) a, y = (double) b + 0.25;
    float f = (float) (i32) b;
    u32 r = (u32) (i32) (x / y * 1000.0) ^ (u32) (x * y) ^ (u32) (i32) (f * 3.5f);
    return r;
}
struct t { const char *n; u32 (*f)(u32, u32); };
static const struct t tests[] = {{"add", op_add}, {"sub", op_sub}, {"sll", op_sll}, {"slt", op_slt}, {"sltu", op_sltu},
    {"xor", op_xor}, {"srl", op_srl}, {"sra", op_sra}, {"or", op_or}, {"and", op_and}, {"mul", op_mul}, {"mulh", op_mulh},
    {"mulhsu", op_mulhsu}, {"mulhu", op_mulhu}, {"div", op_div}, {"divu", op_divu}, {"rem", op_rem}, {"remu", op_remu},
    {"imm", op_imm}, {"amo", op_amo}, {"mem", op_mem}, {"fp", op_fp}};

/* Sv32 through MPRV: M-mode loads and stores translated as S-mode */
static u32 root32[1024] __attribute__((aligned(4096)));
static u32 l0_32[1024] __attribute__((aligned(4096)));
static volatile u32 page32[2][1024] __attribute__((aligned(4096)));
#define PTE32(pa, fl) ((((u32) (pa)) >> 12) << 10 | (fl))
static u32 mprv_load(u32 va) {
    u32 v = 0xdeadbeef;
    asm volatile("csrs mstatus, %1\n lw %0, 0(%2)\n csrc mstatus, %1" : "+r"(v) : "r"(1u << 17), "r"(va) : "memory");
    return v;
}
static void mprv_store(u32 va, u32 v) {
    asm volatile("csrs mstatus, %0\n sw %1, 0(%2)\n csrc mstatus, %0" :: "r"(1u << 17), "r"(v), "r"(va) : "memory");
}
static void sv32(void) {
    page32[0][0] = 0x11111111; page32[1][3] = 0x22222222;
    root32[0] = PTE32(0, 0xdf);                 /* devices: V R W X U A D */
    root32[0x200] = PTE32(0x80000000u, 0xdf);   /* RAM megapage */
    root32[0x201] = PTE32(0x80001000u, 0xdf);   /* misaligned megapage */
    root32[0x100] = PTE32(l0_32, 1);            /* VA 0x40000000: 4 KiB pages */
    l0_32[0] = PTE32(page32[0], 0x17);          /* V R W U, A and D clear */
    l0_32[1] = PTE32(page32[1], 0x53);          /* V R U A: read-only */
    asm volatile("csrw satp, %0\n sfence.vma" :: "r"((1u << 31) | ((u32) root32 >> 12)) : "memory");
    asm volatile("csrs mstatus, %0" :: "r"((1u << 11) | (1u << 18)));   /* MPP=S, SUM */
    last_cause32[0] = ~0u;
    kv("sv32-read", mprv_load(0x40000000)); trap("sv32-read-trap");
    mprv_store(0x40000004, 0x33); trap("sv32-write-trap");
    kv("sv32-pte-ad", l0_32[0] & 0xff);
    kv("sv32-read-ro", mprv_load(0x4000100c)); trap("sv32-read-ro-trap");
    mprv_store(0x40001000, 1); trap("sv32-write-ro");
    kv("sv32-unmapped", mprv_load(0x40002000)); trap("sv32-unmapped-trap");
    kv("sv32-misaligned-mega", mprv_load(0x80400000)); trap("sv32-misaligned-mega-trap");
    asm volatile("csrc mstatus, %0" :: "r"((3u << 11) | (1u << 18)));
    asm volatile("csrw satp, zero\n sfence.vma" ::: "memory");
    kv("sv32-written", page32[0][1]);
}

int main(void) {
    for (unsigned t = 0; t < sizeof tests / sizeof tests[0]; t++) {
        u32 h = 0;
        for (int i = 0; i < 300; i++) h = mix(h, tests[t].f(i % 2 ? next() : special[next() % 10], next() >> (i & 31)));
        for (int i = 0; i < 10; i++) for (int j = 0; j < 10; j++) h = mix(h, tests[t].f(special[i], special[j]));
        kv(tests[t].n, h);
    }
    kv("misa-mxl", (u32) __builtin_expect(0, 0) | (({ u32 v; asm volatile("csrr %0, misa" : "=r"(v)); v; }) >> 30));
    last_cause32[0] = ~0u;
    asm volatile("ecall"); trap("ecall");
    asm volatile(".4byte 0x00003003"); trap("ld-illegal-on-rv32");
    asm volatile(".4byte 0x0000101b"); trap("addiw-illegal-on-rv32");
    asm volatile(".4byte 0x02051513"); trap("slli-shamt32-illegal");
    asm volatile("csrr t0, cycleh" ::: "t0"); trap("cycleh-ok");
    asm volatile("csrr t0, mstatush" ::: "t0"); trap("mstatush-ok");
    asm volatile("csrr t0, pmpcfg1" ::: "t0"); trap("pmpcfg1-ok");
    /* S/U accesses need a PMP entry */
    asm volatile("csrw pmpaddr0, %0\n csrw pmpcfg0, %1" :: "r"(~0u), "r"(0x1f));
    sv32();
    puts_("rv32 ok\n");
    return 0;
}
