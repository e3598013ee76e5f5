package org.softmax4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmax4j.cuda.CudaKernels;
import org.softmax4j.cuda.DeviceBuffer;

/**
 * {@link Kernels#csrMatmul} of every implementation (binding x ISA, CUDA
 * where present) against a double-precision sum, on fresh random CSR
 * matrices each run: empty, sparse and dense rows, widths around the vector
 * blocks, alpha/beta/bias, scatter into rows of a larger C, outputs poisoned
 * with NaN, arrays on the Java heap, in native memory or (CUDA) on the GPU;
 * then every broken rule of the CSR contract, with C untouched.
 *
 * <p>Bound: a row is a float sum of its e entries, so |C - C_exact| <=
 * (e + 2) u sum|v b| + 2u |beta C| (Higham 3.5): never the typical error, so
 * it cannot fail by bad luck, yet a wrong index or a missed entry (an error of
 * order |v b|) fails at once.
 */
class SparseTest {
    static final double U = 0x1p-24;

    static List<Impl> impls() {
        return Impl.all();
    }

    /** Where a call's arrays are: GPU memory is for the CUDA kernels only. */
    enum Memory {
        HEAP,
        NATIVE,
        DEVICE;

        static Memory pick(Kernels kern, SplittableRandom rnd) {
            return values()[rnd.nextInt(kern instanceof CudaKernels ? 3 : 2)];
        }
    }

    @AfterAll
    static void restore() {
        Impl.restoreBestIsa();
    }

    /** A random m x k CSR matrix. */
    record Csr(int m, int k, long[] rowPtr, int[] col, float[] val) {
        static Csr random(SplittableRandom rnd, int m, int k) {
            long[] ptr = new long[m + 1];
            int[] col = new int[m * k];
            float[] val = new float[m * k];
            int nnz = 0;
            for (int i = 0; i < m; i++) {
                int kind = rnd.nextInt(8);
                double density = kind == 0 ? 0 : kind == 1 ? 1 : rnd.nextDouble() * 0.3;
                for (int j = 0; j < k; j++) {
                    if (rnd.nextDouble() < density) {
                        col[nnz] = j;
                        val[nnz++] = (float) (2 * rnd.nextDouble() - 1);
                    }
                }
                ptr[i + 1] = nnz;
            }
            return new Csr(m, k, ptr, Arrays.copyOf(col, nnz), Arrays.copyOf(val, nnz));
        }
    }

    @ParameterizedTest
    @MethodSource("impls")
    void randomShapesAgainstDoubleSums(Impl impl) {
        Kernels kern = impl.activate();
        long seed = TestData.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] widths = {1, 2, 7, 8, 9, 10, 16, 17, 31, 32, 33, 58, 64, 65, 100, 129};
        for (int t = 0; t < 120; t++) {
            int m = rnd.nextInt(40), k = 1 + rnd.nextInt(60), n = widths[rnd.nextInt(widths.length)];
            float alpha = rnd.nextInt(3) > 0 ? 1f : (float) (6 * rnd.nextDouble() - 3);
            float beta = rnd.nextInt(3) == 0 ? 0f : rnd.nextBoolean() ? 1f : (float) (2 * rnd.nextDouble() - 1);
            one(
                    kern,
                    rnd,
                    m,
                    n,
                    k,
                    alpha,
                    beta,
                    rnd.nextBoolean(),
                    rnd.nextBoolean(),
                    Memory.pick(kern, rnd),
                    impl + " seed " + seed);
        }
        // several tasks' worth of work: the threads split the rows
        Memory big = kern instanceof CudaKernels ? Memory.DEVICE : Memory.NATIVE;
        one(kern, rnd, 700, 58, 3000, 1f, 0f, true, false, big, impl + " seed " + seed);
        one(kern, rnd, 900, 129, 500, -0.1f, 1f, false, true, Memory.HEAP, impl + " seed " + seed);
    }

    private static void one(
            Kernels kern,
            SplittableRandom rnd,
            int m,
            int n,
            int k,
            float alpha,
            float beta,
            boolean withBias,
            boolean scatter,
            Memory memory,
            String ctx) {
        Csr a = Csr.random(rnd, m, k);
        int ldb = n + rnd.nextInt(3), ldc = n + rnd.nextInt(3);
        int cRowCount = scatter ? m + rnd.nextInt(5) : m;
        int[] cRows = null;
        if (scatter) {
            cRows = new int[m];
            int next = 0;
            for (int i = 0; i < m; i++) {
                while (cRowCount - next > m - i && rnd.nextBoolean()) next++;
                cRows[i] = next++;
            }
        }
        float[] b = GemmTest.random(rnd, k * ldb), bias = withBias ? GemmTest.random(rnd, n) : null;
        float[] c0 = GemmTest.random(rnd, cRowCount * ldc);
        if (beta == 0) Arrays.fill(c0, Float.NaN); // must not be read
        float[] c = c0.clone();
        if (memory == Memory.DEVICE) {
            List<DeviceBuffer> held = new ArrayList<>();
            try {
                var gpu = new Object() {
                    MemorySegment of(MemorySegment host) {
                        DeviceBuffer d = ((CudaKernels) kern).allocate(Math.max(8, host.byteSize()));
                        held.add(d);
                        return d.copyFrom(host).segment();
                    }
                };
                MemorySegment cs = gpu.of(MemorySegment.ofArray(c));
                kern.csrMatmul(
                        m,
                        n,
                        k,
                        gpu.of(MemorySegment.ofArray(a.rowPtr())),
                        gpu.of(MemorySegment.ofArray(a.col())),
                        gpu.of(MemorySegment.ofArray(a.val())),
                        alpha,
                        gpu.of(MemorySegment.ofArray(b)),
                        ldb,
                        bias == null ? null : gpu.of(MemorySegment.ofArray(bias)),
                        beta,
                        cs,
                        ldc,
                        cRows == null ? null : gpu.of(MemorySegment.ofArray(cRows)),
                        cRowCount);
                held.getFirst().copyTo(MemorySegment.ofArray(c));
            } finally {
                held.forEach(DeviceBuffer::close);
            }
        } else if (memory == Memory.NATIVE) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment cs = copy(arena, c);
                kern.csrMatmul(
                        m,
                        n,
                        k,
                        copy(arena, a.rowPtr()),
                        copy(arena, a.col()),
                        copy(arena, a.val()),
                        alpha,
                        copy(arena, b),
                        ldb,
                        bias == null ? null : copy(arena, bias),
                        beta,
                        cs,
                        ldc,
                        cRows == null ? null : copy(arena, cRows),
                        cRowCount);
                MemorySegment.copy(cs, ValueLayout.JAVA_FLOAT, 0, c, 0, c.length);
            }
        } else {
            kern.csrMatmul(m, n, k, a.rowPtr(), a.col(), a.val(), alpha, b, ldb, bias, beta, c, ldc, cRows, cRowCount);
        }
        boolean[] written = new boolean[c.length];
        for (int i = 0; i < m; i++) {
            int r = cRows == null ? i : cRows[i];
            for (int j = 0; j < n; j++) {
                double acc = 0, mag = 0;
                for (long p = a.rowPtr()[i]; p < a.rowPtr()[i + 1]; p++) {
                    double x = (double) a.val()[(int) p] * b[a.col()[(int) p] * ldb + j];
                    acc += x;
                    mag += Math.abs(x);
                }
                double old = beta == 0 ? 0 : beta * (double) c0[r * ldc + j];
                double want = alpha * acc + old + (bias == null ? 0 : bias[j]);
                double e = a.rowPtr()[i + 1] - a.rowPtr()[i];
                double bound =
                        (e + 3) * U * (Math.abs(alpha) * mag + Math.abs(old) + (bias == null ? 0 : Math.abs(bias[j])))
                                + 1e-30;
                float got = c[r * ldc + j];
                written[r * ldc + j] = true;
                if (!(Math.abs(got - want) <= bound)) {
                    fail("C[" + r + "," + j + "] = " + got + ", want " + want + " (bound " + bound + ") m=" + m + " n="
                            + n + " k=" + k + " alpha=" + alpha + " beta=" + beta + " bias=" + withBias
                            + " scatter=" + scatter + " memory=" + memory + " " + ctx);
                }
            }
        }
        for (int q = 0; q < c.length; q++) {
            if (!written[q] && Float.floatToRawIntBits(c[q]) != Float.floatToRawIntBits(c0[q])) {
                fail("C[" + q + "] is no output of the call, yet was written; " + ctx);
            }
        }
    }

    private static MemorySegment copy(Arena arena, float[] a) {
        return arena.allocate(4L * Math.max(1, a.length), 64).copyFrom(MemorySegment.ofArray(a));
    }

    private static MemorySegment copy(Arena arena, int[] a) {
        return arena.allocate(4L * Math.max(1, a.length), 64).copyFrom(MemorySegment.ofArray(a));
    }

    private static MemorySegment copy(Arena arena, long[] a) {
        return arena.allocate(8L * Math.max(1, a.length), 64).copyFrom(MemorySegment.ofArray(a));
    }

    /** Each rule of the contract broken once: an exception naming the row and the rule; C untouched. */
    @ParameterizedTest
    @MethodSource("impls")
    void brokenRulesNameTheRowAndWriteNothing(Impl impl) {
        Kernels kern = impl.activate();
        float[] b = new float[5 * 2], val = {1, 2, 3, 4, 5};
        record Case(String expect, long[] ptr, int[] col, int[] cRows, int cRowCount) {}
        List<Case> cases = List.of(
                new Case(
                        "sparse row 2: column index 5 (entry 4) is outside [0, 5)",
                        new long[] {0, 2, 3, 5},
                        new int[] {0, 3, 1, 2, 5},
                        null,
                        0),
                new Case(
                        "sparse row 2: column index -1 (entry 4) is outside [0, 5)",
                        new long[] {0, 2, 3, 5},
                        new int[] {0, 3, 1, 2, -1},
                        null,
                        0),
                new Case(
                        "sparse row 0: column indices must be strictly increasing within a row: 0 (entry 1) follows 0",
                        new long[] {0, 2, 3, 5},
                        new int[] {0, 0, 1, 2, 4},
                        null,
                        0),
                new Case(
                        "sparse row 2: column indices must be strictly increasing within a row: 2 (entry 4) follows 4",
                        new long[] {0, 2, 3, 5},
                        new int[] {0, 3, 1, 4, 2},
                        null,
                        0),
                new Case(
                        "sparse row 1: rowPtr[2] = 1 is less than rowPtr[1] = 2",
                        new long[] {0, 2, 1, 5},
                        new int[] {0, 3, 1, 2, 4},
                        null,
                        0),
                // found by SparseFuzzTest: an offset beyond the entries, decreasing only later,
                // made the checks read past colIdx (native: out of bounds) before the rule broke
                new Case(
                        "sparse row 0: rowPtr[1] = 7 is beyond the entry count rowPtr[3] = 5",
                        new long[] {0, 7, 3, 5},
                        new int[] {0, 3, 1, 2, 4},
                        null,
                        0),
                new Case(
                        "sparse row 0: rowPtr[0] = 1, must be 0",
                        new long[] {1, 2, 3, 5},
                        new int[] {0, 3, 1, 2, 4},
                        null,
                        0),
                new Case(
                        "sparse row 2: cRows must be strictly increasing: cRows[2] = 2 follows 2",
                        new long[] {0, 2, 3, 5},
                        new int[] {0, 3, 1, 2, 4},
                        new int[] {0, 2, 2},
                        4),
                new Case(
                        "sparse row 2: cRows[2] = 4 is outside [0, 4)",
                        new long[] {0, 2, 3, 5},
                        new int[] {0, 3, 1, 2, 4},
                        new int[] {0, 2, 4},
                        4));
        for (Case cs : cases) {
            float[] c = new float[4 * 2];
            Arrays.fill(c, 42f);
            var e = assertThrows(
                    IllegalArgumentException.class,
                    () -> kern.csrMatmul(
                            3, 2, 5, cs.ptr(), cs.col(), val, 1f, b, 2, null, 0f, c, 2, cs.cRows(), cs.cRowCount()),
                    cs.expect());
            assertEquals(cs.expect(), e.getMessage(), impl.toString());
            for (float x : c) assertEquals(42f, x, "C written on a rejected call: " + cs.expect());
        }
        if (kern instanceof CudaKernels gpu) {
            // the CSR matrix and C in GPU memory: checked on host copies, the same messages
            for (Case cs : cases) {
                float[] c = new float[4 * 2];
                Arrays.fill(c, 42f);
                int[] rows = cs.cRows() == null ? new int[3] : cs.cRows();
                try (DeviceBuffer dp = gpu.allocate(8L * cs.ptr().length).copyFrom(MemorySegment.ofArray(cs.ptr()));
                        DeviceBuffer dcol = gpu.allocate(4L * cs.col().length).copyFrom(cs.col());
                        DeviceBuffer drows = gpu.allocate(4L * rows.length).copyFrom(rows);
                        DeviceBuffer dc = gpu.allocate(4L * c.length).copyFrom(c)) {
                    var e = assertThrows(
                            IllegalArgumentException.class,
                            () -> kern.csrMatmul(
                                    3,
                                    2,
                                    5,
                                    dp.segment(),
                                    dcol.segment(),
                                    MemorySegment.ofArray(val),
                                    1f,
                                    MemorySegment.ofArray(b),
                                    2,
                                    null,
                                    0f,
                                    dc.segment(),
                                    2,
                                    cs.cRows() == null ? null : drows.segment(),
                                    cs.cRowCount()),
                            cs.expect());
                    assertEquals(cs.expect(), e.getMessage(), impl + ", GPU memory");
                    dc.copyTo(c);
                    for (float x : c) assertEquals(42f, x, "C written on a rejected call (GPU): " + cs.expect());
                }
            }
        }
        // shapes and buffers
        long[] ptr = {0, 2, 3, 5};
        int[] col = {0, 3, 1, 2, 4};
        float[] c = new float[6];
        assertThrows(
                IllegalArgumentException.class,
                () -> kern.csrMatmul(3, 2, 5, ptr, col, val, 1f, b, 1, null, 0f, c, 2, null, 0));
        assertThrows(
                IllegalArgumentException.class,
                () -> kern.csrMatmul(3, 2, 5, ptr, col, val, 1f, b, 2, null, 0f, c, 1, null, 0));
        assertThrows(
                IllegalArgumentException.class,
                () -> kern.csrMatmul(-1, 2, 5, ptr, col, val, 1f, b, 2, null, 0f, c, 2, null, 0));
        assertThrows(
                IllegalArgumentException.class,
                () -> kern.csrMatmul(3, 2, 5, ptr, new int[4], val, 1f, b, 2, null, 0f, c, 2, null, 0));
        assertThrows(
                IllegalArgumentException.class,
                () -> kern.csrMatmul(3, 2, 5, ptr, col, val, 1f, b, 2, null, 0f, new float[5], 2, null, 0));
        var overlap = assertThrows(
                IllegalArgumentException.class,
                () -> kern.csrMatmul(3, 2, 5, ptr, col, val, 1f, b, 2, null, 0f, b, 2, null, 0));
        assertTrue(overlap.getMessage().contains("overlaps"), overlap.getMessage());
        kern.csrMatmul(0, 2, 5, new long[] {0}, new int[0], new float[0], 1f, b, 2, null, 0f, new float[0], 2, null, 0);
    }
}
