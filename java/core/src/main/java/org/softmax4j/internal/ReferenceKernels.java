package org.softmax4j.internal;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

import java.lang.foreign.MemorySegment;
import org.softmax4j.CeOutputs;
import org.softmax4j.CrossEntropy;
import org.softmax4j.DType;
import org.softmax4j.HalfFloats;
import org.softmax4j.LinearCe;
import org.softmax4j.LinearCeOutputs;
import org.softmax4j.Reduction;

/**
 * Pure-Java kernels with double accumulation: the oracle every other
 * implementation is tested against. Written for clarity, not speed; each
 * formula is the mathematical definition, evaluated in the stable form
 * (max subtracted; lse - x_k as (max - x_k) + log sum). Every output is
 * rounded to float once, so it is infinite only where the exact value is
 * beyond float range: the rule the native kernels keep too (softmax4j.h,
 * native/common/ce_row.h), logits up to +-Float.MAX_VALUE included.
 */
public final class ReferenceKernels extends AbstractKernels {
    public static final ReferenceKernels INSTANCE = new ReferenceKernels();

    private ReferenceKernels() {}

    @Override
    public String name() {
        return "reference (Java, double)";
    }

    static double load(MemorySegment s, DType dtype, long i) {
        return switch (dtype) {
            case F32 -> s.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
            case BF16, F16 -> HalfFloats.toFloat(dtype, s.getAtIndex(JAVA_SHORT_UNALIGNED, i));
            case U8 -> s.get(JAVA_BYTE, i) & 0xff;
        };
    }

    static void store(MemorySegment s, DType dtype, long i, double v) {
        switch (dtype) {
            case F32 -> s.setAtIndex(JAVA_FLOAT_UNALIGNED, i, (float) v);
            case BF16, F16 -> s.setAtIndex(JAVA_SHORT_UNALIGNED, i, HalfFloats.fromFloat(dtype, (float) v));
            case U8 -> throw new IllegalArgumentException("no U8 outputs");
        }
    }

    /** Row statistics: max, log of sum exp(x - max), and PyTorch's argmax. */
    private record RowStats(double max, double logSum, int argmax) {
        static RowStats of(double[] x) {
            double m = Double.NEGATIVE_INFINITY;
            int am = 0;
            for (int k = 0; k < x.length; k++) {
                if (Double.isNaN(x[k])) { // NaN is the maximum, as in torch.argmax
                    m = Double.NaN;
                    am = k;
                    break;
                }
                if (x[k] > m) {
                    m = x[k];
                    am = k;
                }
            }
            double s = 0;
            for (double v : x) s += Math.exp(v - m);
            return new RowStats(m, Math.log(s), am);
        }
    }

    private static double[] row(MemorySegment s, DType dtype, long r, int c) {
        double[] x = new double[c];
        for (int k = 0; k < c; k++) x[k] = load(s, dtype, r * c + k);
        return x;
    }

    @Override
    protected void softmaxImpl(int n, int c, MemorySegment x, MemorySegment y, boolean log) {
        for (long r = 0; r < n; r++) {
            double[] v = row(x, DType.F32, r, c);
            RowStats st = RowStats.of(v);
            for (int k = 0; k < c; k++) {
                double lp = (v[k] - st.max) - st.logSum;
                store(y, DType.F32, r * c + k, log ? lp : Math.exp(lp));
            }
        }
    }

    @Override
    protected float crossEntropyImpl(
            CrossEntropy ce, int n, int c, DType dtype, MemorySegment logits, MemorySegment targets, CeOutputs out) {
        checkTargets(targets, n, c, ce.ignoreIndex());
        float[] w = ce.classWeight();
        double eps = ce.labelSmoothing(), zc = ce.zLoss();
        double wSum = 0, divisor = 0;
        for (int k = 0; k < c; k++) wSum += w == null ? 1 : w[k];
        for (long r = 0; r < n; r++) {
            int y = targets.getAtIndex(JAVA_INT_UNALIGNED, r);
            if (y != ce.ignoreIndex()) divisor += w == null ? 1 : w[y];
        }
        double scale = ce.reduction() == Reduction.MEAN ? ce.gradScale() / divisor : ce.gradScale();
        double total = 0;
        for (long r = 0; r < n; r++) {
            double[] x = row(logits, dtype, r, c);
            RowStats st = RowStats.of(x);
            // every logit -inf: log sum exp = log 0 = -inf, as the native kernels and torch.logsumexp
            // (not NaN from -inf - -inf; the row's loss and gradient are NaN all the same)
            double lse = st.max == Double.NEGATIVE_INFINITY ? st.max : st.max + st.logSum;
            if (out.rowLse() != null) out.rowLse().setAtIndex(JAVA_FLOAT_UNALIGNED, r, (float) lse);
            if (out.rowArgmax() != null) out.rowArgmax().setAtIndex(JAVA_INT_UNALIGNED, r, st.argmax);
            int y = targets.getAtIndex(JAVA_INT_UNALIGNED, r);
            if (y == ce.ignoreIndex()) {
                if (out.rowLoss() != null) out.rowLoss().setAtIndex(JAVA_FLOAT_UNALIGNED, r, 0f);
                if (out.dlogits() != null) {
                    for (int k = 0; k < c; k++) store(out.dlogits(), dtype, r * c + k, 0);
                }
                continue;
            }
            double wy = w == null ? 1 : w[y];
            double loss = (1 - eps) * wy * ((st.max - x[y]) + st.logSum);
            if (eps != 0) {
                double smooth = 0;
                for (int k = 0; k < c; k++) smooth += (w == null ? 1 : w[k]) * ((st.max - x[k]) + st.logSum);
                loss += eps / c * smooth;
            }
            if (zc != 0) loss += zc * lse * lse;
            total += loss;
            if (out.rowLoss() != null) out.rowLoss().setAtIndex(JAVA_FLOAT_UNALIGNED, r, (float) loss);
            if (out.dlogits() != null) {
                // d loss_i / d x_k = p_k A - eps w_k / c - [k == y] (1 - eps) w_y
                double a = (1 - eps) * wy + eps * wSum / c + 2 * zc * lse;
                for (int k = 0; k < c; k++) {
                    double p = Math.exp((x[k] - st.max) - st.logSum);
                    double g = p * a - eps * (w == null ? 1 : w[k]) / c - (k == y ? (1 - eps) * wy : 0);
                    store(out.dlogits(), dtype, r * c + k, scale * g);
                }
            }
        }
        return (float) (ce.reduction() == Reduction.MEAN ? total / divisor : total);
    }

    // ---- fused linear + cross-entropy: materialised, one row at a time ------

    @Override
    public long linearCrossEntropyWorkspaceBytes(int n, int d, int v, LinearCe lin) {
        return 0;
    }

    @Override
    protected float linearCrossEntropyImpl(
            CrossEntropy ce,
            LinearCe lin,
            int n,
            int d,
            int v,
            MemorySegment x,
            MemorySegment w,
            MemorySegment bias,
            MemorySegment targets,
            LinearCeOutputs out) {
        checkTargets(targets, n, v, ce.ignoreIndex());
        float[] cw = ce.classWeight();
        double eps = ce.labelSmoothing(), zc = ce.zLoss(), cap = lin.softcap();
        double wSum = 0, divisor = 0, total = 0;
        for (int k = 0; k < v; k++) wSum += cw == null ? 1 : cw[k];
        for (long r = 0; r < n; r++) {
            int y = targets.getAtIndex(JAVA_INT_UNALIGNED, r);
            if (y != ce.ignoreIndex()) divisor += cw == null ? 1 : cw[y];
        }
        double scale = ce.reduction() == Reduction.MEAN ? ce.gradScale() / divisor : ce.gradScale();
        double[] dw = new double[Math.multiplyExact(v, d)], db = new double[v];
        double[] z = new double[v], xr = new double[d];
        for (long r = 0; r < n; r++) {
            for (int p = 0; p < d; p++) xr[p] = get(x, r * d + p);
            double m = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < v; k++) {
                double u = bias == null ? 0 : get(bias, k);
                for (int p = 0; p < d; p++) u += xr[p] * get(w, (long) k * d + p);
                z[k] = cap > 0 ? cap * Math.tanh(u / cap) : u;
                m = Math.max(m, z[k]);
            }
            double s = 0;
            for (int k = 0; k < v; k++) s += Math.exp(z[k] - m);
            double logSum = Math.log(s), lse = m + logSum;
            if (out.rowLse() != null) set(out.rowLse(), r, (float) lse);
            int y = targets.getAtIndex(JAVA_INT_UNALIGNED, r);
            double[] dxr = new double[d];
            if (y != ce.ignoreIndex()) {
                double wy = cw == null ? 1 : cw[y];
                double loss = (1 - eps) * wy * ((m - z[y]) + logSum);
                if (eps != 0) {
                    double smooth = 0;
                    for (int k = 0; k < v; k++) smooth += (cw == null ? 1 : cw[k]) * ((m - z[k]) + logSum);
                    loss += eps / v * smooth;
                }
                if (zc != 0) loss += zc * lse * lse;
                total += loss;
                if (out.rowLoss() != null) set(out.rowLoss(), r, (float) loss);
                double a = (1 - eps) * wy + eps * wSum / v + 2 * zc * lse;
                for (int k = 0; k < v; k++) {
                    double g = Math.exp((z[k] - m) - logSum) * a
                            - eps * (cw == null ? 1 : cw[k]) / v
                            - (k == y ? (1 - eps) * wy : 0);
                    g *= scale;
                    if (cap > 0) g *= 1 - (z[k] / cap) * (z[k] / cap); // d cap tanh(u/cap) / du
                    db[k] += g;
                    for (int p = 0; p < d; p++) {
                        dxr[p] += g * get(w, (long) k * d + p);
                        dw[k * d + p] += g * xr[p];
                    }
                }
            } else if (out.rowLoss() != null) {
                set(out.rowLoss(), r, 0f);
            }
            if (out.dx() != null) for (int p = 0; p < d; p++) set(out.dx(), r * d + p, (float) dxr[p]);
        }
        if (out.dw() != null) for (int i = 0; i < dw.length; i++) set(out.dw(), i, (float) dw[i]);
        if (out.db() != null) for (int k = 0; k < v; k++) set(out.db(), k, (float) db[k]);
        return (float) (ce.reduction() == Reduction.MEAN ? total / divisor : total);
    }

    // ---- GEMM and the training-step helpers ---------------------------------

    private static float get(MemorySegment s, long i) {
        return s.getAtIndex(JAVA_FLOAT_UNALIGNED, i);
    }

    private static void set(MemorySegment s, long i, float v) {
        s.setAtIndex(JAVA_FLOAT_UNALIGNED, i, v);
    }

    @Override
    protected void sgemmImpl(
            boolean transA,
            boolean transB,
            int m,
            int n,
            int k,
            float alpha,
            MemorySegment a,
            int lda,
            MemorySegment b,
            int ldb,
            float beta,
            MemorySegment c,
            int ldc) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double acc = 0;
                // alpha == 0: A and B are not read (BLAS, and the native kernels), so NaN there does not leak
                for (int p = 0; alpha != 0 && p < k; p++) {
                    double av = get(a, transA ? (long) p * lda + i : (long) i * lda + p);
                    double bv = get(b, transB ? (long) j * ldb + p : (long) p * ldb + j);
                    acc += av * bv;
                }
                long at = (long) i * ldc + j;
                // beta == 0: C is not read, so NaN there does not leak
                double old = beta == 0 ? 0 : beta * (double) get(c, at);
                set(c, at, (float) (alpha * acc + old));
            }
        }
    }

    @Override
    protected void addBiasImpl(int n, int c, MemorySegment bias, MemorySegment y) {
        for (long i = 0; i < (long) n * c; i++) set(y, i, get(y, i) + get(bias, i % c));
    }

    @Override
    protected void columnSumsImpl(int n, int c, float alpha, MemorySegment x, float beta, MemorySegment out) {
        for (int j = 0; j < c; j++) {
            double acc = 0;
            for (long i = 0; i < n; i++) acc += get(x, i * c + j);
            double old = beta == 0 ? 0 : beta * (double) get(out, j);
            set(out, j, (float) (alpha * acc + old));
        }
    }

    @Override
    protected void gatherRowsImpl(
            int rows,
            int cols,
            DType srcType,
            MemorySegment src,
            long srcRows,
            MemorySegment index,
            float scale,
            MemorySegment shift,
            MemorySegment colScale,
            MemorySegment out) {
        checkIndex(index, rows, srcRows);
        for (long i = 0; i < rows; i++) {
            long from = (long) index.getAtIndex(JAVA_INT_UNALIGNED, i) * cols;
            for (long j = 0; j < cols; j++) {
                double x = load(src, srcType, from + j);
                if (shift != null) x -= get(shift, j);
                if (colScale != null) x *= get(colScale, j);
                set(out, i * cols + j, (float) (scale * x));
            }
        }
    }

    @Override
    protected void sgdStepImpl(
            long count,
            float lr,
            float momentum,
            float weightDecay,
            MemorySegment w,
            MemorySegment g,
            MemorySegment v) {
        for (long i = 0; i < count; i++) {
            float d = get(g, i) + weightDecay * get(w, i);
            if (v != null) {
                d = momentum * get(v, i) + d;
                set(v, i, d);
            }
            set(w, i, get(w, i) - lr * d);
        }
    }

    @Override
    protected void csrMatmulImpl(
            int m,
            int n,
            int k,
            MemorySegment rowPtr,
            MemorySegment colIdx,
            MemorySegment values,
            float alpha,
            MemorySegment b,
            int ldb,
            MemorySegment bias,
            float beta,
            MemorySegment c,
            int ldc,
            MemorySegment cRows,
            int cRowCount) {
        checkCsr(m, k, rowPtr, colIdx, cRows, cRowCount);
        for (long i = 0; i < m; i++) {
            long r = cRows == null ? i : cRows.getAtIndex(JAVA_INT_UNALIGNED, i);
            long p0 = rowPtr.getAtIndex(JAVA_LONG_UNALIGNED, i), p1 = rowPtr.getAtIndex(JAVA_LONG_UNALIGNED, i + 1);
            for (long j = 0; j < n; j++) {
                double acc = 0;
                for (long p = p0; p < p1; p++) {
                    acc += (double) get(values, p) * get(b, colIdx.getAtIndex(JAVA_INT_UNALIGNED, p) * (long) ldb + j);
                }
                double out = alpha * acc + (beta == 0 ? 0 : beta * (double) get(c, r * ldc + j));
                if (bias != null) out += get(bias, j);
                set(c, r * ldc + j, (float) out);
            }
        }
    }

    /** The step of its definition: forward, cross-entropy and updates, each sum in double. */
    @Override
    protected float csrSgdStepImpl(
            CrossEntropy ce,
            int m,
            int c,
            int k,
            MemorySegment rowPtr,
            MemorySegment colIdx,
            MemorySegment values,
            MemorySegment targets,
            float scale,
            float alpha,
            float biasLr,
            MemorySegment v,
            int ldv,
            MemorySegment bias,
            MemorySegment logits,
            MemorySegment rowArgmax) {
        checkCsr(m, k, rowPtr, colIdx, null, 0);
        checkTargets(targets, m, c, ce.ignoreIndex());
        csrMatmulImpl(m, c, k, rowPtr, colIdx, values, scale, v, ldv, bias, 0f, logits, c, null, 0);
        float loss = crossEntropyImpl(
                ce, m, c, DType.F32, logits, targets, CeOutputs.gradient(logits).withRowArgmax(rowArgmax));
        if (bias != null) {
            for (long j = 0; j < c; j++) {
                double sum = 0;
                for (long i = 0; i < m; i++) sum += get(logits, i * c + j);
                set(bias, j, (float) (get(bias, j) - (double) biasLr * sum));
            }
        }
        // V[col, :] += alpha sum over the entries of col of value G[row, :], one rounding per element
        java.util.Map<Integer, double[]> update = new java.util.TreeMap<>();
        for (long i = 0; i < m; i++) {
            for (long p = rowPtr.getAtIndex(JAVA_LONG_UNALIGNED, i);
                    p < rowPtr.getAtIndex(JAVA_LONG_UNALIGNED, i + 1);
                    p++) {
                double[] u = update.computeIfAbsent(colIdx.getAtIndex(JAVA_INT_UNALIGNED, p), col -> new double[c]);
                double a = (double) alpha * get(values, p);
                for (int j = 0; j < c; j++) u[j] += a * get(logits, i * c + j);
            }
        }
        for (var e : update.entrySet()) {
            long row = (long) e.getKey() * ldv;
            for (int j = 0; j < c; j++) set(v, row + j, (float) (get(v, row + j) + e.getValue()[j]));
        }
        return loss;
    }
}
