package org.softmax4j;

import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.softmax4j.FuzzSupport.Placement;
import org.softmax4j.FuzzSupport.Verdict;

/**
 * {@link Kernels#csrMatmul} of the native kernels against the reference (FUZZING.md): m, n,
 * k &le; 48, rows of any density, alpha/beta/bias, a scatter into rows of a larger C, special
 * values, every placement; and broken CSR (a column out of range, negative, repeated or out of
 * order, a decreasing row_ptr, scatter rows not increasing or out of range, a buffer short),
 * which both must reject with the same message, writing nothing. Accepted calls: within
 * {@code SparseTest}'s bound, NaN and infinities where the reference has them; elements whose
 * float partial sums can overflow (terms near {@code Float.MAX_VALUE}) are not compared. And
 * {@link Kernels#csrSgdStep}, the fused step, the same way.
 */
class SparseFuzzTest {
    private static final double U = 0x1p-24;

    enum Damage {
        NONE,
        COLUMN_OUT_OF_RANGE,
        COLUMN_NEGATIVE,
        COLUMN_REPEATED,
        ROW_PTR_DECREASING,
        SCATTER_NOT_INCREASING,
        SCATTER_OUT_OF_RANGE,
        VALUES_SHORT
    }

    @AfterAll
    static void restore() {
        Impl.restoreBestIsa();
    }

    @FuzzTest(maxDuration = "30s")
    void csrMatmulMatchesTheReference(FuzzedDataProvider d) {
        Kernels kern = FuzzSupport.pickNative(d);
        Placement where = d.pickValue(Placement.values());
        int m = d.consumeInt(0, 48), n = d.consumeInt(0, 48), k = d.consumeInt(1, 48);
        boolean scatter = d.consumeBoolean(), withBias = d.consumeBoolean();
        Damage damage = d.consumeInt(0, 3) == 0 ? d.pickValue(Damage.values()) : Damage.NONE;
        float alpha = d.pickValue(new float[] {1f, -0.5f, 0f, 3f});
        float beta = d.pickValue(new float[] {0f, 1f, 0.5f, -2f});
        double density = d.pickValue(new double[] {0, 0.05, 0.3, 1});
        SplittableRandom rnd = new SplittableRandom(d.consumeLong());
        long[] ptr = new long[m + 1];
        int[] col = new int[m * k + 1];
        int nnz = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) if (rnd.nextDouble() < density) col[nnz++] = j;
            ptr[i + 1] = nnz;
        }
        col = java.util.Arrays.copyOf(col, nnz);
        float[] val = FuzzSupport.values(d, rnd, nnz, 1, 2);
        int cRowCount = scatter ? m + d.consumeInt(0, 4) : 0;
        int[] cRows = null;
        if (scatter) {
            cRows = new int[m];
            for (int i = 0, next = 0; i < m; i++) {
                while (cRowCount - next > m - i && rnd.nextBoolean()) next++;
                cRows[i] = next++;
            }
        }
        int bad = nnz == 0 ? 0 : rnd.nextInt(nnz);
        switch (damage) {
            case COLUMN_OUT_OF_RANGE -> {
                if (nnz > 0) col[bad] = k + rnd.nextInt(3);
            }
            case COLUMN_NEGATIVE -> {
                if (nnz > 0) col[bad] = -1 - rnd.nextInt(3);
            }
            case COLUMN_REPEATED -> {
                if (nnz > 1 && bad > 0) col[bad] = col[bad - 1];
            }
            case ROW_PTR_DECREASING -> {
                if (m > 1) ptr[1 + rnd.nextInt(m - 1)] = nnz + 1;
            }
            case SCATTER_NOT_INCREASING -> {
                if (cRows != null && m > 1) cRows[1] = cRows[0];
            }
            case SCATTER_OUT_OF_RANGE -> {
                if (cRows != null && m > 0) cRows[m - 1] = cRowCount;
            }
            case VALUES_SHORT -> {
                if (nnz > 0) val = java.util.Arrays.copyOf(val, nnz - 1);
            }
            case NONE -> {}
        }
        int ldb = Math.max(1, n + d.consumeInt(0, 2)), ldc = Math.max(1, n + d.consumeInt(0, 2));
        int cRowsOfC = scatter ? cRowCount : m;
        float[] b = FuzzSupport.values(d, rnd, k * ldb, 1, 2);
        float[] bias = withBias ? FuzzSupport.values(d, rnd, n, 1, 1) : null;
        float[] c = FuzzSupport.values(d, rnd, cRowsOfC * ldc, 1, 1);
        if (beta == 0 && d.consumeBoolean()) java.util.Arrays.fill(c, Float.NaN); // not read
        float[] want = c.clone();
        final float[] v = val;
        final int[] cr = cRows;
        final long[] p = ptr;
        final int[] cl = col;
        Supplier<String> ctx = () -> "m=" + m + " n=" + n + " k=" + k + " nnz=" + cl.length + " alpha=" + alpha
                + " beta=" + beta + " bias=" + withBias + " scatter=" + scatter + " damage=" + damage + " " + where
                + " [" + FuzzSupport.describe(kern) + "]";
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment np = FuzzSupport.place(arena, where, MemorySegment.ofArray(p));
            MemorySegment nc = FuzzSupport.place(arena, where, MemorySegment.ofArray(cl));
            MemorySegment nv = FuzzSupport.place(arena, where, MemorySegment.ofArray(v));
            MemorySegment nb = FuzzSupport.place(arena, where, MemorySegment.ofArray(b));
            MemorySegment nbias = bias == null ? null : FuzzSupport.place(arena, where, MemorySegment.ofArray(bias));
            MemorySegment nr = cr == null ? null : FuzzSupport.place(arena, where, MemorySegment.ofArray(cr));
            MemorySegment no = FuzzSupport.place(arena, where, MemorySegment.ofArray(c));
            MemorySegment[] outs = {MemorySegment.ofArray(want), no}, before = FuzzSupport.snapshot(outs);
            Verdict verdict = FuzzSupport.run(
                    () -> FuzzSupport.REF.csrMatmul(
                            m, n, k, p, cl, v, alpha, b, ldb, bias, beta, want, ldc, cr, cRowCount),
                    () -> kern.csrMatmul(m, n, k, np, nc, nv, alpha, nb, ldb, nbias, beta, no, ldc, nr, cRowCount));
            FuzzSupport.sameVerdict(verdict, ctx);
            if (verdict.rejected()) {
                FuzzSupport.untouched(outs, before, "csrMatmul", ctx);
                return;
            }
            for (int i = 0; i < m; i++) {
                int r = cr == null ? i : cr[i];
                for (int j = 0; j < n; j++) {
                    double mag = 0;
                    for (long q = p[i]; q < p[i + 1]; q++)
                        mag += Math.abs((double) v[(int) q] * b[cl[(int) q] * ldb + j]);
                    double old = beta == 0 ? 0 : Math.abs(beta * c[r * ldc + j]);
                    double bound = (p[i + 1] - p[i] + 3)
                                    * U
                                    * (Math.abs(alpha) * mag + old + (bias == null ? 0 : Math.abs(bias[j])))
                            + 1e-30;
                    // a float partial sum may overflow where the double reference does not: no bound there
                    if (mag > Float.MAX_VALUE || Math.abs(alpha) * mag + old > Float.MAX_VALUE) continue;
                    float got = no.getAtIndex(ValueLayout.JAVA_FLOAT, (long) r * ldc + j), w = want[r * ldc + j];
                    boolean ok = Float.isNaN(w) || Float.isInfinite(w) || Double.isInfinite(bound)
                            ? Float.compare(got, w) == 0
                                    || (Float.isNaN(w) && Float.isNaN(got))
                                    || Double.isInfinite(bound)
                            : Math.abs(got - (double) w) <= bound;
                    if (!ok)
                        fail("C[" + r + "," + j + "] = " + got + ", want " + w + " (bound " + bound + ") " + ctx.get());
                }
            }
        }
    }

    enum StepDamage {
        NONE,
        COLUMN_OUT_OF_RANGE,
        COLUMN_REPEATED,
        TARGET_OUT_OF_RANGE,
        TARGETS_SHORT,
        LOGITS_SHORT
    }

    /**
     * {@link Kernels#csrSgdStep}: m, c, k &le; 40, densities, MEAN or SUM, a bias or none,
     * ignored targets, special values, every placement; broken batches, targets and buffers
     * rejected alike, V, the bias and the logits untouched. Accepted calls with finite inputs of
     * moderate size: the loss and V within 1e-3 of the reference's (relative to the terms).
     */
    @FuzzTest(maxDuration = "30s")
    void csrSgdStepMatchesTheReference(FuzzedDataProvider d) {
        Kernels kern = FuzzSupport.pickNative(d);
        Placement where = d.pickValue(Placement.values());
        int m = d.consumeInt(0, 40), c = d.consumeInt(1, 40), k = d.consumeInt(1, 40);
        boolean withBias = d.consumeBoolean();
        Reduction reduction = d.consumeBoolean() ? Reduction.MEAN : Reduction.SUM;
        StepDamage damage = d.consumeInt(0, 3) == 0 ? d.pickValue(StepDamage.values()) : StepDamage.NONE;
        double density = d.pickValue(new double[] {0, 0.05, 0.3, 1});
        float scale = d.pickValue(new float[] {1f, 0.5f, 2e-4f}), lr = d.pickValue(new float[] {0.1f, 1f, 32f});
        SplittableRandom rnd = new SplittableRandom(d.consumeLong());
        long[] ptr = new long[m + 1];
        int[] col = new int[m * k + 1];
        int nnz = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < k; j++) if (rnd.nextDouble() < density) col[nnz++] = j;
            ptr[i + 1] = nnz;
        }
        col = java.util.Arrays.copyOf(col, nnz);
        float[] val = FuzzSupport.values(d, rnd, nnz, 1, 2);
        int[] y = new int[m];
        for (int i = 0; i < m; i++) y[i] = rnd.nextInt(8) == 0 ? -100 : rnd.nextInt(c);
        int logits = m * c, bad = nnz == 0 ? 0 : rnd.nextInt(nnz);
        switch (damage) {
            case COLUMN_OUT_OF_RANGE -> {
                if (nnz > 0) col[bad] = k + rnd.nextInt(3);
            }
            case COLUMN_REPEATED -> {
                if (nnz > 1 && bad > 0) col[bad] = col[bad - 1];
            }
            case TARGET_OUT_OF_RANGE -> {
                if (m > 0) y[rnd.nextInt(m)] = rnd.nextBoolean() ? c : -1;
            }
            case TARGETS_SHORT -> {
                if (m > 0) y = java.util.Arrays.copyOf(y, m - 1);
            }
            case LOGITS_SHORT -> {
                if (logits > 0) logits--;
            }
            case NONE -> {}
        }
        float[] v0 = FuzzSupport.values(d, rnd, k * c, 1, 2);
        float[] bias0 = withBias ? FuzzSupport.values(d, rnd, c, 1, 1) : null;
        float[] wantV = v0.clone(), wantBias = bias0 == null ? null : bias0.clone();
        float[] wantLoss = {Float.NaN}, gotLoss = {Float.NaN}, wantG = new float[logits];
        CrossEntropy ce = CrossEntropy.defaults().withReduction(reduction);
        final long[] p = ptr;
        final int[] cl = col, ty = y;
        final float[] vals = val;
        final int logitCount = logits;
        Supplier<String> ctx = () -> "m=" + m + " c=" + c + " k=" + k + " nnz=" + cl.length + " " + reduction
                + " bias=" + withBias + " scale=" + scale + " lr=" + lr + " damage=" + damage + " " + where + " ["
                + FuzzSupport.describe(kern) + "]";
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nv = FuzzSupport.place(arena, where, MemorySegment.ofArray(v0.clone()));
            MemorySegment nbias =
                    bias0 == null ? null : FuzzSupport.place(arena, where, MemorySegment.ofArray(bias0.clone()));
            MemorySegment nz = FuzzSupport.place(arena, where, MemorySegment.ofArray(new float[logitCount]));
            MemorySegment[]
                    outs =
                            nbias == null
                                    ? new MemorySegment[] {MemorySegment.ofArray(wantV), nv, nz}
                                    : new MemorySegment[] {MemorySegment.ofArray(wantV), nv, nz, nbias},
                    before = FuzzSupport.snapshot(outs);
            Verdict verdict = FuzzSupport.run(
                    () -> wantLoss[0] = FuzzSupport.REF.csrSgdStep(
                            ce, m, c, k, p, cl, vals, ty, scale, -lr / scale, lr, wantV, c, wantBias, wantG, null),
                    () -> gotLoss[0] = kern.csrSgdStep(
                            ce,
                            m,
                            c,
                            k,
                            FuzzSupport.place(arena, where, MemorySegment.ofArray(p)),
                            FuzzSupport.place(arena, where, MemorySegment.ofArray(cl)),
                            FuzzSupport.place(arena, where, MemorySegment.ofArray(vals)),
                            FuzzSupport.place(arena, where, MemorySegment.ofArray(ty)),
                            scale,
                            -lr / scale,
                            lr,
                            nv,
                            c,
                            nbias,
                            nz,
                            null));
            FuzzSupport.sameVerdict(verdict, ctx);
            if (verdict.rejected()) {
                FuzzSupport.untouched(outs, before, "csrSgdStep", ctx);
                return;
            }
            // numbers only where float cannot overflow: finite, moderate inputs
            for (float[] a : new float[][] {vals, v0, bias0 == null ? new float[0] : bias0}) {
                for (float x : a) if (!(Math.abs(x) < 1e3f)) return;
            }
            boolean bothNaN = Float.isNaN(wantLoss[0]) && Float.isNaN(gotLoss[0]);
            if (!bothNaN && !(Math.abs(gotLoss[0] - wantLoss[0]) <= 1e-3 * (1 + Math.abs(wantLoss[0])))) {
                fail("loss " + gotLoss[0] + ", want " + wantLoss[0] + " " + ctx.get());
            }
            // float sums err relative to their terms |alpha value G|, not to their (cancelling) total
            double[] terms = new double[k * c];
            for (int i = 0; i < m; i++) {
                for (long q = p[i]; q < p[i + 1]; q++) {
                    for (int j = 0; j < c; j++) {
                        terms[cl[(int) q] * c + j] += Math.abs(lr / scale * vals[(int) q] * wantG[i * c + j]);
                    }
                }
            }
            for (int q = 0; q < k * c; q++) {
                float got = nv.getAtIndex(ValueLayout.JAVA_FLOAT, q);
                double tol = 1e-3 * (1 + Math.abs(v0[q]) + terms[q]);
                if (!(Math.abs(got - wantV[q]) <= tol)) {
                    fail("V[" + q / c + "," + q % c + "] = " + got + ", want " + wantV[q] + " " + ctx.get());
                }
            }
        }
    }
}
