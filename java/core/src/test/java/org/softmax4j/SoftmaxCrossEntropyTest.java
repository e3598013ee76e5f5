package org.softmax4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused softmax cross-entropy of every native implementation (binding x
 * ISA) against the Java reference, on fresh random inputs each run, with
 * outputs poisoned (NaN) before every call so that an unwritten element fails.
 */
class SoftmaxCrossEntropyTest {
    private static final Kernels REF = Kernels.reference();

    static List<Impl> impls() {
        return Impl.all();
    }

    @AfterAll
    static void restore() {
        Impl.restoreBestIsa();
    }

    enum Grad {
        NONE,
        SEPARATE,
        IN_PLACE
    }

    enum Ignore {
        NONE,
        SOME,
        ALL
    }

    /** One problem: shape, dtype, options and what to compute. */
    record Case(int n, int c, DType dtype, CrossEntropy ce, Ignore ignore, Grad grad, double spread, boolean extras) {
        @Override
        public String toString() {
            return "n=" + n + " c=" + c + " " + dtype + " " + ce.reduction() + " eps="
                    + ce.labelSmoothing() + " z=" + ce.zLoss() + " weights="
                    + (ce.classWeight() != null) + " ignore=" + ce.ignoreIndex() + "/" + ignore
                    + " grad=" + grad + " spread=" + spread;
        }
    }

    /** Runs one case on k and on the reference and compares every output. */
    static void check(Kernels k, Case cs, SplittableRandom rnd, String context) {
        int n = cs.n, c = cs.c;
        long nc = (long) n * c;
        MemorySegment logits = TestData.logits(rnd, cs.dtype, n, c, cs.spread);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextInt(c);
            if (cs.ignore == Ignore.ALL || (cs.ignore == Ignore.SOME && rnd.nextInt(3) == 0)) {
                y[i] = cs.ce.ignoreIndex();
            }
        }
        MemorySegment targets = MemorySegment.ofArray(y);
        boolean rows = cs.extras || cs.ce.reduction() == Reduction.NONE;

        CeOutputs want = new CeOutputs(
                cs.grad == Grad.NONE ? null : TestData.poisoned(cs.dtype, nc),
                rows ? TestData.poisoned(DType.F32, n) : null,
                cs.extras ? TestData.poisoned(DType.F32, n) : null,
                cs.extras ? TestData.poisonedInts(n) : null);
        float wantLoss = REF.crossEntropy(cs.ce, n, c, cs.dtype, logits, targets, want);

        MemorySegment input = TestData.copy(logits);
        CeOutputs got = new CeOutputs(
                switch (cs.grad) {
                    case NONE -> null;
                    case SEPARATE -> TestData.poisoned(cs.dtype, nc);
                    case IN_PLACE -> input;
                },
                rows ? TestData.poisoned(DType.F32, n) : null,
                cs.extras ? TestData.poisoned(DType.F32, n) : null,
                cs.extras ? TestData.poisonedInts(n) : null);
        float gotLoss = k.crossEntropy(cs.ce, n, c, cs.dtype, input, targets, got);

        String ctx = context + " " + cs + " [" + k.name() + "]";
        double lossTol = cs.dtype == DType.F32 ? 1e-5 : 1e-4;
        TestData.assertLossClose(gotLoss, wantLoss, lossTol, ctx);
        if (cs.grad != Grad.NONE) {
            double divisor = 0;
            for (int i = 0; i < n; i++) {
                if (y[i] != cs.ce.ignoreIndex()) {
                    divisor += cs.ce.classWeight() == null ? 1 : cs.ce.classWeight()[y[i]];
                }
            }
            double scale =
                    Math.abs(cs.ce.gradScale()) / (cs.ce.reduction() == Reduction.MEAN ? Math.max(divisor, 1e-3) : 1);
            TestData.assertClose(
                    "dlogits",
                    got.dlogits(),
                    want.dlogits(),
                    cs.dtype,
                    nc,
                    TestData.tolerance(cs.dtype),
                    2e-7 * scale,
                    ctx);
        }
        if (rows) TestData.assertEachClose("rowLoss", got.rowLoss(), want.rowLoss(), n, lossTol, 1e-6, ctx);
        if (cs.extras) {
            TestData.assertEachClose("rowLse", got.rowLse(), want.rowLse(), n, 1e-6, 1e-6, ctx);
            for (int i = 0; i < n; i++) {
                assertEquals(
                        want.rowArgmax().getAtIndex(ValueLayout.JAVA_INT, i),
                        got.rowArgmax().getAtIndex(ValueLayout.JAVA_INT, i),
                        "argmax[" + i + "] " + ctx);
            }
        }
    }

    static float[] weights(SplittableRandom rnd, int c) {
        float[] w = new float[c];
        for (int k = 0; k < c; k++) w[k] = 0.25f + rnd.nextFloat();
        return w;
    }

    /**
     * The full cross product of options (dtype x reduction x smoothing x
     * weights x z-loss x ignored rows x gradient mode: 648 combinations), on
     * shapes cycling through small odd sizes. Bugs elsewhere sat in such
     * combinations (reduction NONE with ignore_index, smoothing with ignore).
     */
    @ParameterizedTest
    @MethodSource("impls")
    void everyOptionCombination(Impl impl) {
        Kernels k = impl.activate();
        long seed = TestData.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] ns = {1, 3, 17, 64};
        int[] cs = {1, 2, 7, 8, 9, 33, 1000};
        int i = 0;
        for (DType dtype : TestData.LOGIT_TYPES)
            for (Reduction red : Reduction.values())
                for (float eps : new float[] {0f, 0.1f})
                    for (boolean weighted : new boolean[] {false, true})
                        for (float z : new float[] {0f, 1e-4f})
                            for (Ignore ignore : Ignore.values())
                                for (Grad grad : Grad.values()) {
                                    int n = ns[i % ns.length], c = cs[i % cs.length];
                                    CrossEntropy ce = CrossEntropy.defaults()
                                            .withReduction(red)
                                            .withLabelSmoothing(eps)
                                            .withZLoss(z)
                                            .withIgnoreIndex(i % 2 == 0 ? -100 : 0)
                                            .withClassWeight(weighted ? weights(rnd, c) : null)
                                            .withGradScale(i % 3 == 0 ? 0.5f : 1f);
                                    // extras (lse, argmax) off for every 4th case: the
                                    // in-place float32 path without argmax is another one
                                    check(
                                            k,
                                            new Case(n, c, dtype, ce, ignore, grad, i % 2 == 0 ? 3 : 20, i % 4 != 1),
                                            rnd,
                                            "seed=" + seed);
                                    i++;
                                }
    }

    /** N in {0, 1, 3, 1000} x C in {1, 2, 7, 8, 9, 1000, 32769, 131072}, capped at 4M elements. */
    @ParameterizedTest
    @MethodSource("impls")
    void oddShapes(Impl impl) {
        Kernels k = impl.activate();
        long seed = TestData.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int n : new int[] {0, 1, 3, 1000})
            for (int c : new int[] {1, 2, 7, 8, 9, 1000, 32769, 131072}) {
                if ((long) n * c > 4_000_000) continue;
                DType dtype = TestData.LOGIT_TYPES.get(rnd.nextInt(3));
                CrossEntropy ce = CrossEntropy.defaults().withLabelSmoothing(0.05f);
                check(k, new Case(n, c, dtype, ce, Ignore.SOME, Grad.SEPARATE, 4, true), rnd, "seed=" + seed);
            }
    }

    /** Gradients of 8 MB and more bypass the caches (float32, with the workspace). */
    @ParameterizedTest
    @MethodSource("impls")
    void largeGradientsAreStreamed(Impl impl) {
        Kernels k = impl.activate();
        long seed = TestData.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (Grad grad : new Grad[] {Grad.SEPARATE, Grad.IN_PLACE}) {
            check(
                    k,
                    new Case(
                            300,
                            8001,
                            DType.F32,
                            CrossEntropy.defaults().withLabelSmoothing(0.1f),
                            Ignore.SOME,
                            grad,
                            5,
                            grad == Grad.SEPARATE),
                    rnd,
                    "seed=" + seed);
        }
    }

    /**
     * Logits of 100 beside ordinary ones, all below -200, +-1e30, -inf masks,
     * values near FLT_MAX: the loss and gradient match the reference, and are
     * finite wherever the true value is.
     */
    @ParameterizedTest
    @MethodSource("impls")
    void extremeLogits(Impl impl) {
        Kernels k = impl.activate();
        int c = 37, n = 6;
        float[] x = new float[n * c];
        SplittableRandom rnd = new SplittableRandom(TestData.seed());
        for (int i = 0; i < x.length; i++) x[i] = (float) TestData.gaussian(rnd);
        x[5] = 100f; // row 0
        for (int j = 0; j < c; j++) x[c + j] = -200f - 50f * rnd.nextFloat(); // row 1
        for (int j = 0; j < c; j++) x[2 * c + j] = (j % 2 == 0 ? -1e30f : 1e30f) * (1 + j % 3);
        for (int j = 0; j < c; j += 2) x[3 * c + j] = Float.NEGATIVE_INFINITY; // masks
        for (int j = 0; j < c; j++) x[4 * c + j] = 3e38f * (j % 2 == 0 ? 1f : 0.999f);
        for (int j = 0; j < c; j++) x[5 * c + j] = 88f + j; // beyond exp's range
        int[] y = {5, 3, 1, 1, 0, 36};
        for (DType dtype : TestData.LOGIT_TYPES)
            for (Reduction red : Reduction.values())
                for (float eps : new float[] {0f, 0.1f}) {
                    MemorySegment logits = dtype == DType.F32
                            ? MemorySegment.ofArray(x.clone())
                            : MemorySegment.ofArray(toHalf(dtype, x));
                    CrossEntropy ce = CrossEntropy.defaults().withReduction(red).withLabelSmoothing(eps);
                    CeOutputs want = new CeOutputs(
                            TestData.poisoned(dtype, (long) n * c),
                            TestData.poisoned(DType.F32, n),
                            TestData.poisoned(DType.F32, n),
                            TestData.poisonedInts(n));
                    CeOutputs got = new CeOutputs(
                            TestData.poisoned(dtype, (long) n * c),
                            TestData.poisoned(DType.F32, n),
                            TestData.poisoned(DType.F32, n),
                            TestData.poisonedInts(n));
                    float wl = REF.crossEntropy(ce, n, c, dtype, logits, MemorySegment.ofArray(y), want);
                    float gl = k.crossEntropy(ce, n, c, dtype, logits, MemorySegment.ofArray(y), got);
                    String ctx = dtype + " " + red + " eps=" + eps + " [" + k.name() + "]";
                    TestData.assertLossClose(gl, wl, 1e-4, ctx);
                    TestData.assertEachClose("rowLoss", got.rowLoss(), want.rowLoss(), n, 1e-4, 1e-6, ctx);
                    TestData.assertEachClose("rowLse", got.rowLse(), want.rowLse(), n, 1e-6, 1e-6, ctx);
                    TestData.assertClose(
                            "dlogits",
                            got.dlogits(),
                            want.dlogits(),
                            dtype,
                            (long) n * c,
                            TestData.tolerance(dtype),
                            1e-7,
                            ctx);
                    if (dtype != DType.F16) { // f16 cannot hold 1e30 or 3e38: those rows become inf
                        for (int r = 0; r < n; r++) {
                            // smoothing puts mass on masked classes: an infinite loss is right
                            if (r == 3 && eps > 0) continue;
                            float rl = got.rowLoss().getAtIndex(ValueLayout.JAVA_FLOAT, r);
                            assertTrue(Float.isFinite(rl), "row " + r + " loss " + rl + " " + ctx);
                        }
                    }
                }
        // The exact values of two easy rows: a logit of 100 that is the target
        // gives loss ~ 0; all logits equal (below -200) give log(c).
        float[] easy = new float[2 * c];
        easy[5] = 100f;
        java.util.Arrays.fill(easy, c, 2 * c, -250f);
        float[] rowLoss = new float[2];
        k.crossEntropy(
                CrossEntropy.defaults().withReduction(Reduction.NONE),
                2,
                c,
                easy,
                new int[] {5, 7},
                CeOutputs.none().withRowLoss(rowLoss));
        assertTrue(rowLoss[0] >= 0 && rowLoss[0] < 1e-30 + 36 * Math.exp(-100) * 2, "loss " + rowLoss[0]);
        assertEquals(Math.log(c), rowLoss[1], 1e-6);
    }

    static short[] toHalf(DType dtype, float[] x) {
        short[] h = new short[x.length];
        for (int i = 0; i < x.length; i++) h[i] = HalfFloats.fromFloat(dtype, x[i]);
        return h;
    }

    /** NaN in one row makes that row's loss, lse and gradient NaN and leaves the rest alone. */
    @ParameterizedTest
    @MethodSource("impls")
    void nanPoisonsOnlyItsRow(Impl impl) {
        Kernels k = impl.activate();
        int n = 4, c = 19;
        float[] x = new float[n * c];
        SplittableRandom rnd = new SplittableRandom(TestData.seed());
        for (int i = 0; i < x.length; i++) x[i] = (float) TestData.gaussian(rnd);
        x[2 * c + 7] = Float.NaN;
        float[] g = new float[n * c], rowLoss = new float[n], lse = new float[n];
        java.util.Arrays.fill(g, 777f); // not NaN: shows the NaN row is written, too
        int[] am = new int[n];
        float loss = k.crossEntropy(
                CrossEntropy.defaults(),
                n,
                c,
                x,
                new int[] {1, 2, 3, 4},
                CeOutputs.gradient(g).withRowLoss(rowLoss).withRowLse(lse).withRowArgmax(am));
        assertTrue(Float.isNaN(loss));
        assertEquals(7, am[2], "argmax of a NaN row is its first NaN");
        for (int r = 0; r < n; r++) {
            assertEquals(r == 2, Float.isNaN(rowLoss[r]), "row " + r);
            assertEquals(r == 2, Float.isNaN(lse[r]), "lse " + r);
            for (int j = 0; j < c; j++) {
                assertEquals(r == 2, Float.isNaN(g[r * c + j]), "gradient " + r + "," + j);
            }
        }
    }

    /** softmax and log-softmax, separate and in place. */
    @ParameterizedTest
    @MethodSource("impls")
    void softmaxAndLogSoftmax(Impl impl) {
        Kernels k = impl.activate();
        long seed = TestData.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int c : new int[] {1, 2, 7, 8, 9, 1000, 32769}) {
            int n = c > 1000 ? 2 : 5;
            MemorySegment x = TestData.logits(rnd, DType.F32, n, c, 10);
            x.setAtIndex(ValueLayout.JAVA_FLOAT, 0, Float.NEGATIVE_INFINITY);
            for (boolean log : new boolean[] {false, true}) {
                for (boolean inPlace : new boolean[] {false, true}) {
                    MemorySegment want = TestData.poisoned(DType.F32, (long) n * c);
                    MemorySegment in = TestData.copy(x);
                    MemorySegment got = inPlace ? in : TestData.poisoned(DType.F32, (long) n * c);
                    if (log) {
                        REF.logSoftmax(n, c, x, want);
                        k.logSoftmax(n, c, in, got);
                    } else {
                        REF.softmax(n, c, x, want);
                        k.softmax(n, c, in, got);
                    }
                    String ctx = "seed=" + seed + " c=" + c + " log=" + log + " inPlace=" + inPlace;
                    TestData.assertEachClose(
                            log ? "logSoftmax" : "softmax", got, want, (long) n * c, 1e-5, log ? 1e-6 : 1e-7, ctx);
                }
            }
        }
    }

    /** Native segments (Arena) and heap slices at an offset: same results, no copies needed. */
    @ParameterizedTest
    @MethodSource("impls")
    void nativeSegmentsAndSlices(Impl impl) {
        Kernels k = impl.activate();
        SplittableRandom rnd = new SplittableRandom(TestData.seed());
        int n = 13, c = 29;
        float[] x = new float[n * c + 5];
        for (int i = 0; i < x.length; i++) x[i] = (float) (3 * TestData.gaussian(rnd));
        int[] y = new int[n + 2];
        for (int i = 0; i < y.length; i++) y[i] = rnd.nextInt(c);
        float[] wantGrad = new float[n * c];
        float[] wantLse = new float[n];
        MemorySegment heapX = MemorySegment.ofArray(x).asSlice(5L * 4);
        MemorySegment heapY = MemorySegment.ofArray(y).asSlice(2L * 4);
        CrossEntropy ce = CrossEntropy.defaults().withLabelSmoothing(0.2f);
        float want = REF.crossEntropy(
                ce, n, c, DType.F32, heapX, heapY, CeOutputs.gradient(wantGrad).withRowLse(wantLse));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nx = arena.allocate((long) x.length * 4, 32).asSlice(5L * 4);
            MemorySegment.copy(heapX, 0, nx, 0, (long) n * c * 4);
            MemorySegment ny = arena.allocateFrom(ValueLayout.JAVA_INT, y).asSlice(2L * 4);
            MemorySegment ng = arena.allocate((long) n * c * 4);
            MemorySegment nl = arena.allocate((long) n * 4);
            ng.fill((byte) 0xff);
            float got = k.crossEntropy(
                    ce, n, c, DType.F32, nx, ny, CeOutputs.gradient(ng).withRowLse(nl));
            TestData.assertLossClose(got, want, 1e-5, "native segments");
            TestData.assertClose(
                    "dlogits",
                    ng,
                    MemorySegment.ofArray(wantGrad),
                    DType.F32,
                    (long) n * c,
                    2e-5,
                    1e-7,
                    "native segments");
            TestData.assertEachClose("lse", nl, MemorySegment.ofArray(wantLse), n, 1e-6, 1e-6, "native");
            // and a heap slice in, a native segment out
            float[] g2 = new float[n * c + 3];
            MemorySegment heapG = MemorySegment.ofArray(g2).asSlice(3L * 4);
            got = k.crossEntropy(ce, n, c, DType.F32, heapX, ny, CeOutputs.gradient(heapG));
            TestData.assertLossClose(got, want, 1e-5, "heap slices");
            TestData.assertClose(
                    "dlogits",
                    heapG,
                    MemorySegment.ofArray(wantGrad),
                    DType.F32,
                    (long) n * c,
                    2e-5,
                    1e-7,
                    "heap slices");
        }
    }

    /** FFM and JNI run the same native code: bit-identical results. */
    @Test
    void bindingsAgreeBitwise() {
        Impl.restoreBestIsa();
        SplittableRandom rnd = new SplittableRandom(TestData.seed());
        int n = 300, c = 1001;
        MemorySegment x = TestData.logits(rnd, DType.BF16, n, c, 5);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = rnd.nextInt(c);
        CrossEntropy ce = CrossEntropy.defaults().withLabelSmoothing(0.1f).withZLoss(1e-4f);
        short[] g1 = new short[n * c], g2 = new short[n * c];
        float l1 = Kernels.cpu(Binding.FFM)
                .crossEntropy(
                        ce,
                        n,
                        c,
                        DType.BF16,
                        x,
                        MemorySegment.ofArray(y),
                        CeOutputs.gradient(MemorySegment.ofArray(g1)));
        float l2 = Kernels.cpu(Impl.bindings().getLast())
                .crossEntropy(
                        ce,
                        n,
                        c,
                        DType.BF16,
                        x,
                        MemorySegment.ofArray(y),
                        CeOutputs.gradient(MemorySegment.ofArray(g2)));
        assertEquals(Float.floatToRawIntBits(l1), Float.floatToRawIntBits(l2));
        assertTrue(java.util.Arrays.equals(g1, g2));
    }

    /** The loss is bit-identical for any thread count: chunks depend only on the shape. */
    @Test
    void sameLossForAnyThreadCount() {
        Impl.restoreBestIsa();
        int saved = Softmax4j.threads();
        SplittableRandom rnd = new SplittableRandom(TestData.seed());
        int n = 2000, c = 517;
        MemorySegment x = TestData.logits(rnd, DType.F32, n, c, 5);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) y[i] = rnd.nextInt(c);
        try {
            float[] losses = new float[4];
            for (int t = 1; t <= 4; t++) {
                Softmax4j.setThreads(t);
                losses[t - 1] = Kernels.cpu()
                        .crossEntropy(
                                CrossEntropy.defaults(),
                                n,
                                c,
                                DType.F32,
                                x,
                                MemorySegment.ofArray(y),
                                CeOutputs.none());
            }
            for (int t = 1; t < 4; t++) assertEquals(losses[0], losses[t], 0f, "threads " + (t + 1));
        } finally {
            Softmax4j.setThreads(saved);
        }
    }

    /** Many Java threads calling at once, through both bindings, each checked against the reference. */
    @Test
    void manyThreadsAtOnce() throws Exception {
        Impl.restoreBestIsa();
        long seed = TestData.seed();
        ExecutorService pool = Executors.newFixedThreadPool(12);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 24; t++) {
                final int id = t;
                futures.add(pool.submit(() -> {
                    SplittableRandom rnd = new SplittableRandom(seed + id);
                    Kernels k =
                            Kernels.cpu(Impl.bindings().get(id % Impl.bindings().size()));
                    for (int it = 0; it < 10; it++) {
                        int n = 1 + rnd.nextInt(200), c = 1 + rnd.nextInt(3000);
                        check(
                                k,
                                new Case(
                                        n,
                                        c,
                                        DType.F32,
                                        CrossEntropy.defaults().withLabelSmoothing(0.1f),
                                        Ignore.SOME,
                                        Grad.SEPARATE,
                                        4,
                                        true),
                                rnd,
                                "seed=" + seed + " thread " + id);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) f.get();
        } finally {
            pool.shutdownNow();
        }
    }
}
