package org.orrery.cpu.riscv.internal;

/**
 * The common cases of double-precision arithmetic in round-to-nearest-even, small enough for HotSpot to
 * inline into translated code: finite operands and a normal, finite result, computed on the host FPU with the
 * inexact flag from an error-free transformation. Anything else returns {@link #SLOW}, and the translated
 * code leaves the instruction to the interpreter, which runs {@link Fpu}'s exact paths.
 *
 * <p>The flags are sticky: once inexact is set (and programs rarely clear it), whether a result is inexact
 * changes nothing, so each operation then only checks that its result is normal and finite (then no other
 * flag can arise, and no operand was a NaN or an infinity, which never give one) and skips the error-free
 * transformation, as QEMU's host-FPU paths do.
 */
final class FpFast {
    private FpFast() { }

    /** A signalling NaN payload no fast path produces (their results are finite): "take the exact path". */
    static final long SLOW = 0x7ff4_5105_0000_0000L;
    private static final long EXP = 0x7ff0_0000_0000_0000L;

    private static boolean special(long bits) { return (bits & EXP) == EXP; } // NaN or infinity

    /** A result that raises no flag but inexact: normal and finite (tininess is detected after rounding). */
    private static boolean normal(double r) { double a = Math.abs(r); return a >= Double.MIN_NORMAL && a <= Double.MAX_VALUE; }

    /** The result as is when it is normal, else the exact path (the flags already hold inexact). */
    private static long quiet(double r) { return normal(r) ? Double.doubleToRawLongBits(r) : SLOW; }

    static long addD(Fpu u, long a, long b) {
        double x = Double.longBitsToDouble(a), y = Double.longBitsToDouble(b), s = x + y;
        if ((u.flags & Fpu.NX) != 0) return quiet(s);
        if (special(a) || special(b)) return SLOW;
        if (Math.abs(s) < Double.MIN_NORMAL || Math.abs(s) > Double.MAX_VALUE) return SLOW; // zero, subnormal, overflow
        double bb = s - x, err = (x - (s - bb)) + (y - bb);
        if (err != 0) u.flags |= Fpu.NX;
        return Double.doubleToRawLongBits(s);
    }

    static long subD(Fpu u, long a, long b) { return addD(u, a, b ^ Long.MIN_VALUE); }

    static long mulD(Fpu u, long a, long b) {
        double x = Double.longBitsToDouble(a), y = Double.longBitsToDouble(b), p = x * y, ap = Math.abs(p);
        if ((u.flags & Fpu.NX) != 0) return quiet(p);
        if (special(a) || special(b)) return SLOW;
        if (ap < 0x1p-968 || ap > Double.MAX_VALUE) return SLOW; // zero operands, underflow, overflow
        if (Math.fma(x, y, -p) != 0) u.flags |= Fpu.NX;
        return Double.doubleToRawLongBits(p);
    }

    static long divD(Fpu u, long a, long b) {
        double x = Double.longBitsToDouble(a), y = Double.longBitsToDouble(b), q = x / y, aq = Math.abs(q), ax = Math.abs(x);
        if ((u.flags & Fpu.NX) != 0) return quiet(q); // zero or infinite operands leave the normal range: exact path
        if (special(a) || special(b)) return SLOW;
        if (aq < 0x1p-900 || aq > 0x1p900 || ax < 0x1p-900 || ax > 0x1p1000) return SLOW; // zeros, huge or tiny
        if (Math.fma(-q, y, x) != 0) u.flags |= Fpu.NX;
        return Double.doubleToRawLongBits(q);
    }

    static long sqrtD(Fpu u, long a) {
        double x = Double.longBitsToDouble(a);
        if (special(a) || !(x >= Double.MIN_NORMAL)) return SLOW; // negative, zero, subnormal
        double s = Math.sqrt(x);
        if ((u.flags & Fpu.NX) != 0) return Double.doubleToRawLongBits(s); // the root of a normal number is normal
        if (Math.fma(-s, s, x) != 0) u.flags |= Fpu.NX;
        return Double.doubleToRawLongBits(s);
    }

    /** (a*b)+c with one rounding, when every quantity is comfortably inside the normal range and the inexact flag is certain. */
    static long fmaD(Fpu u, long a, long b, long c) {
        double r = Math.fma(Double.longBitsToDouble(a), Double.longBitsToDouble(b), Double.longBitsToDouble(c));
        if ((u.flags & Fpu.NX) != 0) return quiet(r);
        return fmaDFlags(u, a, b, c, r);
    }

    /**
     * The rest of {@link #fmaD} while the inexact flag is clear: whether r is exact. Apart, so that what runs
     * once the flag is set is small enough for C2 to inline into translated loops (the whole method was not,
     * and a call in a loop makes C2 spill the guest registers around it).
     */
    private static long fmaDFlags(Fpu u, long a, long b, long c, double r) {
        double x = Double.longBitsToDouble(a), y = Double.longBitsToDouble(b), z = Double.longBitsToDouble(c);
        if (special(a) || special(b) || special(c)) return SLOW;
        double p = x * y, ap = Math.abs(p), ar = Math.abs(r), az = Math.abs(z);
        if (ap < 0x1p-900 || ap > 0x1p900 || ar < 0x1p-900 || ar > 0x1p900 || (z != 0 && (az < 0x1p-900 || az > 0x1p900))) return SLOW;
        // exact value = p + e + z; the error of r is (s - r) + t + e, each step an error-free transformation
        double e = Math.fma(x, y, -p);
        double s = p + z, bb = s - p, t = (p - (s - bb)) + (z - bb);
        double as = Math.abs(s);
        if (s != 0 && ((s > 0) != (r > 0) || as < ar * 0.5 || as > ar * 2)) return SLOW;
        double v = s - r;
        double s1 = v + t, b1 = s1 - v, e1 = (v - (s1 - b1)) + (t - b1);
        double s2 = s1 + e;
        boolean inexact;
        if (s2 == 0) inexact = e1 != 0;
        else if (Math.abs(s2) > 4 * Math.abs(e1)) inexact = true;
        else return SLOW;
        if (inexact) u.flags |= Fpu.NX;
        return Double.doubleToRawLongBits(r);
    }

    /** feq/flt/fle (kind 0, 1, 2) on non-NaN doubles: 1 or 0; -1 for NaNs (the exact path sets the flags). */
    static long compareD(long a, long b, int kind) {
        double x = Double.longBitsToDouble(a), y = Double.longBitsToDouble(b);
        if (x != x || y != y) return -1;
        return switch (kind) { case 0 -> x == y ? 1 : 0; case 1 -> x < y ? 1 : 0; default -> x <= y ? 1 : 0; };
    }

    /**
     * Whether fcvt to a signed integer of the given width can take the fast path: a value well inside the range
     * whatever the rounding (NaNs and infinities fail every comparison or the bounds).
     */
    static boolean toIntFits(long a, int width) {
        double x = Double.longBitsToDouble(a);
        return width == 32 ? x >= -0x1p31 + 1 && x <= 0x1p31 - 2 : x > -0x1p63 && x < 0x1p63 - 1024;
    }

    /** fcvt.w.d / fcvt.l.d towards zero (rtz) or to nearest even (rne) for a value {@link #toIntFits} accepts. */
    static long toInt(Fpu u, long a, boolean nearest, int width) {
        double x = Double.longBitsToDouble(a), r = nearest ? Math.rint(x) : x;
        long v = (long) r;
        if ((double) v != x) u.flags |= Fpu.NX;
        return width == 32 ? (int) v : v;
    }

    /** fcvt.d.l (or .w, already sign-extended): exact below 2^53, else rounded to nearest even by the host. */
    static long fromLong(Fpu u, long v) {
        double d = (double) v;
        if (d == 0x1p63 || (long) d != v) u.flags |= Fpu.NX;
        return Double.doubleToRawLongBits(d);
    }
}
