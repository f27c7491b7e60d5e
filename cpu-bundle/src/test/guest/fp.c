/* F and D: every operation over corner-case operands under all five rounding modes (dynamic frm and
 * static rm fields), hashing results and fflags; compared against QEMU. Also NaN boxing and self-checks. */
#include "common/lib.h"

static const u64 dvals[] = {
    0x0000000000000000UL, 0x8000000000000000UL, 0x3ff0000000000000UL, 0xbff0000000000000UL,
    0x3ff8000000000000UL, 0xc004000000000000UL, 0x3fb999999999999aUL, 0x3fd5555555555555UL,
    0x4008000000000000UL, 0x401c000000000000UL, 0x4340000000000000UL, 0x4340000000000001UL,
    0x7fe1ccf385ebc8a0UL, 0xffe1ccf385ebc8a0UL, 0x7fefffffffffffffUL, 0x0010000000000000UL,
    0x0000000000000001UL, 0x000fffffffffffffUL, 0x0008000000000000UL, 0x7ff0000000000000UL,
    0xfff0000000000000UL, 0x7ff8000000000000UL, 0x7ff0000000000001UL, 0xfff8000000000000UL,
    0x43e0000000000000UL, 0xc3e0000000000000UL, 0x43f0000000000000UL, 0x41efffffffff0000UL,
    0xbfe0000000000000UL, 0x3fe0000000000000UL, 0x4004000000000000UL, 0xbff8000000000000UL,
    0x3ff0000000000001UL, 0x3fefffffffffffffUL, 0x41e0000000000000UL, 0xc1e0000000100000UL,
    0x0001000000000000UL, 0x3690000000000000UL, 0x47efffffe0000000UL, 0x380fffffe0000000UL,
    0x41dfffffffc00000UL, 0xc1e0000000000000UL, 0x43dfffffffffffffUL, 0x3ca0000000000000UL,
};
static const u32 svals[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0xc0200000, 0x3dcccccd, 0x3eaaaaab,
    0x40400000, 0x40e00000, 0x4b800000, 0x4b800001, 0x7f7fffff, 0xff7fffff, 0x00800000, 0x00000001,
    0x007fffff, 0x00400000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffc00000, 0x5f000000,
    0xdf000000, 0x5f800000, 0x4f7fffff, 0xbf000000, 0x3f000000, 0x40200000, 0xbfc00000, 0x3f800001,
    0x3f7fffff, 0x4f000000, 0xcf000001, 0x0c800000, 0x33800000, 0x7f000000, 0x1f800000,
};
static const u64 ivals[] = {0, 1, ~0UL, 2, 0x7fffffffUL, 0x80000000UL, 0xffffffffUL, 0x7fffffffffffffffUL,
    0x8000000000000000UL, 0x20000001UL, 0x1000001UL, 0xfffffffffefffffdUL, 0x0020000000000001UL,
    0xfffffffffffff801UL, 123456789UL, 0xffffffff80000001UL, 0x8000000000000401UL, 0xffffffffffffffffUL};
#define ND (sizeof dvals / sizeof dvals[0])
#define NSV (sizeof svals / sizeof svals[0])
#define NI (sizeof ivals / sizeof ivals[0])

static u64 h;
static void mix(u64 v) { h ^= v; h *= 0x100000001b3UL; h ^= h >> 29; }
static u64 flags(void) { u64 f; asm volatile("csrrw %0, fflags, zero" : "=r"(f)); return f; }
static u64 box(u32 v) { return 0xffffffff00000000UL | v; }

#define DEF_FF2(name, insn) static u64 name(u64 a, u64 b) { u64 r; asm volatile( \
    "fmv.d.x ft0, %1\n fmv.d.x ft1, %2\n " insn " ft2, ft0, ft1\n fmv.x.d %0, ft2" : "=r"(r) : "r"(a), "r"(b) : "ft0", "ft1", "ft2"); return r; }
#define DEF_FF1(name, insn) static u64 name(u64 a) { u64 r; asm volatile( \
    "fmv.d.x ft0, %1\n " insn " ft2, ft0\n fmv.x.d %0, ft2" : "=r"(r) : "r"(a) : "ft0", "ft2"); return r; }
#define DEF_FF3(name, insn) static u64 name(u64 a, u64 b, u64 c) { u64 r; asm volatile( \
    "fmv.d.x ft0, %1\n fmv.d.x ft1, %2\n fmv.d.x ft3, %3\n " insn " ft2, ft0, ft1, ft3\n fmv.x.d %0, ft2" : "=r"(r) : "r"(a), "r"(b), "r"(c) : "ft0", "ft1", "ft2", "ft3"); return r; }
#define DEF_FI2(name, insn) static u64 name(u64 a, u64 b) { u64 r; asm volatile( \
    "fmv.d.x ft0, %1\n fmv.d.x ft1, %2\n " insn " %0, ft0, ft1" : "=r"(r) : "r"(a), "r"(b) : "ft0", "ft1"); return r; }
#define DEF_FI1(name, insn) static u64 name(u64 a) { u64 r; asm volatile( \
    "fmv.d.x ft0, %1\n " insn " %0, ft0" : "=r"(r) : "r"(a) : "ft0"); return r; }
#define DEF_IF1(name, insn) static u64 name(u64 a) { u64 r; asm volatile( \
    insn " ft2, %1\n fmv.x.d %0, ft2" : "=r"(r) : "r"(a) : "ft2"); return r; }

DEF_FF2(fadd_d, "fadd.d") DEF_FF2(fsub_d, "fsub.d") DEF_FF2(fmul_d, "fmul.d") DEF_FF2(fdiv_d, "fdiv.d")
DEF_FF2(fmin_d, "fmin.d") DEF_FF2(fmax_d, "fmax.d") DEF_FF2(fsgnj_d, "fsgnj.d") DEF_FF2(fsgnjn_d, "fsgnjn.d")
DEF_FF2(fsgnjx_d, "fsgnjx.d")
DEF_FF2(fadd_s, "fadd.s") DEF_FF2(fsub_s, "fsub.s") DEF_FF2(fmul_s, "fmul.s") DEF_FF2(fdiv_s, "fdiv.s")
DEF_FF2(fmin_s, "fmin.s") DEF_FF2(fmax_s, "fmax.s") DEF_FF2(fsgnj_s, "fsgnj.s") DEF_FF2(fsgnjn_s, "fsgnjn.s")
DEF_FF2(fsgnjx_s, "fsgnjx.s")
DEF_FF1(fsqrt_d, "fsqrt.d") DEF_FF1(fsqrt_s, "fsqrt.s") DEF_FF1(fcvt_s_d, "fcvt.s.d") DEF_FF1(fcvt_d_s, "fcvt.d.s")
DEF_FF3(fmadd_d, "fmadd.d") DEF_FF3(fmsub_d, "fmsub.d") DEF_FF3(fnmsub_d, "fnmsub.d") DEF_FF3(fnmadd_d, "fnmadd.d")
DEF_FF3(fmadd_s, "fmadd.s") DEF_FF3(fmsub_s, "fmsub.s") DEF_FF3(fnmsub_s, "fnmsub.s") DEF_FF3(fnmadd_s, "fnmadd.s")
DEF_FI2(feq_d, "feq.d") DEF_FI2(flt_d, "flt.d") DEF_FI2(fle_d, "fle.d")
DEF_FI2(feq_s, "feq.s") DEF_FI2(flt_s, "flt.s") DEF_FI2(fle_s, "fle.s")
DEF_FI1(fclass_d, "fclass.d") DEF_FI1(fclass_s, "fclass.s") DEF_FI1(fmv_x_w, "fmv.x.w")
DEF_FI1(fcvt_w_d, "fcvt.w.d") DEF_FI1(fcvt_wu_d, "fcvt.wu.d") DEF_FI1(fcvt_l_d, "fcvt.l.d") DEF_FI1(fcvt_lu_d, "fcvt.lu.d")
DEF_FI1(fcvt_w_s, "fcvt.w.s") DEF_FI1(fcvt_wu_s, "fcvt.wu.s") DEF_FI1(fcvt_l_s, "fcvt.l.s") DEF_FI1(fcvt_lu_s, "fcvt.lu.s")
DEF_IF1(fcvt_d_w, "fcvt.d.w") DEF_IF1(fcvt_d_wu, "fcvt.d.wu") DEF_IF1(fcvt_d_l, "fcvt.d.l") DEF_IF1(fcvt_d_lu, "fcvt.d.lu")
DEF_IF1(fcvt_s_w, "fcvt.s.w") DEF_IF1(fcvt_s_wu, "fcvt.s.wu") DEF_IF1(fcvt_s_l, "fcvt.s.l") DEF_IF1(fcvt_s_lu, "fcvt.s.lu")
DEF_IF1(fmv_w_x, "fmv.w.x") DEF_IF1(fmv_d_x, "fmv.d.x")

/* static rounding-mode fields */
static u64 static_rm(u64 a, u64 b, int rm) {
    u64 r;
#define SRM(m) asm volatile("fmv.d.x ft0, %1\n fmv.d.x ft1, %2\n fdiv.d ft2, ft0, ft1, " m "\n fmv.x.d %0, ft2" : "=r"(r) : "r"(a), "r"(b) : "ft0", "ft1", "ft2")
    switch (rm) { case 0: SRM("rne"); break; case 1: SRM("rtz"); break; case 2: SRM("rdn"); break; case 3: SRM("rup"); break; default: SRM("rmm"); }
    return r;
}
static u64 static_rm_s(u64 a, u64 b, int rm) {
    u64 r;
#define SRMS(m) asm volatile("fmv.d.x ft0, %1\n fmv.d.x ft1, %2\n fmul.s ft2, ft0, ft1, " m "\n fmv.x.d %0, ft2" : "=r"(r) : "r"(a), "r"(b) : "ft0", "ft1", "ft2")
    switch (rm) { case 0: SRMS("rne"); break; case 1: SRMS("rtz"); break; case 2: SRMS("rdn"); break; case 3: SRMS("rup"); break; default: SRMS("rmm"); }
    return r;
}
static u64 static_cvt(u64 a, int rm) {
    u64 r;
#define SRMC(m) asm volatile("fmv.d.x ft0, %1\n fcvt.w.d %0, ft0, " m : "=r"(r) : "r"(a) : "ft0")
    switch (rm) { case 0: SRMC("rne"); break; case 1: SRMC("rtz"); break; case 2: SRMC("rdn"); break; case 3: SRMC("rup"); break; default: SRMC("rmm"); }
    return r;
}

static u64 sv(int i) { return box(svals[i % NSV]); }
static u64 dv(int i) { return dvals[i % ND]; }

static void begin(void) { h = 0; flags(); }
static void end(const char *name, int rm) { puts_(name); putch('/'); putch('0' + rm); putch('='); puthex(h); putch('\n'); }

#define BIN(fn, val, n) do { begin(); for (unsigned i = 0; i < n; i++) for (unsigned j = 0; j < n; j++) { mix(fn(val(i), val(j))); mix(flags()); } end(#fn, rm); } while (0)
#define UN(fn, val, n) do { begin(); for (unsigned i = 0; i < n; i++) { mix(fn(val(i))); mix(flags()); } end(#fn, rm); } while (0)
#define TER(fn, val, n) do { begin(); for (unsigned i = 0; i < n; i++) for (unsigned j = 0; j < n; j++) for (unsigned k = 0; k < n; k += 3) { mix(fn(val(i), val(j), val(k + (i & 1)))); mix(flags()); } end(#fn, rm); } while (0)
static u64 iv(int i) { return ivals[i % NI]; }

int main(void) {
    int fails = 0;
    for (int rm = 0; rm < 5; rm++) {
        csr_write(frm, rm);
        BIN(fadd_d, dv, ND); BIN(fsub_d, dv, ND); BIN(fmul_d, dv, ND); BIN(fdiv_d, dv, ND);
        BIN(fadd_s, sv, NSV); BIN(fsub_s, sv, NSV); BIN(fmul_s, sv, NSV); BIN(fdiv_s, sv, NSV);
        UN(fsqrt_d, dv, ND); UN(fsqrt_s, sv, NSV); UN(fcvt_s_d, dv, ND); UN(fcvt_d_s, sv, NSV);
        TER(fmadd_d, dv, ND); TER(fmsub_d, dv, ND); TER(fnmsub_d, dv, ND); TER(fnmadd_d, dv, ND);
        TER(fmadd_s, sv, NSV); TER(fmsub_s, sv, NSV); TER(fnmsub_s, sv, NSV); TER(fnmadd_s, sv, NSV);
        UN(fcvt_w_d, dv, ND); UN(fcvt_wu_d, dv, ND); UN(fcvt_l_d, dv, ND); UN(fcvt_lu_d, dv, ND);
        UN(fcvt_w_s, sv, NSV); UN(fcvt_wu_s, sv, NSV); UN(fcvt_l_s, sv, NSV); UN(fcvt_lu_s, sv, NSV);
        UN(fcvt_d_w, iv, NI); UN(fcvt_d_wu, iv, NI); UN(fcvt_d_l, iv, NI); UN(fcvt_d_lu, iv, NI);
        UN(fcvt_s_w, iv, NI); UN(fcvt_s_wu, iv, NI); UN(fcvt_s_l, iv, NI); UN(fcvt_s_lu, iv, NI);
        begin(); for (unsigned i = 0; i < ND; i++) for (unsigned j = 0; j < ND; j++) { mix(static_rm(dv(i), dv(j), rm)); mix(flags()); } end("static-fdiv.d", rm);
        begin(); for (unsigned i = 0; i < NSV; i++) for (unsigned j = 0; j < NSV; j++) { mix(static_rm_s(sv(i), sv(j), rm)); mix(flags()); } end("static-fmul.s", rm);
        begin(); for (unsigned i = 0; i < ND; i++) { mix(static_cvt(dv(i), rm)); mix(flags()); } end("static-fcvt.w.d", rm);
    }
    int rm = 0;
    csr_write(frm, 0);
    BIN(fmin_d, dv, ND); BIN(fmax_d, dv, ND); BIN(fmin_s, sv, NSV); BIN(fmax_s, sv, NSV);
    BIN(feq_d, dv, ND); BIN(flt_d, dv, ND); BIN(fle_d, dv, ND); BIN(feq_s, sv, NSV); BIN(flt_s, sv, NSV); BIN(fle_s, sv, NSV);
    BIN(fsgnj_d, dv, ND); BIN(fsgnjn_d, dv, ND); BIN(fsgnjx_d, dv, ND); BIN(fsgnj_s, sv, NSV); BIN(fsgnjn_s, sv, NSV); BIN(fsgnjx_s, sv, NSV);
    UN(fclass_d, dv, ND); UN(fclass_s, sv, NSV);
    /* NaN boxing: improperly boxed singles read as the canonical NaN */
    BIN(fadd_s, dv, ND); BIN(fsgnj_s, dv, ND); UN(fclass_s, dv, ND); UN(fmv_x_w, dv, ND); UN(fcvt_d_s, dv, ND);
    UN(fmv_w_x, iv, NI); UN(fmv_d_x, iv, NI);
    /* self-checks of well-known results */
    csr_write(frm, 0);
    fails += check("canon-nan-d", fadd_d(0x7ff0000000000001UL, 0x3ff0000000000000UL), 0x7ff8000000000000UL);
    fails += check("snan-flag", flags(), 0x10);
    fails += check("canon-nan-s", fadd_s(0xffffffff7f800001UL, box(0x3f800000)), 0xffffffff7fc00000UL);
    flags();
    fails += check("unboxed", fadd_s(0x000000003f800000UL, box(0x3f800000)), 0xffffffff7fc00000UL);
    fails += check("unboxed-flags", flags(), 0);
    fails += check("div0", fdiv_d(0x3ff0000000000000UL, 0), 0x7ff0000000000000UL);
    fails += check("div0-flag", flags(), 0x08);
    fails += check("inexact", fdiv_d(0x3ff0000000000000UL, 0x4008000000000000UL), 0x3fd5555555555555UL);
    fails += check("inexact-flag", flags(), 0x01);
    fails += check("cvt-nan", fcvt_w_d(0x7ff8000000000000UL), 0x7fffffffUL);
    fails += check("cvt-nan-flag", flags(), 0x10);
    fails += check("cvt-neg-wu", fcvt_wu_d(0xbff0000000000000UL), 0);
    fails += check("cvt-neg-wu-flag", flags(), 0x10);
    fails += check("fmin-snan", fmin_d(0x7ff0000000000001UL, 0x3ff0000000000000UL), 0x3ff0000000000000UL);
    fails += check("fmin-snan-flag", flags(), 0x10);
    fails += check("fmin-zero", fmin_d(0, 0x8000000000000000UL), 0x8000000000000000UL);
    fails += check("fmax-zero", fmax_d(0x8000000000000000UL, 0), 0);
    fails += check("fma-exact", fmadd_d(0x3ff0000000400000UL, 0x3fefffffff800000UL, 0xbff0000000000000UL), 0xbc30000000000000UL);
    flags();
    fails += check("fma-inf-zero-qnan", fmadd_d(0x7ff0000000000000UL, 0, 0x7ff8000000000000UL), 0x7ff8000000000000UL);
    fails += check("fma-inf-zero-qnan-flag", flags(), 0x10);
    fails += check("fclass-snan", fclass_d(0x7ff0000000000001UL), 0x100);
    fails += check("fclass-unboxed", fclass_s(0x3f800000UL), 0x200);
    puts_(fails ? "fp FAILED\n" : "fp ok\n");
    return fails;
}
