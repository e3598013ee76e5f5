package org.softmax4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What the kernel fuzz tests found, minimized (FUZZING.md); every implementation, the reference included. */
class KernelFindingsTest {
    static List<Object> kernels() {
        List<Object> all = new java.util.ArrayList<>(List.of("reference"));
        all.addAll(Impl.all());
        return all;
    }

    @AfterAll
    static void restore() {
        Impl.restoreBestIsa();
    }

    private static Kernels activate(Object impl) {
        return impl instanceof Impl i ? i.activate() : Kernels.reference();
    }

    /**
     * SgemmFuzzTest: with alpha = 0 the native kernels (like BLAS) do not read A and B,
     * but the reference computed 0 x NaN = NaN, so the two disagreed on C.
     */
    @ParameterizedTest
    @MethodSource("kernels")
    void sgemmWithAlphaZeroReadsNeitherAnorB(Object impl) {
        Kernels k = activate(impl);
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            float[] c = {5f, 7f};
            k.sgemm(false, false, 1, 2, 1, 0f, new float[] {bad}, 1, new float[] {1f, bad}, 2, 0.5f, c, 2);
            assertEquals(List.of(2.5f, 3.5f), List.of(c[0], c[1]), impl + " A, B hold " + bad);
            k.sgemm(true, true, 1, 2, 1, 0f, new float[] {bad}, 1, new float[] {1f, bad}, 1, 0f, c, 2);
            assertEquals(List.of(0f, 0f), List.of(c[0], c[1]), impl + " A, B hold " + bad + ", beta 0");
        }
    }

    /**
     * CrossEntropyFuzzTest: a row whose every logit is -inf (n=1, c=1, x={-inf}) has
     * log-sum-exp -inf in the native kernels, NaN in the reference (-inf - -inf); its
     * loss and gradient are NaN in both, and an ignored row's loss and gradient are 0.
     */
    @ParameterizedTest
    @MethodSource("kernels")
    void everyLogitMinusInfinityHasLseMinusInfinity(Object impl) {
        Kernels k = activate(impl);
        float ni = Float.NEGATIVE_INFINITY;
        for (int ignore : new int[] {-100, 0}) {
            float[] lse = {7f, 7f}, loss = {7f, 7f}, g = new float[6];
            k.crossEntropy(
                    CrossEntropy.defaults().withReduction(Reduction.NONE).withIgnoreIndex(ignore),
                    2,
                    3,
                    new float[] {ni, ni, ni, 0f, 1f, 2f},
                    new int[] {0, 1},
                    CeOutputs.gradient(g).withRowLoss(loss).withRowLse(lse));
            String what = impl + " ignoreIndex " + ignore;
            assertEquals(ni, lse[0], what);
            assertEquals(ignore == 0 ? 0f : Float.NaN, loss[0], what);
            assertEquals(ignore == 0 ? 0f : Float.NaN, g[0], what);
            assertEquals(2.4076059f, lse[1], 1e-6f, what);
        }
    }

    /**
     * CrossEntropyFuzzTest: logits at and near +-Float.MAX_VALUE overflowed float
     * intermediates of the native cross-entropy where the double reference's stay
     * finite: 2 zLoss lse in the gradient's coefficient (inf times exp(x - max) = 0:
     * NaN gradients), w_k (lse - x_k) of label smoothing and lse - x_y (infinite row
     * losses of 3.4e37). The rule now (FUZZING.md, native/common/ce_row.h): per-row
     * scalars in double, rounded once; +-inf only where the exact value is beyond
     * float range. Short rows (the AVX2 8-row kernel), cached and long rows, every
     * reduction, z-loss up to 1, smoothing, class weights, gradient or not.
     */
    @ParameterizedTest
    @MethodSource("kernels")
    void logitsNearFloatMaxOverflowOnlyWhereTheExactValueDoes(Object impl) {
        Kernels k = activate(impl);
        for (int c : new int[] {10, 37, 300, 70_000}) {
            HugeRows rows = HugeRows.of(c);
            for (DType dtype : new DType[] {DType.F32, DType.BF16})
                for (boolean weighted : new boolean[] {false, true})
                    for (float z : new float[] {0f, 1e-4f, 1f})
                        for (float eps : new float[] {0f, 0.1f})
                            for (Reduction red : Reduction.values())
                                for (boolean grad : new boolean[] {true, false}) {
                                    if (c > 1000 && (z == 1e-4f || dtype == DType.BF16 || !grad)) continue; // quick
                                    CrossEntropy ce = CrossEntropy.defaults()
                                            .withReduction(red)
                                            .withLabelSmoothing(eps)
                                            .withZLoss(z)
                                            .withClassWeight(weighted ? rows.weights : null)
                                            .withGradScale(red == Reduction.SUM && z == 0 ? 1e-3f : 1f);
                                    String ctx = impl + " c=" + c + " " + dtype + " " + ce + " grad=" + grad;
                                    compareWithReference(k, ce, rows, dtype, grad, ctx);
                                }
        }
    }

    /** Six rows of c logits at and near +-MAX (bf16: its largest finite value) and their targets. */
    private record HugeRows(int n, int c, float[] x, int[] y, float[] weights) {
        static HugeRows of(int c) {
            int n = 6;
            float[] x = new float[n * c], w = new float[c];
            SplittableRandom rnd = new SplittableRandom(c);
            for (int i = 0; i < x.length; i++) x[i] = (float) TestData.gaussian(rnd);
            float m = Float.MAX_VALUE;
            x[0] = m; // one +MAX, the target -MAX
            x[1] = -m;
            for (int j = 0; j < c; j++) x[c + j] = j % 2 == 0 ? m : -m; // +-MAX
            for (int j = 0; j < c; j++) x[2 * c + j] = m * (1 - 2f * j / (c - 1)); // MAX .. -MAX
            for (int j = 0; j < c; j++) x[3 * c + j] = -m; // all -MAX but one
            x[3 * c + c - 1] = 0.5f * m;
            for (int j = 0; j < c; j++) x[5 * c + j] = (j % 3 - 1) * 1e38f;
            for (int j = 0; j < c; j++) w[j] = 0.1f + 0.05f * (j % 5);
            return new HugeRows(n, c, x, new int[] {1, 0, c / 2, 0, 3, 2}, w);
        }

        MemorySegment logits(DType dtype) {
            if (dtype == DType.F32) return MemorySegment.ofArray(x.clone());
            float[] bounded = x.clone(); // MAX rounds to bf16's infinity: its largest finite value instead
            for (int i = 0; i < bounded.length; i++)
                bounded[i] = Math.max(-3.3895314e38f, Math.min(3.3895314e38f, bounded[i]));
            return MemorySegment.ofArray(SoftmaxCrossEntropyTest.toHalf(dtype, bounded));
        }
    }

    private static void compareWithReference(
            Kernels k, CrossEntropy ce, HugeRows rows, DType dtype, boolean grad, String ctx) {
        int n = rows.n, c = rows.c;
        long nc = (long) n * c;
        CeOutputs want = new CeOutputs(
                grad ? TestData.poisoned(dtype, nc) : null,
                TestData.poisoned(DType.F32, n),
                TestData.poisoned(DType.F32, n),
                TestData.poisonedInts(n));
        CeOutputs got = new CeOutputs(
                grad ? TestData.poisoned(dtype, nc) : null,
                TestData.poisoned(DType.F32, n),
                TestData.poisoned(DType.F32, n),
                TestData.poisonedInts(n));
        MemorySegment targets = MemorySegment.ofArray(rows.y);
        float wl = Kernels.reference().crossEntropy(ce, n, c, dtype, rows.logits(dtype), targets, want);
        float gl = k.crossEntropy(ce, n, c, dtype, rows.logits(dtype), targets, got);
        TestData.assertLossClose(gl, wl, 1e-5, ctx);
        TestData.assertEachClose("rowLoss", got.rowLoss(), want.rowLoss(), n, 1e-5, 1e-6, ctx);
        TestData.assertEachClose("rowLse", got.rowLse(), want.rowLse(), n, 1e-6, 1e-6, ctx);
        FuzzSupport.assertSameInts(got.rowArgmax(), want.rowArgmax(), n, "rowArgmax", () -> ctx);
        if (grad) {
            TestData.assertClose(
                    "dlogits",
                    got.dlogits(),
                    want.dlogits(),
                    dtype,
                    nc,
                    TestData.tolerance(dtype),
                    2e-7 * Math.abs(ce.gradScale()),
                    ctx);
            for (long i = 0; i < nc; i++) { // every logit finite: so is the reference, and its gradient not NaN
                assertFalse(Double.isNaN(TestData.element(got.dlogits(), dtype, i)), "dlogits[" + i + "] NaN " + ctx);
            }
        }
        if (dtype == DType.F32 && ce.classWeight() != null && ce.zLoss() == 0) { // weights <= 0.3: every loss fits
            for (int r = 0; r < n; r++) {
                float rl = got.rowLoss().getAtIndex(ValueLayout.JAVA_FLOAT, r);
                assertTrue(Float.isFinite(rl), "row " + r + " loss " + rl + " " + ctx);
            }
        }
    }

    /**
     * The same for the fused linear cross-entropy, logits at +-MAX through huge biases:
     * besides the overflows, pass 2 formed p = exp(z - lse) with lse = max + log(sum)
     * in float, where log(sum) vanishes next to 1e38 (two equal top logits had p = 1,
     * not 1/2). Now exp(z - max) / sum, as the cross-entropy kernels.
     */
    @ParameterizedTest
    @MethodSource("kernels")
    void linearCeWithLogitsNearFloatMax(Object impl) {
        Kernels k = activate(impl);
        SplittableRandom rnd = new SplittableRandom(42);
        float[] big = {Float.MAX_VALUE, -Float.MAX_VALUE, 3.4e38f, 1e38f, -2e38f};
        int i = 0;
        for (Reduction red : Reduction.values())
            for (float eps : new float[] {0f, 0.1f})
                for (float z : new float[] {0f, 1e-3f})
                    for (boolean weighted : new boolean[] {false, true})
                        for (float cap : new float[] {0f, 1e30f}) {
                            int n = 1 + rnd.nextInt(12), d = 1 + rnd.nextInt(6), v = 2 + rnd.nextInt(50);
                            LinearCrossEntropyTest.Problem p = LinearCrossEntropyTest.Problem.random(
                                    rnd, n, d, v, true, i % 3 == 0 ? 1 : 0, -100, 3);
                            for (int j = 0; j < v; j++)
                                if (rnd.nextBoolean()) p.bias()[j] = big[rnd.nextInt(big.length)];
                            p.bias()[0] = p.bias()[1] = Float.MAX_VALUE; // two equal top logits
                            float[] cw = null;
                            if (weighted) {
                                cw = new float[v];
                                for (int j = 0; j < v; j++) cw[j] = 0.25f + rnd.nextFloat();
                            }
                            CrossEntropy ce = CrossEntropy.defaults()
                                    .withReduction(red)
                                    .withLabelSmoothing(eps)
                                    .withZLoss(z)
                                    .withClassWeight(cw);
                            LinearCrossEntropyTest.check(
                                    k, p, ce, new LinearCe(cap, i % 2 == 0 ? 0 : 16, 0), impl + " huge biases");
                            i++;
                        }
    }

    /**
     * LinearCeFuzzTest (n = d = v = 1, smoothing 0.00128): with one class p = 1 and the
     * gradient is exactly 0, but the first version of the double coefficients subtracted
     * d = (1 - eps) w_y in double from the float a - b w_y the vector pass had written:
     * 3e-8, times a weight of 20 in dx. The target's element is formed in double as a
     * whole now (as in crossEntropy), from exp(z_y - max).
     */
    @ParameterizedTest
    @MethodSource("kernels")
    void oneClassLinearCeHasZeroGradient(Object impl) {
        Kernels k = activate(impl);
        for (float eps : new float[] {0.0012841424f, 0.1f, 0.3f})
            for (float w : new float[] {20f, -29.5f}) {
                float[] dx = {Float.NaN}, dw = {Float.NaN}, db = {Float.NaN}, rowLoss = {Float.NaN};
                k.linearCrossEntropy(
                        CrossEntropy.defaults().withReduction(Reduction.NONE).withLabelSmoothing(eps),
                        new LinearCe(0f, 0, 0),
                        1,
                        1,
                        1,
                        new float[] {0.37f},
                        new float[] {w},
                        null,
                        new int[] {0},
                        LinearCeOutputs.gradients(dx, dw, db).withRowLoss(rowLoss));
                String what = impl + " eps " + eps + " w " + w;
                for (float g : new float[] {dx[0], dw[0], db[0]}) assertTrue(Math.abs(g) <= 1e-12f, g + " " + what);
                assertEquals(0f, rowLoss[0], 1e-7f, what);
            }
    }
}
