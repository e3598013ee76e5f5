package org.softmax4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fused linear + cross-entropy of every native implementation against
 * the reference (materialised logits, double), every option, vocabularies
 * not a multiple of the class block, ignore-heavy batches and extreme values;
 * the reference itself against finite differences; the memory goal.
 */
class LinearCrossEntropyTest {
    private static final Kernels REF = Kernels.reference();

    static List<Impl> impls() {
        return Impl.all();
    }

    @AfterAll
    static void restore() {
        Impl.restoreBestIsa();
    }

    record Problem(int n, int d, int v, float[] x, float[] w, float[] bias, int[] y) {
        static Problem random(
                SplittableRandom rnd,
                int n,
                int d,
                int v,
                boolean biased,
                int ignoreMode,
                int ignoreIndex,
                double spread) {
            float[] x = new float[n * d], w = new float[v * d], b = biased ? new float[v] : null;
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() - 0.5);
            for (int i = 0; i < w.length; i++) w[i] = (float) (spread * (rnd.nextDouble() - 0.5));
            if (b != null) for (int k = 0; k < v; k++) b[k] = (float) (rnd.nextDouble() - 0.5);
            int[] y = new int[n];
            for (int i = 0; i < n; i++) {
                y[i] = rnd.nextInt(v);
                if (ignoreMode == 2 || (ignoreMode == 1 && rnd.nextInt(3) == 0)) y[i] = ignoreIndex;
            }
            return new Problem(n, d, v, x, w, b, y);
        }
    }

    /** Runs k and the reference on p and compares loss, row losses and all gradients. */
    static void check(Kernels k, Problem p, CrossEntropy ce, LinearCe lin, String ctx) {
        float[][] want = outputs(p), got = outputs(p);
        float wl = REF.linearCrossEntropy(ce, lin, p.n, p.d, p.v, p.x, p.w, p.bias, p.y, view(want));
        float gl = k.linearCrossEntropy(ce, lin, p.n, p.d, p.v, p.x, p.w, p.bias, p.y, view(got));
        String c = ctx + " " + ce + " " + lin + " n=" + p.n + " d=" + p.d + " v=" + p.v + " [" + k.name() + "]";
        TestData.assertLossClose(gl, wl, 2e-5, c);
        TestData.assertEachClose(
                "rowLoss", MemorySegment.ofArray(got[3]), MemorySegment.ofArray(want[3]), p.n, 2e-5, 2e-5, c);
        // Absolute floor: dw and db sum n rows of float32 terms of order 1, so
        // where the exact sum is 0 (v = 1, say) rounding leaves ~n ulps.
        String[] names = {"dx", "dw", "db"};
        double atol = 2e-7 * (p.n + 1) * Math.abs(ce.gradScale());
        for (int i = 0; i < 3; i++) {
            TestData.assertClose(
                    names[i],
                    MemorySegment.ofArray(got[i]),
                    MemorySegment.ofArray(want[i]),
                    DType.F32,
                    got[i].length,
                    1e-4,
                    atol,
                    c);
        }
    }

    /** dx, dw, db, rowLoss, all NaN (poisoned). */
    static float[][] outputs(Problem p) {
        float[][] o = {new float[p.n * p.d], new float[p.v * p.d], new float[p.v], new float[p.n]};
        for (float[] a : o) Arrays.fill(a, Float.NaN);
        return o;
    }

    static LinearCeOutputs view(float[][] o) {
        return LinearCeOutputs.gradients(o[0], o[1], o[2]).withRowLoss(o[3]);
    }

    /** Every option: reduction x smoothing x z-loss x weights x bias x soft-cap x ignored rows x block. */
    @ParameterizedTest
    @MethodSource("impls")
    void everyOption(Impl impl) {
        Kernels k = impl.activate();
        long seed = TestData.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int i = 0;
        for (Reduction red : Reduction.values())
            for (float eps : new float[] {0f, 0.1f})
                for (float z : new float[] {0f, 1e-3f})
                    for (boolean weighted : new boolean[] {false, true})
                        for (boolean biased : new boolean[] {false, true})
                            for (float cap : new float[] {0f, randomCap(rnd)})
                                for (int ignore = 0; ignore < 3; ignore++) {
                                    if (red == Reduction.MEAN && ignore == 2) continue; // NaN either way
                                    int n = 1 + rnd.nextInt(40), d = 1 + rnd.nextInt(24), v = 1 + rnd.nextInt(150);
                                    float[] cw = null;
                                    if (weighted) {
                                        cw = new float[v];
                                        for (int c = 0; c < v; c++) cw[c] = 0.25f + rnd.nextFloat();
                                    }
                                    CrossEntropy ce = CrossEntropy.defaults()
                                            .withReduction(red)
                                            .withLabelSmoothing(eps)
                                            .withZLoss(z)
                                            .withClassWeight(cw)
                                            .withGradScale(i % 3 == 0 ? 0.5f : 1f);
                                    // automatic, tiles of 37 classes (v not a multiple), chunks of 7 rows
                                    LinearCe lin = switch (i % 3) {
                                        case 0 -> LinearCe.defaults().withSoftcap(cap);
                                        case 1 -> new LinearCe(cap, 37, 0);
                                        default -> cap > 0 ? new LinearCe(cap, 0, 0) : new LinearCe(0f, 0, 7);
                                    };
                                    check(
                                            k,
                                            Problem.random(rnd, n, d, v, biased, ignore, -100, i % 5 == 0 ? 60 : 3),
                                            ce,
                                            lin,
                                            "seed=" + seed);
                                    i++;
                                }
    }

    /** A soft-cap from 1 to Float.MAX_VALUE, log-uniform. */
    static float randomCap(SplittableRandom rnd) {
        return (float) Math.pow(10, rnd.nextDouble() * Math.log10(Float.MAX_VALUE));
    }

    /**
     * Caps from saturating (1) to far above the logits (FLT_MAX): every ISA
     * agrees with the reference. The SIMD tanh once formed 1 - 2/(exp(2u)+1)
     * everywhere, whose absolute error the cap multiplied: caps of 1e10 and
     * more zeroed every logit (loss ln 5 at v = 5).
     */
    @ParameterizedTest
    @MethodSource("impls")
    void softcapsFromOneToFloatMax(Impl impl) {
        Kernels k = impl.activate();
        long seed = TestData.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (float cap : new float[] {1f, 30f, 50f, 1e3f, 1e6f, 1e10f, 1e20f, Float.MAX_VALUE}) {
            check(
                    k,
                    Problem.random(rnd, 4, 3, 5, true, 0, -100, 4),
                    CrossEntropy.defaults(),
                    LinearCe.defaults().withSoftcap(cap),
                    "seed=" + seed);
            check(
                    k,
                    Problem.random(rnd, 37, 19, 70, false, 1, -100, 40),
                    CrossEntropy.defaults().withLabelSmoothing(0.1f),
                    LinearCe.defaults().withSoftcap(cap),
                    "seed=" + seed);
        }
    }

    /** Many rows and classes: several row blocks (128) and class blocks (1024) per pass. */
    @ParameterizedTest
    @MethodSource("impls")
    void severalTiles(Impl impl) {
        Kernels k = impl.activate();
        long seed = TestData.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        check(
                k,
                Problem.random(rnd, 300, 33, 2500, true, 1, -100, 4),
                CrossEntropy.defaults().withLabelSmoothing(0.1f).withZLoss(1e-4f),
                LinearCe.defaults().withSoftcap(30f),
                "seed=" + seed);
    }

    /** The reference's gradients against central differences of its loss, in float64 terms. */
    @Test
    void referenceGradientMatchesFiniteDifferences() {
        SplittableRandom rnd = new SplittableRandom(TestData.seed());
        Problem p = Problem.random(rnd, 3, 4, 5, true, 0, -100, 2);
        CrossEntropy ce = CrossEntropy.defaults().withLabelSmoothing(0.2f).withZLoss(0.01f);
        LinearCe lin = LinearCe.defaults().withSoftcap(2f);
        float[][] g = outputs(p);
        REF.linearCrossEntropy(ce, lin, p.n, p.d, p.v, p.x, p.w, p.bias, p.y, view(g));
        float h = 1e-2f;
        for (int which = 0; which < 3; which++) {
            float[] param = which == 0 ? p.x : which == 1 ? p.w : p.bias;
            for (int i = 0; i < param.length; i++) {
                float keep = param[i];
                param[i] = keep + h;
                double up =
                        REF.linearCrossEntropy(ce, lin, p.n, p.d, p.v, p.x, p.w, p.bias, p.y, LinearCeOutputs.none());
                param[i] = keep - h;
                double down =
                        REF.linearCrossEntropy(ce, lin, p.n, p.d, p.v, p.x, p.w, p.bias, p.y, LinearCeOutputs.none());
                param[i] = keep;
                double fd = (up - down) / (2 * h);
                assertEquals(fd, g[which][i], 2e-3, "d loss / d " + "xwb".charAt(which) + "[" + i + "]");
            }
        }
    }

    /**
     * Extra memory at the benchmark shape (N=2048, D=1024, V=32768): the tiled
     * plan at most 1% of the logits, the automatic one (512-row chunks) its
     * 64 MiB chunk and the GEMMs' packing, under a third of them.
     */
    @Test
    void workspaceIsBoundedByThePlan() {
        Impl.restoreBestIsa();
        long logits = 2048L * 32768 * 4;
        for (Binding b : Impl.bindings()) {
            Kernels k = Kernels.cpu(b);
            long tiled = k.linearCrossEntropyWorkspaceBytes(
                    2048, 1024, 32768, LinearCe.defaults().withBlockClasses(1024));
            assertTrue(tiled > 0 && tiled <= logits / 100, "tiled workspace " + tiled + " of logits " + logits);
            long auto = k.linearCrossEntropyWorkspaceBytes(2048, 1024, 32768, LinearCe.defaults());
            assertTrue(
                    auto >= 64L << 20 && auto <= (72L << 20) && auto < logits / 3,
                    "automatic workspace " + auto + " of logits " + logits);
        }
    }

    /**
     * A mean over a batch whose every row is ignored is NaN with zero gradients on
     * every plan; 1024 rows make the automatic plan row chunks (1/4 of them each),
     * whose scale is then 1/0.
     */
    @ParameterizedTest
    @MethodSource("impls")
    void everyRowIgnoredGivesNaNAndZeroGradientsOnEveryPlan(Impl impl) {
        Kernels k = impl.activate();
        int n = 1024, d = 3, v = 20;
        SplittableRandom rnd = new SplittableRandom();
        float[] x = new float[n * d], w = new float[v * d];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat() - 0.5f;
        for (int i = 0; i < w.length; i++) w[i] = rnd.nextFloat() - 0.5f;
        int[] y = new int[n];
        Arrays.fill(y, CrossEntropy.DEFAULT_IGNORE_INDEX);
        for (LinearCe lin : new LinearCe[] {
            LinearCe.defaults(),
            LinearCe.defaults().withBlockClasses(7),
            LinearCe.defaults().withChunkRows(100)
        }) {
            float[] dx = new float[n * d], dw = new float[v * d], db = new float[v];
            Arrays.fill(dx, Float.NaN); // poisoned
            Arrays.fill(dw, Float.NaN);
            Arrays.fill(db, Float.NaN);
            float loss = k.linearCrossEntropy(
                    CrossEntropy.defaults(), lin, n, d, v, x, w, null, y, LinearCeOutputs.gradients(dx, dw, db));
            assertTrue(Float.isNaN(loss), lin + ": loss " + loss);
            for (float[] g : new float[][] {dx, dw, db}) for (float e : g) assertEquals(0f, e, lin + ": gradient");
        }
    }

    @ParameterizedTest
    @MethodSource("impls")
    void badInput(Impl impl) {
        Kernels k = impl.activate();
        float[] x = new float[6], w = new float[12];
        CrossEntropy ce = CrossEntropy.defaults();
        LinearCe lin = LinearCe.defaults();
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> k.linearCrossEntropy(ce, lin, 2, 3, 4, x, w, null, new int[] {0, 4}, LinearCeOutputs.none()));
        assertTrue(e.getMessage().contains("targets[1] = 4 is outside [0, 4)"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> k.linearCrossEntropy(ce, lin, 2, 3, 5, x, w, null, new int[] {0, 1}, LinearCeOutputs.none()));
        assertTrue(e.getMessage().contains("w holds 12 elements, needs 15"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> k.linearCrossEntropy(
                        ce, lin, 2, 3, 4, x, w, new float[3], new int[] {0, 1}, LinearCeOutputs.none()));
        assertTrue(e.getMessage().contains("bias holds 3 elements, needs 4"), e.getMessage());
        e = assertThrows(
                IllegalArgumentException.class,
                () -> k.linearCrossEntropy(
                        ce,
                        lin,
                        2,
                        3,
                        4,
                        x,
                        w,
                        null,
                        new int[] {0, 1},
                        LinearCeOutputs.gradients(new float[5], null, null)));
        assertTrue(e.getMessage().contains("dx holds 5 elements, needs 6"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LinearCe(-1f, 0, 0));
        assertTrue(e.getMessage().contains("softcap"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LinearCe(1f, 0, 8));
        assertTrue(e.getMessage().contains("chunkRows does not combine with softcap"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new LinearCe(0f, 64, 8));
        assertTrue(e.getMessage().contains("set one"), e.getMessage());
    }
}
