package org.softmax4j;

import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.softmax4j.FuzzSupport.Placement;
import org.softmax4j.FuzzSupport.Verdict;

/**
 * {@link Kernels#sgemm} of the native kernels against the reference (FUZZING.md):
 * m, n, k up to 64, both transposes, leading dimensions above the minimum (and
 * below it, rejected alike), alpha and beta including 0, NaN in C when beta is 0,
 * NaN and infinities in A and B, buffers too short. Every element of C is either
 * in the product, within {@link GemmTest}'s bound ((2k + 4) u |alpha| (|A||B|)_ij
 * + 2 u |beta C_ij|, plus the reference's own rounding), or padding left alone.
 */
class SgemmFuzzTest {
    @AfterAll
    static void restore() {
        Impl.restoreBestIsa();
    }

    @FuzzTest(maxDuration = "30s")
    void sgemmMatchesTheReference(FuzzedDataProvider d) {
        Kernels k = FuzzSupport.pickNative(d);
        Placement where = d.pickValue(Placement.values());
        boolean ta = d.consumeBoolean(), tb = d.consumeBoolean();
        int m = d.consumeInt(0, 64), n = d.consumeInt(0, 64), kk = d.consumeInt(0, 64);
        // leading dimensions: the minimum plus 0..3, or (rarely) one less than allowed
        int lda = ld(d, ta ? m : kk), ldb = ld(d, tb ? kk : n), ldc = ld(d, n);
        float alpha = d.pickValue(new float[] {1f, 1f, -0.75f, 0.5f, 2f, 0f, -1e3f});
        float beta = d.pickValue(new float[] {0f, 0f, 1f, 0.5f, -1f});
        boolean nanC = beta == 0 && d.consumeBoolean();
        double spread = d.pickValue(new double[] {1, 1, 1e-3, 1e3});
        int slack = d.consumeInt(-1, 2); // extra elements after each buffer; -1: one short
        SplittableRandom rnd = new SplittableRandom(d.consumeLong());
        int aRows = ta ? kk : m, bRows = tb ? n : kk;
        float[] a = FuzzSupport.uniform(rnd, size(aRows, lda, slack), spread);
        float[] b = FuzzSupport.uniform(rnd, size(bRows, ldb, slack), spread);
        float[] c = FuzzSupport.uniform(rnd, size(m, ldc, slack), 1);
        if (nanC) Arrays.fill(c, Float.NaN);
        int specials = d.consumeInt(0, 7) == 0 ? d.consumeInt(1, 2) : 0;
        for (int s = 0; s < specials; s++) {
            float[] target = d.consumeBoolean() ? a : b;
            if (target.length > 0) {
                target[d.consumeInt(0, target.length - 1)] =
                        d.pickValue(new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY});
            }
        }
        float[] c0 = c.clone(), want = c.clone();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment na = FuzzSupport.place(arena, where, MemorySegment.ofArray(a));
            MemorySegment nb = FuzzSupport.place(arena, where, MemorySegment.ofArray(b));
            MemorySegment nc = FuzzSupport.place(arena, where, MemorySegment.ofArray(c));
            Verdict v = FuzzSupport.run(
                    () -> FuzzSupport.REF.sgemm(ta, tb, m, n, kk, alpha, a, lda, b, ldb, beta, want, ldc),
                    () -> k.sgemm(ta, tb, m, n, kk, alpha, na, lda, nb, ldb, beta, nc, ldc));
            Supplier<String> ctx = () -> "ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + " k=" + kk + " lda=" + lda
                    + " ldb=" + ldb + " ldc=" + ldc + " alpha=" + alpha + " beta=" + beta + " nanC=" + nanC + " spread="
                    + spread + " slack=" + slack + " specials=" + specials + " " + where + " ["
                    + FuzzSupport.describe(k) + "]";
            FuzzSupport.sameVerdict(v, ctx);
            float[] got = nc.toArray(ValueLayout.JAVA_FLOAT);
            if (v.rejected()) {
                if (!Arrays.equals(got, c0) || !Arrays.equals(want, c0))
                    fail("C written by a rejected call (" + ctx.get() + ")");
                return;
            }
            for (int idx = 0; idx < c.length; idx++) {
                int i = idx / ldc, j = idx % ldc;
                if (i >= m || j >= n) { // padding and slack are never touched
                    if (Float.floatToRawIntBits(got[idx]) != Float.floatToRawIntBits(c0[idx])
                            || Float.floatToRawIntBits(want[idx]) != Float.floatToRawIntBits(c0[idx])) {
                        fail("C[" + idx + "] (row " + i + ", column " + j + ") outside the product written ("
                                + ctx.get() + ")");
                    }
                    continue;
                }
                double mag = 0;
                for (int p = 0; alpha != 0 && p < kk; p++) { // alpha 0: A and B are not read
                    double x = ta ? a[p * lda + i] : a[i * lda + p];
                    double y = tb ? b[j * ldb + p] : b[p * ldb + j];
                    mag += Math.abs(x * y);
                }
                double old = beta == 0 ? 0 : beta * (double) c0[idx];
                double w = want[idx];
                double bound = (2.0 * kk + 4) * GemmTest.U * Math.abs(alpha) * mag
                        + 2 * GemmTest.U * Math.abs(old)
                        + GemmTest.U * Math.abs(w)
                        + 1e-30;
                boolean ok = Double.isNaN(w) || Double.isInfinite(w)
                        ? Float.compare(got[idx], want[idx]) == 0
                        : Math.abs(got[idx] - w) <= bound;
                if (!ok) {
                    fail("C[" + i + "," + j + "] = " + got[idx] + ", want " + w + " (bound " + bound + ") (" + ctx.get()
                            + ")");
                }
            }
        }
    }

    private static int ld(FuzzedDataProvider d, int columns) {
        int min = Math.max(1, columns);
        return d.consumeInt(0, 15) == 0 ? min - 1 : min + d.consumeInt(0, 3);
    }

    /** Elements of a rows x ld buffer whose last row holds only what it needs, plus slack. */
    private static int size(int rows, int ld, int slack) {
        return Math.max(0, rows * ld + slack);
    }
}
