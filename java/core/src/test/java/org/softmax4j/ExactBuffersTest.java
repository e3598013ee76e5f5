package org.softmax4j;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every CPU kernel on native buffers of exactly the size its contract names,
 * each its own allocation (4-byte aligned, so the JDK mallocs exactly that
 * much), results against the reference. In the AddressSanitizer run of
 * java/core/pom.xml this is what makes any read or write past a buffer's end
 * an error: Java arrays and over-aligned segments are invisible to ASan.
 */
class ExactBuffersTest {
    private static final Kernels REF = Kernels.reference();

    static List<Impl> impls() {
        return Impl.cpu();
    }

    @AfterAll
    static void restore() {
        Impl.restoreBestIsa();
    }

    /** A native copy of {@code s}, exactly as large. */
    private static MemorySegment exact(Arena arena, MemorySegment s) {
        return s == null ? null : arena.allocate(s.byteSize(), 4).copyFrom(s);
    }

    private static MemorySegment floats(SplittableRandom rnd, long n) {
        float[] a = new float[(int) n];
        for (int i = 0; i < n; i++) a[i] = (float) TestData.gaussian(rnd);
        return MemorySegment.ofArray(a);
    }

    private static MemorySegment ints(SplittableRandom rnd, int n, int bound) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) a[i] = rnd.nextInt(bound);
        return MemorySegment.ofArray(a);
    }

    @ParameterizedTest
    @MethodSource("impls")
    void everyKernel(Impl impl) {
        Kernels k = impl.activate();
        long seed = TestData.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        String ctx = "seed=" + seed + " " + k.name();
        for (int round = 0; round < 6; round++) {
            int n = 1 + rnd.nextInt(37), c = 1 + rnd.nextInt(70), d = 1 + rnd.nextInt(40);
            try (Arena arena = Arena.ofConfined()) {
                // cross-entropy, f32 and bf16, every output
                for (DType dt : new DType[] {DType.F32, DType.BF16}) {
                    MemorySegment x = TestData.logits(rnd, dt, n, c, 3), y = ints(rnd, n, c);
                    float[] w = new float[c];
                    for (int j = 0; j < c; j++) w[j] = 0.5f + rnd.nextFloat();
                    CrossEntropy ce =
                            CrossEntropy.defaults().withLabelSmoothing(0.1f).withClassWeight(w);
                    MemorySegment g = exact(arena, TestData.poisoned(dt, (long) n * c));
                    MemorySegment rl = exact(arena, TestData.poisoned(DType.F32, n));
                    MemorySegment lse = exact(arena, TestData.poisoned(DType.F32, n));
                    MemorySegment am = exact(arena, TestData.poisonedInts(n));
                    float got = k.crossEntropy(
                            ce, n, c, dt, exact(arena, x), exact(arena, y), new CeOutputs(g, rl, lse, am));
                    MemorySegment rg = TestData.poisoned(dt, (long) n * c);
                    float want = REF.crossEntropy(ce, n, c, dt, x, y, CeOutputs.gradient(rg));
                    TestData.assertLossClose(got, want, 10 * TestData.tolerance(dt), ctx);
                    TestData.assertClose("dlogits", g, rg, dt, (long) n * c, TestData.tolerance(dt), 1e-6, ctx);
                }
                // linear cross-entropy with soft-capping, every output
                MemorySegment lx = floats(rnd, (long) n * d), lw = floats(rnd, (long) c * d);
                MemorySegment lb = floats(rnd, c), ly = ints(rnd, n, c);
                LinearCe lin = LinearCe.defaults().withSoftcap(5f);
                CrossEntropy ce = CrossEntropy.defaults().withZLoss(1e-3f);
                MemorySegment dx = exact(arena, TestData.poisoned(DType.F32, (long) n * d));
                MemorySegment dw = exact(arena, TestData.poisoned(DType.F32, (long) c * d));
                MemorySegment db = exact(arena, TestData.poisoned(DType.F32, c));
                float got = k.linearCrossEntropy(
                        ce,
                        lin,
                        n,
                        d,
                        c,
                        exact(arena, lx),
                        exact(arena, lw),
                        exact(arena, lb),
                        exact(arena, ly),
                        new LinearCeOutputs(
                                dx,
                                dw,
                                db,
                                exact(arena, TestData.poisoned(DType.F32, n)),
                                exact(arena, TestData.poisoned(DType.F32, n))));
                MemorySegment rdw = TestData.poisoned(DType.F32, (long) c * d);
                float want = REF.linearCrossEntropy(
                        ce, lin, n, d, c, lx, lw, lb, ly, new LinearCeOutputs(null, rdw, null, null, null));
                TestData.assertLossClose(got, want, 1e-4, ctx);
                TestData.assertClose("dw", dw, rdw, DType.F32, (long) c * d, 1e-4, 1e-6, ctx);
                // softmax in place
                MemorySegment sx = exact(arena, floats(rnd, (long) n * c));
                k.softmax(n, c, sx, sx);
                // sgemm with padded leading dimensions
                int m = n, kk = d, lda = kk + rnd.nextInt(3), ldb = c + rnd.nextInt(3), ldc = c + rnd.nextInt(3);
                MemorySegment a = floats(rnd, (long) (m - 1) * lda + kk), b = floats(rnd, (long) (kk - 1) * ldb + c);
                MemorySegment cc = exact(arena, TestData.poisoned(DType.F32, (long) (m - 1) * ldc + c));
                MemorySegment rc = TestData.poisoned(DType.F32, (long) (m - 1) * ldc + c);
                k.sgemm(false, false, m, c, kk, 1f, exact(arena, a), lda, exact(arena, b), ldb, 0f, cc, ldc);
                REF.sgemm(false, false, m, c, kk, 1f, a, lda, b, ldb, 0f, rc, ldc);
                for (int i = 0; i < m; i++) {
                    TestData.assertClose(
                            "C row " + i,
                            cc.asSlice(4L * i * ldc, 4L * c),
                            rc.asSlice(4L * i * ldc, 4L * c),
                            DType.F32,
                            c,
                            1e-5,
                            1e-6,
                            ctx);
                }
                // the step helpers
                MemorySegment yb = exact(arena, floats(rnd, (long) n * c));
                k.addBias(n, c, exact(arena, floats(rnd, c)), yb);
                k.columnSums(n, c, 1f, yb, 0f, exact(arena, TestData.poisoned(DType.F32, c)));
                byte[] px = new byte[3 * d];
                rnd.nextBytes(px);
                k.gatherScaled(
                        n,
                        d,
                        exact(arena, MemorySegment.ofArray(px)),
                        3,
                        exact(arena, ints(rnd, n, 3)),
                        1 / 255f,
                        exact(arena, TestData.poisoned(DType.F32, (long) n * d)));
                MemorySegment pw = exact(arena, floats(rnd, c)), pv = exact(arena, floats(rnd, c));
                k.sgdStep(c, 0.1f, 0.9f, 1e-4f, pw, exact(arena, floats(rnd, c)), pv);
                // sparse rows: the product scattered into rows of a larger C, and the fused step
                SparseTest.Csr x = SparseTest.Csr.random(rnd, n, d);
                MemorySegment ptr = exact(arena, MemorySegment.ofArray(x.rowPtr()));
                MemorySegment col = exact(arena, MemorySegment.ofArray(x.col()));
                MemorySegment val = exact(arena, MemorySegment.ofArray(x.val()));
                int[] rows = new int[n];
                for (int i = 0; i < n; i++) rows[i] = 2 * i;
                MemorySegment sb = floats(rnd, (long) d * c);
                k.csrMatmul(
                        n,
                        c,
                        d,
                        ptr,
                        col,
                        val,
                        1f,
                        exact(arena, sb),
                        c,
                        exact(arena, floats(rnd, c)),
                        0f,
                        exact(arena, TestData.poisoned(DType.F32, (long) (2 * n - 1) * c)),
                        c,
                        exact(arena, MemorySegment.ofArray(rows)),
                        2 * n - 1);
                MemorySegment sv = floats(rnd, (long) d * c), sbias = floats(rnd, c), sy = ints(rnd, n, c);
                MemorySegment ev = exact(arena, sv);
                float stepLoss = k.csrSgdStep(
                        CrossEntropy.defaults(),
                        n,
                        c,
                        d,
                        ptr,
                        col,
                        val,
                        exact(arena, sy),
                        1f,
                        -0.1f,
                        0.1f,
                        ev,
                        c,
                        exact(arena, sbias),
                        exact(arena, TestData.poisoned(DType.F32, (long) n * c)),
                        exact(arena, TestData.poisonedInts(n)));
                MemorySegment rv = MemorySegment.ofArray(sv.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT));
                float stepWant = REF.csrSgdStep(
                        CrossEntropy.defaults(),
                        n,
                        c,
                        d,
                        MemorySegment.ofArray(x.rowPtr()),
                        MemorySegment.ofArray(x.col()),
                        MemorySegment.ofArray(x.val()),
                        sy,
                        1f,
                        -0.1f,
                        0.1f,
                        rv,
                        c,
                        MemorySegment.ofArray(sbias.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT)),
                        TestData.poisoned(DType.F32, (long) n * c),
                        null);
                TestData.assertLossClose(stepLoss, stepWant, 1e-4, ctx);
                TestData.assertClose("V", ev, rv, DType.F32, (long) d * c, 1e-4, 1e-6, ctx);
            }
        }
    }
}
