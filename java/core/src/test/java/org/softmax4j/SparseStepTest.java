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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmax4j.cuda.CudaKernels;
import org.softmax4j.cuda.DeviceBuffer;
import org.softmax4j.internal.ReferenceKernels;

/**
 * {@link Kernels#csrSgdStep}, the fused sparse training step, of every
 * implementation (binding x ISA, CUDA where present, and the Java reference)
 * against the same step in double written out here: fresh random batches
 * each run (empty, sparse and dense rows, ignored targets, MEAN and SUM,
 * with and without a bias, weight rows padded), outputs poisoned with NaN,
 * arrays on the heap, in native memory or on the GPU; then the broken rules,
 * with V and the bias untouched.
 *
 * <p>Bounds, so that a run cannot fail by bad luck: a logit is a float sum of
 * e entries, |dz| <= B = (e + 3) u (|scale| sum|v w| + |b|); a probability then
 * errs by at most about 2B p (z and the log-sum-exp), and a gradient element by
 * 2B p / d plus 16 ulp for the exponential; each update element adds its
 * entries' |alpha v| times that, plus the float sums' (count + 2) u sum|terms|.
 * A wrong row, class or sign is an error of the size of the terms and fails.
 */
class SparseStepTest {
    static final double U = 0x1p-24;

    static List<Impl> impls() {
        return Impl.all();
    }

    @AfterAll
    static void restore() {
        Impl.restoreBestIsa();
    }

    @ParameterizedTest
    @MethodSource("impls")
    void randomStepsAgainstADoubleStep(Impl impl) {
        Kernels kern = impl.activate();
        randomSteps(kern, impl.toString());
    }

    @Test
    void referenceAgainstADoubleStep() {
        randomSteps(ReferenceKernels.INSTANCE, "reference");
    }

    private static void randomSteps(Kernels kern, String name) {
        long seed = TestData.seed();
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] widths = {1, 2, 3, 10, 16, 17, 58, 64, 65, 100, 129};
        for (int t = 0; t < 60; t++) {
            int m = 1 + rnd.nextInt(40), k = 1 + rnd.nextInt(60), c = widths[rnd.nextInt(widths.length)];
            one(
                    kern,
                    rnd,
                    m,
                    c,
                    k,
                    rnd.nextInt(3) > 0 ? Reduction.MEAN : Reduction.SUM,
                    rnd.nextInt(4) > 0,
                    name,
                    seed);
        }
        // enough work to split the update over threads (slices of classes)
        one(kern, rnd, 64, 300, 400, Reduction.MEAN, true, name, seed);
    }

    private static void one(
            Kernels kern,
            SplittableRandom rnd,
            int m,
            int c,
            int k,
            Reduction reduction,
            boolean withBias,
            String name,
            long seed) {
        SparseTest.Csr x = SparseTest.Csr.random(rnd, m, k);
        int ldv = c + rnd.nextInt(3);
        float scale = rnd.nextBoolean() ? 1f : (float) (0.5 + rnd.nextDouble());
        float lr = (float) (0.1 + rnd.nextDouble()), alpha = -lr / scale;
        float[] v0 = GemmTest.random(rnd, k * ldv), bias0 = withBias ? GemmTest.random(rnd, c) : null;
        int[] y = new int[m];
        for (int i = 0; i < m; i++) y[i] = rnd.nextInt(9) == 0 ? -100 : rnd.nextInt(c);
        CrossEntropy ce = CrossEntropy.defaults().withReduction(reduction);
        float[] v = v0.clone(), bias = bias0 == null ? null : bias0.clone(), z = new float[m * c];
        int[] argmax = new int[m];
        Arrays.fill(z, Float.NaN);
        Arrays.fill(argmax, -1);
        SparseTest.Memory memory = SparseTest.Memory.pick(kern, rnd);
        String ctx = name + " seed " + seed + " m=" + m + " c=" + c + " k=" + k + " " + reduction + " bias=" + withBias
                + " memory=" + memory;
        float loss = step(kern, memory, ce, x, y, scale, alpha, lr, v, ldv, bias, z, argmax);

        // the step in double
        double divisor = 0;
        for (int t : y) divisor += t != -100 ? 1 : 0;
        // every row ignored: a MEAN loss of 0/0 = NaN (as PyTorch's), and no gradient
        double d = reduction == Reduction.MEAN ? Math.max(divisor, 1) : 1;
        double[][] p = new double[m][c], g = new double[m][c];
        double[] zBound = new double[m];
        double total = 0, lossBound = 0;
        for (int i = 0; i < m; i++) {
            double[] zi = new double[c];
            double max = Double.NEGATIVE_INFINITY;
            int e = (int) (x.rowPtr()[i + 1] - x.rowPtr()[i]);
            for (int j = 0; j < c; j++) {
                double acc = 0, mag = 0;
                for (int q = (int) x.rowPtr()[i]; q < x.rowPtr()[i + 1]; q++) {
                    acc += (double) x.val()[q] * v0[x.col()[q] * ldv + j];
                    mag += Math.abs((double) x.val()[q] * v0[x.col()[q] * ldv + j]);
                }
                double b = bias0 == null ? 0 : bias0[j];
                zi[j] = scale * acc + b;
                zBound[i] = Math.max(zBound[i], (e + 3) * U * (Math.abs(scale) * mag + Math.abs(b)));
                max = Math.max(max, zi[j]);
            }
            if (zi[argmax[i]] < max - 2 * zBound[i] - 1e-30) {
                fail("argmax of row " + i + " is " + argmax[i] + ": " + zi[argmax[i]] + " < max " + max + "; " + ctx);
            }
            double sum = 0;
            for (int j = 0; j < c; j++) sum += Math.exp(zi[j] - max);
            double lse = max + Math.log(sum);
            if (y[i] == -100) continue;
            total += lse - zi[y[i]];
            lossBound += 2 * zBound[i] + 16 * U * (Math.abs(lse) + Math.abs(zi[y[i]]));
            for (int j = 0; j < c; j++) {
                p[i][j] = Math.exp(zi[j] - lse);
                g[i][j] = (p[i][j] - (j == y[i] ? 1 : 0)) / d;
            }
        }
        if (reduction == Reduction.MEAN) {
            total /= divisor;
            lossBound /= divisor;
        }
        double lossTol = lossBound + (m + 2) * U * Math.abs(total) + 1e-30;
        if (Double.isNaN(total) ? !Float.isNaN(loss) : !(Math.abs(loss - total) <= lossTol))
            fail("loss " + loss + ", want " + total + "; " + ctx);
        // the gradient element's bound, G left in the logits
        var gBound = new Object() {
            double of(int i, int j) {
                return (2 * zBound[i] * p[i][j] + 16 * U * (p[i][j] + (j == y[i] ? 1 : 0))) / d;
            }
        };
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < c; j++) {
                if (!(Math.abs(z[i * c + j] - g[i][j]) <= gBound.of(i, j) + 1e-30)) {
                    fail("G[" + i + "," + j + "] = " + z[i * c + j] + ", want " + g[i][j] + "; " + ctx);
                }
            }
        }
        for (int j = 0; bias != null && j < c; j++) {
            double sum = 0, mag = 0, err = 0;
            for (int i = 0; i < m; i++) {
                sum += g[i][j];
                mag += Math.abs(g[i][j]);
                err += gBound.of(i, j);
            }
            double want = bias0[j] - (double) lr * sum;
            double tol = lr * err + (m + 3) * U * (Math.abs(bias0[j]) + lr * mag) + 1e-30;
            if (!(Math.abs(bias[j] - want) <= tol))
                fail("bias[" + j + "] = " + bias[j] + ", want " + want + "; " + ctx);
        }
        double[] dv = new double[k * ldv], mag = new double[k * ldv], err = new double[k * ldv];
        int[] count = new int[k * ldv];
        for (int i = 0; i < m; i++) {
            for (int q = (int) x.rowPtr()[i]; q < x.rowPtr()[i + 1]; q++) {
                double a = (double) alpha * x.val()[q];
                for (int j = 0; j < c; j++) {
                    int at = x.col()[q] * ldv + j;
                    dv[at] += a * g[i][j];
                    mag[at] += Math.abs(a * g[i][j]);
                    err[at] += Math.abs(a) * gBound.of(i, j);
                    count[at]++;
                }
            }
        }
        for (int at = 0; at < v.length; at++) {
            if (count[at] == 0) {
                if (Float.floatToRawIntBits(v[at]) != Float.floatToRawIntBits(v0[at])) {
                    fail("V[" + at + "] is in no row of the batch, yet was written; " + ctx);
                }
                continue;
            }
            double want = v0[at] + dv[at];
            double tol = err[at] + (count[at] + 3) * U * (Math.abs(v0[at]) + mag[at]) + 1e-30;
            if (!(Math.abs(v[at] - want) <= tol)) {
                fail("V[" + at / ldv + "," + at % ldv + "] = " + v[at] + ", want " + want + " (bound " + tol + "); "
                        + ctx);
            }
        }
    }

    /** The call, with its arrays where {@code memory} says; results back in the arrays. */
    private static float step(
            Kernels kern,
            SparseTest.Memory memory,
            CrossEntropy ce,
            SparseTest.Csr x,
            int[] y,
            float scale,
            float alpha,
            float lr,
            float[] v,
            int ldv,
            float[] bias,
            float[] z,
            int[] argmax) {
        int m = x.m(), c = z.length / m, k = x.k();
        if (memory == SparseTest.Memory.HEAP) {
            return kern.csrSgdStep(
                    ce, m, c, k, x.rowPtr(), x.col(), x.val(), y, scale, alpha, lr, v, ldv, bias, z, argmax);
        }
        List<DeviceBuffer> held = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            var place = new Object() {
                MemorySegment of(MemorySegment host) {
                    if (memory == SparseTest.Memory.NATIVE) {
                        return arena.allocate(Math.max(8, host.byteSize()), 64).copyFrom(host);
                    }
                    DeviceBuffer b = ((CudaKernels) kern).allocate(Math.max(8, host.byteSize()));
                    held.add(b);
                    return b.copyFrom(host).segment();
                }
            };
            MemorySegment vs = place.of(MemorySegment.ofArray(v)),
                    bs = bias == null ? null : place.of(MemorySegment.ofArray(bias)),
                    zs = place.of(MemorySegment.ofArray(z)),
                    as = place.of(MemorySegment.ofArray(argmax));
            float loss = kern.csrSgdStep(
                    ce,
                    m,
                    c,
                    k,
                    place.of(MemorySegment.ofArray(x.rowPtr())),
                    place.of(MemorySegment.ofArray(x.col())),
                    place.of(MemorySegment.ofArray(x.val())),
                    place.of(MemorySegment.ofArray(y)),
                    scale,
                    alpha,
                    lr,
                    vs,
                    ldv,
                    bs,
                    zs,
                    as);
            MemorySegment.copy(vs, ValueLayout.JAVA_FLOAT, 0, v, 0, v.length);
            if (bias != null) MemorySegment.copy(bs, ValueLayout.JAVA_FLOAT, 0, bias, 0, bias.length);
            MemorySegment.copy(zs, ValueLayout.JAVA_FLOAT, 0, z, 0, z.length);
            MemorySegment.copy(as, ValueLayout.JAVA_INT, 0, argmax, 0, argmax.length);
            return loss;
        } finally {
            held.forEach(DeviceBuffer::close);
        }
    }

    /** A bad batch or target: an exception naming the row; V, the bias and the logits untouched. */
    @ParameterizedTest
    @MethodSource("impls")
    void brokenRulesNameTheRowAndWriteNothing(Impl impl) {
        Kernels kern = impl.activate();
        brokenRules(kern, impl.toString());
    }

    @Test
    void referenceBrokenRules() {
        brokenRules(ReferenceKernels.INSTANCE, "reference");
    }

    private static void brokenRules(Kernels kern, String name) {
        long[] ptr = {0, 2, 3};
        float[] val = {1, 2, 3};
        CrossEntropy mean = CrossEntropy.defaults();
        record Case(int[] col, int[] y, CrossEntropy ce, String expect) {}
        for (Case bad : List.of(
                new Case(
                        new int[] {0, 2, 3},
                        new int[] {1, 0},
                        mean,
                        "sparse row 1: column index 3 (entry 2) is outside [0, 3)"),
                new Case(
                        new int[] {2, 0, 1},
                        new int[] {1, 0},
                        mean,
                        "sparse row 0: column indices must be strictly increasing within a row: 0 (entry 1) follows 2"),
                new Case(new int[] {0, 2, 1}, new int[] {1, 2}, mean, "targets[1] = 2 is outside [0, 2)"),
                new Case(
                        new int[] {0, 2, 1},
                        new int[] {1, 0},
                        mean.withReduction(Reduction.NONE),
                        "csrSgdStep needs a reduced loss (MEAN or SUM), not NONE"))) {
            float[] v = new float[6], bias = new float[2], z = new float[4];
            Arrays.fill(v, 42f);
            Arrays.fill(bias, 42f);
            Arrays.fill(z, 42f);
            var e = assertThrows(
                    IllegalArgumentException.class,
                    () -> kern.csrSgdStep(
                            bad.ce(), 2, 2, 3, ptr, bad.col(), val, bad.y(), 1f, -0.1f, 0.1f, v, 2, bias, z, null),
                    name + ": " + bad.expect());
            assertTrue(e.getMessage().startsWith(bad.expect()), name + ": " + e.getMessage());
            for (float[] a : new float[][] {v, bias, z}) {
                for (float q : a) assertEquals(42f, q, name + ": written on a rejected call: " + bad.expect());
            }
        }
        int[] col = {0, 2, 1}, y = {1, 0};
        float[] v = new float[6], z = new float[4];
        assertThrows(
                IllegalArgumentException.class,
                () -> kern.csrSgdStep(mean, 2, 2, 3, ptr, col, val, y, 1f, -0.1f, 0.1f, v, 1, null, z, null),
                "ldv < c");
        assertThrows(
                IllegalArgumentException.class,
                () -> kern.csrSgdStep(mean, 2, 2, 3, ptr, col, val, y, 1f, -0.1f, 0.1f, v, 2, null, new float[3], null),
                "logits too small");
        var overlap = assertThrows(
                IllegalArgumentException.class,
                () -> kern.csrSgdStep(mean, 2, 2, 3, ptr, col, val, y, 1f, -0.1f, 0.1f, v, 2, null, v, null));
        assertTrue(overlap.getMessage().contains("overlaps"), overlap.getMessage());
        assertTrue(Float.isNaN(kern.csrSgdStep(
                mean,
                0,
                2,
                3,
                new long[] {0},
                new int[0],
                new float[0],
                new int[0],
                1f,
                -0.1f,
                0.1f,
                v,
                2,
                null,
                new float[0],
                null)));
    }
}
