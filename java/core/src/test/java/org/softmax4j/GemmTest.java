package org.softmax4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
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
 * SGEMM of every implementation (ours: binding x ISA; OpenBLAS: binding)
 * against a double-precision product.
 *
 * <p>Error bound: each C element is a float32 sum of k products, so
 * |C - C_exact| <= gamma_k (|A||B|)_ij + |beta| u |C_ij| with gamma_k ~ k u,
 * u = 2^-24 (Higham, Accuracy and Stability, 3.5). The tests allow
 * (2k + 4) u (|A||B|)_ij + tiny: the worst case, never the typical error,
 * so they cannot fail by bad luck, yet any wrong index or missed term
 * (errors of order |a||b| itself) fails at once.
 */
class GemmTest {
    static final double U = 0x1p-24;

    /** One SGEMM under test. */
    record Impl(Binding binding, Isa isa, Gemm gemm) {
        Kernels activate() {
            if (gemm == Gemm.OPENBLAS) {
                org.junit.jupiter.api.Assumptions.assumeFalse(
                        Boolean.getBoolean("softmax4j.test.skipOpenblas"),
                        "OpenBLAS is left out of this run (-Dsoftmax4j.test.skipOpenblas, bench/gpu/check.sh)");
            }
            Kernels k = new org.softmax4j.Impl(binding, isa).activate();
            return gemm == Gemm.SOFTMAX4J ? k : Kernels.cpu(binding, gemm);
        }

        @Override
        public String toString() {
            return gemm == Gemm.OPENBLAS
                    ? "openblas/" + binding.name().toLowerCase()
                    : new org.softmax4j.Impl(binding, isa).toString();
        }
    }

    static List<Impl> impls() {
        List<Impl> list = new ArrayList<>();
        for (var i : org.softmax4j.Impl.all()) list.add(new Impl(i.binding(), i.isa(), Gemm.SOFTMAX4J));
        for (Binding b : org.softmax4j.Impl.bindings()) list.add(new Impl(b, Isa.SCALAR, Gemm.OPENBLAS));
        return list;
    }

    @AfterAll
    static void restore() {
        org.softmax4j.Impl.restoreBestIsa();
    }

    /** C = alpha op(A) op(B) + beta C through k, checked element-wise against the bound. */
    static void check(
            Kernels k,
            SplittableRandom rnd,
            boolean ta,
            boolean tb,
            int m,
            int n,
            int kk,
            float alpha,
            float beta,
            boolean nanC,
            String ctx) {
        int lda = Math.max(1, (ta ? m : kk) + rnd.nextInt(3));
        int ldb = Math.max(1, (tb ? kk : n) + rnd.nextInt(3));
        int ldc = Math.max(1, n + rnd.nextInt(3));
        float[] a = random(rnd, (ta ? kk : m) * lda), b = random(rnd, (tb ? n : kk) * ldb);
        float[] c = random(rnd, m * ldc);
        if (nanC) Arrays.fill(c, Float.NaN);
        float[] c0 = c.clone();
        k.sgemm(ta, tb, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < ldc; j++) {
                float got = c[i * ldc + j];
                if (j >= n) { // padding between rows is never touched
                    if (Float.floatToRawIntBits(got) != Float.floatToRawIntBits(c0[i * ldc + j])) {
                        fail("C padding [" + i + "," + j + "] written " + ctx);
                    }
                    continue;
                }
                double acc = 0, mag = 0;
                for (int p = 0; p < kk; p++) {
                    double x = ta ? a[p * lda + i] : a[i * lda + p];
                    double y = tb ? b[j * ldb + p] : b[p * ldb + j];
                    acc += x * y;
                    mag += Math.abs(x * y);
                }
                double old = beta == 0 ? 0 : beta * (double) c0[i * ldc + j];
                double want = alpha * acc + old;
                double bound = (2.0 * kk + 4) * U * Math.abs(alpha) * mag + 2 * U * Math.abs(old) + 1e-30;
                if (!(Math.abs(got - want) <= bound)) {
                    fail("C[" + i + "," + j + "] = " + got + ", want " + want + " (bound " + bound
                            + ") ta=" + ta + " tb=" + tb + " m=" + m + " n=" + n + " k=" + kk
                            + " alpha=" + alpha + " beta=" + beta + " nanC=" + nanC + " " + ctx);
                }
            }
        }
    }

    static float[] random(SplittableRandom rnd, int len) {
        float[] x = new float[len];
        for (int i = 0; i < len; i++) x[i] = (float) (2 * rnd.nextDouble() - 1);
        return x;
    }

    /** Random shapes (primes, tile sizes +-1), all transposes, alpha/beta, NaN in C with beta 0. */
    @ParameterizedTest
    @MethodSource("impls")
    void randomShapes(Impl impl) {
        Kernels k = impl.activate();
        long seed = TestData.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] sizes = {0, 1, 2, 3, 5, 6, 7, 8, 9, 11, 13, 15, 16, 17, 23, 31, 32, 33, 47, 61, 97, 131};
        for (int it = 0; it < 120; it++) {
            int m = sizes[rnd.nextInt(sizes.length)], n = sizes[rnd.nextInt(sizes.length)];
            int kk = sizes[rnd.nextInt(sizes.length)];
            float alpha = rnd.nextBoolean() ? 1f : -0.75f;
            float beta = new float[] {0f, 1f, 0.5f}[rnd.nextInt(3)];
            check(
                    k,
                    rnd,
                    rnd.nextBoolean(),
                    rnd.nextBoolean(),
                    m,
                    n,
                    kk,
                    alpha,
                    beta,
                    beta == 0 && rnd.nextBoolean(),
                    "seed=" + seed + " [" + impl + "]");
        }
    }

    /** The trainer's shapes (skinny n = 10) and the blocked path across several KC/NC blocks. */
    @ParameterizedTest
    @MethodSource("impls")
    void trainerAndBlockedShapes(Impl impl) {
        Kernels k = impl.activate();
        long seed = TestData.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        String ctx = "seed=" + seed + " [" + impl + "]";
        for (boolean ta : new boolean[] {false, true})
            for (boolean tb : new boolean[] {false, true}) {
                check(k, rnd, ta, tb, 256, 10, 784, 1f, 0f, true, ctx); // forward X W
                check(k, rnd, ta, tb, 784, 10, 256, 1f, 0f, true, ctx); // X^T dZ
                check(k, rnd, ta, tb, 10, 300, 256, 0.5f, 1f, false, ctx); // m <= 16
                check(k, rnd, ta, tb, 157, 301, 263, 1f, 0.5f, false, ctx); // partial tiles, 2 KC
            }
    }

    /**
     * A large product checked by projection: (C v) against A (B v) in double, for a
     * random v. Catches any misplaced block without an O(n^3) double reference.
     */
    @ParameterizedTest
    @MethodSource("impls")
    void largeProductByProjection(Impl impl) {
        Kernels k = impl.activate();
        SplittableRandom rnd = new SplittableRandom(TestData.seed());
        int m = 700, n = 3300, kk = 530; // more than one NC (3072) and KC (256) block
        float[] a = random(rnd, m * kk), b = random(rnd, kk * n), c = new float[m * n];
        Arrays.fill(c, Float.NaN);
        k.sgemm(false, false, m, n, kk, 1f, a, kk, b, n, 0f, c, n);
        double[] v = new double[n], bv = new double[kk];
        for (int j = 0; j < n; j++) v[j] = rnd.nextDouble() - 0.5;
        for (int p = 0; p < kk; p++) {
            double s = 0;
            for (int j = 0; j < n; j++) s += b[p * n + j] * v[j];
            bv[p] = s;
        }
        for (int i = 0; i < m; i++) {
            double want = 0, got = 0, mag = 0;
            for (int p = 0; p < kk; p++) want += a[i * kk + p] * bv[p];
            for (int j = 0; j < n; j++) {
                got += c[i * n + j] * v[j];
                mag += Math.abs(v[j]) * kk;
            }
            assertTrue(
                    Math.abs(got - want) <= (2.0 * kk + 4) * U * mag,
                    "row " + i + ": " + got + " vs " + want + " [" + impl + "]");
        }
    }

    /** Native segments with offsets, and concurrent callers on both bindings. */
    @Test
    void nativeSegmentsAndManyThreads() throws Exception {
        org.softmax4j.Impl.restoreBestIsa();
        long seed = TestData.seed();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                final int id = t;
                futures.add(pool.submit(() -> {
                    SplittableRandom rnd = new SplittableRandom(seed + id);
                    Kernels k = Kernels.cpu(org.softmax4j.Impl.bindings()
                            .get(id % org.softmax4j.Impl.bindings().size()));
                    for (int it = 0; it < 6; it++) {
                        check(
                                k,
                                rnd,
                                rnd.nextBoolean(),
                                rnd.nextBoolean(),
                                1 + rnd.nextInt(150),
                                1 + rnd.nextInt(150),
                                1 + rnd.nextInt(300),
                                1f,
                                0f,
                                true,
                                "seed=" + seed + " thread " + id);
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) f.get();
        } finally {
            pool.shutdownNow();
        }
        // native segments at an offset give the same bits as heap arrays
        SplittableRandom rnd = new SplittableRandom(seed);
        int m = 33, n = 20, kk = 70;
        float[] a = random(rnd, m * kk), b = random(rnd, kk * n), c1 = new float[m * n];
        for (Binding binding : org.softmax4j.Impl.bindings()) {
            Kernels k = Kernels.cpu(binding);
            k.sgemm(false, false, m, n, kk, 1f, a, kk, b, n, 0f, c1, n);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment na = arena.allocate(4L * (a.length + 1)).asSlice(4);
                MemorySegment nb = arena.allocate(4L * b.length), nc = arena.allocate(4L * c1.length);
                MemorySegment.copy(MemorySegment.ofArray(a), 0, na, 0, 4L * a.length);
                MemorySegment.copy(MemorySegment.ofArray(b), 0, nb, 0, 4L * b.length);
                k.sgemm(false, false, m, n, kk, 1f, na, kk, nb, n, 0f, nc, n);
                assertArrayEquals(c1, nc.toArray(ValueLayout.JAVA_FLOAT), binding.toString());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("impls")
    void badShapesAreRejected(Impl impl) {
        Kernels k = impl.activate();
        float[] x = new float[12];
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> k.sgemm(false, false, 3, 4, 2, 1f, x, 1, x, 4, 0f, new float[12], 4));
        assertTrue(
                e.getMessage().contains("lda = 1 must be at least max(1, columns of A as stored) = 2"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class,
                () -> k.sgemm(false, false, 3, 4, 2, 1f, x, 2, x, 4, 0f, new float[11], 4));
        assertTrue(e.getMessage().contains("C holds 11 elements, needs 12"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> k.sgemm(false, false, -3, 4, 2, 1f, x, 2, x, 4, 0f, x, 4));
        assertTrue(e.getMessage().contains("m=-3"), e.getMessage());
        e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> k.sgemm(true, false, 3, 4, 2, 1f, x, 3, x, 4, 0f, x, 4));
        assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
    }

    /** Bias add, column sums, gather of uint8 rows and the SGD step against the reference. */
    @ParameterizedTest
    @MethodSource("impls")
    void stepHelpers(Impl impl) {
        if (impl.gemm() == Gemm.OPENBLAS) return; // helpers do not depend on the GEMM choice
        Kernels k = impl.activate();
        Kernels ref = Kernels.reference();
        long seed = TestData.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 77, c = 13;
        float[] y = random(rnd, n * c), bias = random(rnd, c), y2 = y.clone();
        k.addBias(n, c, bias, y);
        ref.addBias(n, c, bias, y2);
        assertArrayEquals(y2, y);
        float[] s1 = new float[c], s2 = new float[c];
        Arrays.fill(s1, Float.NaN);
        k.columnSums(n, c, 0.5f, y, 0f, s1);
        ref.columnSums(n, c, 0.5f, y, 0f, s2);
        for (int j = 0; j < c; j++) assertEquals(s2[j], s1[j], 1e-6 * n, "colsum " + j);
        byte[] px = new byte[50 * 784];
        for (int i = 0; i < px.length; i++) px[i] = (byte) rnd.nextInt(256);
        int[] idx = new int[9];
        for (int i = 0; i < idx.length; i++) idx[i] = rnd.nextInt(50);
        float[] g1 = new float[9 * 784], g2 = new float[9 * 784];
        Arrays.fill(g1, Float.NaN);
        k.gatherScaled(9, 784, px, idx, 1f / 255, g1);
        ref.gatherScaled(9, 784, px, idx, 1f / 255, g2);
        assertArrayEquals(g2, g1);
        int[] bad = {0, 50};
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(
                IllegalArgumentException.class, () -> k.gatherScaled(2, 784, px, bad, 1f, g1));
        assertTrue(e.getMessage().contains("index[1] = 50 is outside [0, 50)"), e.getMessage());
        // float rows, standardised per column, and uint8 rows with a per-column map
        for (DType src : new DType[] {DType.F32, DType.U8}) {
            int cols = 37;
            MemorySegment rows = src == DType.F32
                    ? MemorySegment.ofArray(random(rnd, 50 * cols))
                    : MemorySegment.ofArray(Arrays.copyOf(px, 50 * cols));
            MemorySegment shift = MemorySegment.ofArray(random(rnd, cols));
            MemorySegment scale = MemorySegment.ofArray(random(rnd, cols));
            float[] h1 = new float[9 * cols], h2 = new float[9 * cols];
            Arrays.fill(h1, Float.NaN);
            k.gatherRows(
                    9, cols, src, rows, 50, MemorySegment.ofArray(idx), 0.5f, shift, scale, MemorySegment.ofArray(h1));
            ref.gatherRows(
                    9, cols, src, rows, 50, MemorySegment.ofArray(idx), 0.5f, shift, scale, MemorySegment.ofArray(h2));
            for (int i = 0; i < h1.length; i++)
                assertEquals(h2[i], h1[i], 1e-6f * (1 + Math.abs(h2[i])), src + " " + i);
        }
        for (float mom : new float[] {0f, 0.9f}) {
            float[] w1 = random(rnd, 1000), g = random(rnd, 1000), v1 = random(rnd, 1000);
            float[] w2 = w1.clone(), v2 = v1.clone();
            for (int step = 0; step < 3; step++) {
                k.sgdStep(1000, 0.1f, mom, 1e-3f, w1, g, mom == 0 ? null : v1);
                ref.sgdStep(1000, 0.1f, mom, 1e-3f, w2, g, mom == 0 ? null : v2);
            }
            for (int i = 0; i < 1000; i++) assertEquals(w2[i], w1[i], 1e-6f, "w " + i + " momentum " + mom);
        }
    }
}
