/* Integer, M, A and C instructions: prints signatures of many operations over pseudo-random and corner
 * operands (compared against QEMU), and checks a few known results itself. */
#include "common/lib.h"

static u64 rng = 0x9e3779b97f4a7c15UL;
static u64 next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }
static const u64 special[] = {0, 1, 2, 3, 0x7fffffffffffffffUL, 0x8000000000000000UL, ~0UL, ~1UL, 0x7fffffffUL,
                              0x80000000UL, 0xffffffffUL, 0xffffffff80000000UL, 63, 64, 31, 32, 0x100000000UL};
#define NS (sizeof special / sizeof special[0])

static u64 operand(int i) { return (i % 3 == 0) ? special[next() % NS] : (i % 3 == 1 ? next() : next() >> (next() & 63)); }

static u64 mix(u64 h, u64 v) { h ^= v; h *= 0x100000001b3UL; return h ^ (h >> 29); }

#define OP2(name, insn) static u64 name(u64 a, u64 b) { u64 r; asm volatile(insn " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); return r; }
OP2(op_add, "add") OP2(op_sub, "sub") OP2(op_sll, "sll") OP2(op_slt, "slt") OP2(op_sltu, "sltu") OP2(op_xor, "xor")
OP2(op_srl, "srl") OP2(op_sra, "sra") OP2(op_or, "or") OP2(op_and, "and")
OP2(op_addw, "addw") OP2(op_subw, "subw") OP2(op_sllw, "sllw") OP2(op_srlw, "srlw") OP2(op_sraw, "sraw")
OP2(op_mul, "mul") OP2(op_mulh, "mulh") OP2(op_mulhsu, "mulhsu") OP2(op_mulhu, "mulhu") OP2(op_div, "div")
OP2(op_divu, "divu") OP2(op_rem, "rem") OP2(op_remu, "remu") OP2(op_mulw, "mulw") OP2(op_divw, "divw")
OP2(op_divuw, "divuw") OP2(op_remw, "remw") OP2(op_remuw, "remuw")
#define OPI(name, insn, imm) static u64 name(u64 a, u64 b) { (void) b; u64 r; asm volatile(insn " %0, %1, " #imm : "=r"(r) : "r"(a)); return r; }
OPI(op_addi, "addi", -2048) OPI(op_slti, "slti", -1) OPI(op_sltiu, "sltiu", -1) OPI(op_xori, "xori", 0x555)
OPI(op_ori, "ori", -16) OPI(op_andi, "andi", 0x7f0) OPI(op_slli, "slli", 37) OPI(op_srli, "srli", 63)
OPI(op_srai, "srai", 13) OPI(op_addiw, "addiw", 2047) OPI(op_slliw, "slliw", 31) OPI(op_srliw, "srliw", 7)
OPI(op_sraiw, "sraiw", 31)
static u64 op_branches(u64 a, u64 b) {
    u64 r = 0;
    if ((i64) a < (i64) b) r |= 1;
    if (a < b) r |= 2;
    if (a == b) r |= 4;
    if ((i64) a >= (i64) b) r |= 8;
    if (a >= b) r |= 16;
    if (a != b) r |= 32;
    return r;
}
static u64 op_mem(u64 a, u64 b) {
    static volatile union { u64 d[4]; uint8_t c[32]; } m;
    m.d[0] = a; m.d[1] = b;
    u64 r = 0;
    for (int i = 0; i < 8; i++) r = mix(r, (i64)(int8_t) m.c[i + (b & 7)]) ^ m.c[i];
    r = mix(r, *(volatile int16_t *) &m.c[2]);
    r = mix(r, *(volatile uint16_t *) &m.c[6]);
    r = mix(r, *(volatile int32_t *) &m.c[4]);
    r = mix(r, *(volatile uint32_t *) &m.c[8]);
    *(volatile uint16_t *) &m.c[16] = (uint16_t) a;
    *(volatile uint8_t *) &m.c[19] = (uint8_t) b;
    *(volatile uint32_t *) &m.c[20] = (u32) b;
    return mix(r, m.d[2]);
}
static u64 op_amo(u64 a, u64 b) {
    static volatile u64 mem[2];
    u64 r, h = 0;
    mem[0] = a;
#define AMO(insn) asm volatile(insn " %0, %2, (%1)" : "=r"(r) : "r"(&mem[0]), "r"(b) : "memory"); h = mix(mix(h, r), mem[0]);
    AMO("amoadd.d") AMO("amoxor.d") AMO("amoand.d") AMO("amoor.d") AMO("amomin.d") AMO("amomax.d")
    AMO("amominu.d") AMO("amomaxu.d") AMO("amoswap.d")
    AMO("amoadd.w") AMO("amoxor.w") AMO("amoand.w") AMO("amoor.w") AMO("amomin.w") AMO("amomax.w")
    AMO("amominu.w") AMO("amomaxu.w") AMO("amoswap.w")
    /* LR/SC: a successful pair, then an SC without reservation */
    u64 ok, old;
    asm volatile("1: lr.d %0, (%2)\n sc.d %1, %3, (%2)\n" : "=&r"(old), "=&r"(ok) : "r"(&mem[1]), "r"(a) : "memory");
    h = mix(mix(h, ok), mem[1]);
    asm volatile("sc.d %0, %2, (%1)" : "=&r"(ok) : "r"(&mem[1]), "r"(b) : "memory");
    h = mix(mix(h, ok), mem[1]);
    asm volatile("lr.w %0, (%2)\n sc.w %1, %3, (%2)\n" : "=&r"(old), "=&r"(ok) : "r"(&mem[1]), "r"(b) : "memory");
    h = mix(mix(mix(h, ok), mem[1]), old);
    return h;
}

struct test { const char *name; u64 (*fn)(u64, u64); };
static const struct test tests[] = {
    {"add", op_add}, {"sub", op_sub}, {"sll", op_sll}, {"slt", op_slt}, {"sltu", op_sltu}, {"xor", op_xor},
    {"srl", op_srl}, {"sra", op_sra}, {"or", op_or}, {"and", op_and}, {"addw", op_addw}, {"subw", op_subw},
    {"sllw", op_sllw}, {"srlw", op_srlw}, {"sraw", op_sraw}, {"mul", op_mul}, {"mulh", op_mulh},
    {"mulhsu", op_mulhsu}, {"mulhu", op_mulhu}, {"div", op_div}, {"divu", op_divu}, {"rem", op_rem},
    {"remu", op_remu}, {"mulw", op_mulw}, {"divw", op_divw}, {"divuw", op_divuw}, {"remw", op_remw},
    {"remuw", op_remuw}, {"addi", op_addi}, {"slti", op_slti}, {"sltiu", op_sltiu}, {"xori", op_xori},
    {"ori", op_ori}, {"andi", op_andi}, {"slli", op_slli}, {"srli", op_srli}, {"srai", op_srai},
    {"addiw", op_addiw}, {"slliw", op_slliw}, {"srliw", op_srliw}, {"sraiw", op_sraiw},
    {"branch", op_branches}, {"mem", op_mem}, {"amo", op_amo},
};

/* compressed-heavy code: the compiler emits C instructions for these */
static u64 compressed_mix(u64 n) {
    u64 a = 1, b = 2, c = 3;
    for (u64 i = 0; i < n; i++) {
        a += b; b ^= a << 3; c -= a >> 2; a = (a & 0xfff) | (c << 5); b += 7; c = c * 3 + (i & 15);
        if (c & 1) a -= 9; else b |= 0x20;
    }
    return a ^ b ^ c;
}

/* self-modifying code: generated functions in a data buffer and on the page of running code */
static uint32_t codebuf[64] __attribute__((aligned(4096)));
typedef long (*fn_t)(long);
static int test_smc(void) {
    int fails = 0;
    codebuf[0] = 0x00150513;            /* addi a0, a0, 1 */
    codebuf[1] = 0x00008067;            /* ret */
    asm volatile("fence.i" ::: "memory");
    fails += check("smc1", ((fn_t) codebuf)(10), 11);
    codebuf[0] = 0x00250513;            /* addi a0, a0, 2 */
    asm volatile("fence.i" ::: "memory");
    fails += check("smc2", ((fn_t) codebuf)(10), 12);
    for (int i = 0; i < 8; i++) {
        codebuf[0] = 0x00050513 | ((uint32_t) i << 20);   /* addi a0, a0, i */
        asm volatile("fence.i" ::: "memory");
        fails += check("smc-loop", ((fn_t) codebuf)(100), 100 + i);
    }
    /* a compressed instruction patched inside a 32-bit slot: c.li a0, 7; c.jr ra */
    codebuf[0] = 0x8082451d;
    asm volatile("fence.i" ::: "memory");
    fails += check("smc-rvc", ((fn_t) codebuf)(0), 7);
    return fails;
}

int main(void) {
    int fails = 0;
    fails += test_smc();
    for (unsigned t = 0; t < sizeof tests / sizeof tests[0]; t++) {
        u64 h = 0;
        for (int i = 0; i < 400; i++) { u64 a = operand(i), b = operand(i + 1); h = mix(h, tests[t].fn(a, b)); }
        for (unsigned i = 0; i < NS; i++) for (unsigned j = 0; j < NS; j++) h = mix(h, tests[t].fn(special[i], special[j]));
        kv(tests[t].name, h);
    }
    kv("compressed", compressed_mix(1000));
    fails += check("div0", op_div(5, 0), ~0UL);
    fails += check("divovf", op_div(0x8000000000000000UL, ~0UL), 0x8000000000000000UL);
    fails += check("rem0", op_rem(5, 0), 5);
    fails += check("removf", op_rem(0x8000000000000000UL, ~0UL), 0);
    fails += check("divuw0", op_divuw(5, 0), ~0UL);
    fails += check("mulhu", op_mulhu(~0UL, ~0UL), ~1UL);
    fails += check("mulhsu", op_mulhsu(~0UL, ~0UL), ~0UL);
    fails += check("sraw", op_sraw(0x80000000UL, 4), 0xfffffffff8000000UL);
    fails += check("addiw", op_addiw(0x7fffffffUL, 0), 0xffffffff800007feUL);
    puts_(fails ? "isa FAILED\n" : "isa ok\n");
    return fails;
}
