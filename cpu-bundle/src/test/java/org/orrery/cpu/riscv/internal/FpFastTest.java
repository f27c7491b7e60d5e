package org.orrery.cpu.riscv.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.Test;

/**
 * The inlined double-precision fast paths of translated code against the reference {@link Fpu}: whenever a
 * fast path gives a result instead of sending the instruction to the exact path, result and accrued flags
 * must be the reference's, with the flags clear before the operation and with inexact already set (where
 * the fast paths skip computing inexact). Operands mix random values with the edges of the normal range,
 * zeros, subnormals, infinities, NaNs and values whose results cancel, overflow or underflow.
 */
class FpFastTest {
    private static final double[] EDGES = {0.0, -0.0, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL, -Double.MIN_NORMAL,
        Double.MIN_NORMAL * 1.5, 0x1p-1000, 0x1p-600, 0x1p-511, 1.0, -1.0, 3.0, 1.0 / 3, 0.1, -2.5, 0x1p511, 0x1p600, 0x1p1000,
        Double.MAX_VALUE, -Double.MAX_VALUE, 0x1.fffffffffffffp1022, 1e300, -1e300, 1e-300, 4503599627370497.0,
        Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, Double.longBitsToDouble(0x7ff0000000000001L)}; // NaN, sNaN

    @Test
    void fastPathsGiveTheReferenceResultAndFlagsWithInexactClearOrAlreadySet() {
        Random rnd = new Random(20261206);
        for (int flagsBefore : new int[] {0, Fpu.NX}) {
            int fastResults = 0, operations = 0;
            for (int n = 0; n < 100_000; n++) {
                long a = operand(rnd), b = operand(rnd), c = operand(rnd);
                fastResults += agree("fadd.d", flagsBefore, a, b, c, u -> FpFast.addD(u, a, b), u -> u.addD(a, b, Fpu.RNE));
                fastResults += agree("fsub.d", flagsBefore, a, b, c, u -> FpFast.subD(u, a, b), u -> u.subD(a, b, Fpu.RNE));
                fastResults += agree("fmul.d", flagsBefore, a, b, c, u -> FpFast.mulD(u, a, b), u -> u.mulD(a, b, Fpu.RNE));
                fastResults += agree("fdiv.d", flagsBefore, a, b, c, u -> FpFast.divD(u, a, b), u -> u.divD(a, b, Fpu.RNE));
                fastResults += agree("fsqrt.d", flagsBefore, a, b, c, u -> FpFast.sqrtD(u, a), u -> u.sqrtD(a, Fpu.RNE));
                fastResults += agree("fmadd.d", flagsBefore, a, b, c, u -> FpFast.fmaD(u, a, b, c), u -> u.fmaD(a, b, c, false, false, Fpu.RNE));
                operations += 6;
            }
            // the fast paths must actually be taken for the comparison to mean anything
            assertTrue(fastResults > operations / 2, "fast results: " + fastResults + " of " + operations + " (flags before " + flagsBefore + ")");
        }
    }

    /** 1 when the fast path gave a result (and it agreed), 0 when it sent the operation to the exact path. */
    private static int agree(String op, int flagsBefore, long a, long b, long c, ToLongFunction<Fpu> fast, ToLongFunction<Fpu> reference) {
        Fpu f = new Fpu();
        f.flags = flagsBefore;
        long fastResult = fast.applyAsLong(f);
        if (fastResult == FpFast.SLOW) return 0;
        Fpu r = new Fpu();
        r.flags = flagsBefore;
        long expected = reference.applyAsLong(r);
        String what = op + " " + hex(a) + " " + hex(b) + " " + hex(c) + " with flags " + flagsBefore;
        assertEquals(hex(expected), hex(fastResult), what);
        assertEquals(r.flags, f.flags, what);
        return 1;
    }

    private static long operand(Random rnd) {
        double d = switch (rnd.nextInt(5)) {
            case 0 -> EDGES[rnd.nextInt(EDGES.length)];
            case 1 -> EDGES[rnd.nextInt(EDGES.length)] * (1 + rnd.nextGaussian() * 1e-3);
            case 2 -> Math.scalb(rnd.nextDouble() + 0.5, rnd.nextInt(2100) - 1050); // anywhere in the range, edges included
            default -> rnd.nextGaussian() * 1e3;
        };
        return Double.doubleToRawLongBits(rnd.nextInt(8) == 0 ? -d : d);
    }

    private static String hex(long bits) {
        return Long.toHexString(bits);
    }
}
