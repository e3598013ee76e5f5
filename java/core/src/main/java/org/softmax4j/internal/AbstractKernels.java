package org.softmax4j.internal;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.MemorySegment;
import org.softmax4j.CeOutputs;
import org.softmax4j.CrossEntropy;
import org.softmax4j.DType;
import org.softmax4j.Kernels;
import org.softmax4j.LinearCe;
import org.softmax4j.LinearCeOutputs;
import org.softmax4j.Reduction;

/**
 * Argument validation shared by every {@link Kernels} implementation, so that
 * all of them reject the same inputs with the same messages; subclasses
 * implement the {@code *Impl} methods on arguments already checked, except
 * for the values of targets and gather indices: those the implementation
 * checks before writing anything ({@link #checkTargets}, {@link #checkIndex},
 * or in native code, throwing {@link #badTarget}/{@link #badIndex}). A Java
 * loop over them here cost more than the kernel while the JIT warmed up.
 */
abstract class AbstractKernels implements Kernels {

    protected AbstractKernels() {}

    protected abstract void softmaxImpl(int n, int c, MemorySegment x, MemorySegment y, boolean log);

    protected abstract float crossEntropyImpl(
            CrossEntropy ce, int n, int c, DType dtype, MemorySegment logits, MemorySegment targets, CeOutputs out);

    protected abstract float linearCrossEntropyImpl(
            CrossEntropy ce,
            LinearCe lin,
            int n,
            int d,
            int v,
            MemorySegment x,
            MemorySegment w,
            MemorySegment bias,
            MemorySegment targets,
            LinearCeOutputs out);

    protected abstract void sgemmImpl(
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
            int ldc);

    protected abstract void addBiasImpl(int n, int c, MemorySegment bias, MemorySegment y);

    protected abstract void columnSumsImpl(int n, int c, float alpha, MemorySegment x, float beta, MemorySegment out);

    protected abstract void gatherRowsImpl(
            int rows,
            int cols,
            DType srcType,
            MemorySegment src,
            long srcRows,
            MemorySegment index,
            float scale,
            MemorySegment shift,
            MemorySegment colScale,
            MemorySegment out);

    protected abstract void sgdStepImpl(
            long count, float lr, float momentum, float weightDecay, MemorySegment w, MemorySegment g, MemorySegment v);

    /** Arguments checked but for the CSR rules of each row ({@link #checkCsr} / {@link #badCsr}). */
    protected abstract void csrMatmulImpl(
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
            int cRowCount);

    /** Arguments checked but for the CSR rules of each row and the values of the targets. */
    protected abstract float csrSgdStepImpl(
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
            MemorySegment rowArgmax);

    @Override
    public final void softmax(int n, int c, MemorySegment x, MemorySegment y) {
        checkSoftmax(n, c, x, y);
        if (n > 0) softmaxImpl(n, c, x, y, false);
    }

    @Override
    public final void logSoftmax(int n, int c, MemorySegment x, MemorySegment y) {
        checkSoftmax(n, c, x, y);
        if (n > 0) softmaxImpl(n, c, x, y, true);
    }

    @Override
    public final float crossEntropy(
            CrossEntropy ce, int n, int c, DType dtype, MemorySegment logits, MemorySegment targets, CeOutputs out) {
        if (ce == null) throw new IllegalArgumentException("cross-entropy options are null");
        if (dtype == null) throw new IllegalArgumentException("dtype is null");
        if (dtype == DType.U8) throw new IllegalArgumentException("logits cannot be U8 (that is for stored features)");
        if (out == null) throw new IllegalArgumentException("outputs are null (use CeOutputs.none())");
        checkShape(n, c);
        long elems = (long) n * c;
        input("logits", logits, elems, dtype.byteSize());
        input("targets", targets, n, 4);
        if (ce.classWeight() != null && ce.classWeight().length != c) {
            throw new IllegalArgumentException(
                    "classWeight has " + ce.classWeight().length + " entries for " + c + " classes");
        }
        output("dlogits", out.dlogits(), elems, dtype.byteSize(), false);
        output("rowLoss", out.rowLoss(), n, 4, ce.reduction() == Reduction.NONE);
        output("rowLse", out.rowLse(), n, 4, false);
        output("rowArgmax", out.rowArgmax(), n, 4, false);
        sameOrDisjoint("logits", logits, "dlogits", out.dlogits());
        for (var o : new MemorySegment[] {out.rowLoss(), out.rowLse(), out.rowArgmax()}) {
            disjoint(o, logits);
            disjoint(o, out.dlogits());
            disjoint(o, targets);
        }
        if (n == 0) return ce.reduction() == Reduction.MEAN ? Float.NaN : 0f;
        return crossEntropyImpl(ce, n, c, dtype, logits, targets, out);
    }

    @Override
    public final void sgemm(
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
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("sgemm sizes must be >= 0: m=" + m + " n=" + n + " k=" + k);
        }
        matrix("A", a, transA ? k : m, transA ? m : k, lda, false);
        matrix("B", b, transB ? n : k, transB ? k : n, ldb, false);
        matrix("C", c, m, n, ldc, true);
        disjoint(c, a);
        disjoint(c, b);
        if (m == 0 || n == 0) return;
        sgemmImpl(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    @Override
    public final void addBias(int n, int c, MemorySegment bias, MemorySegment y) {
        checkShape(n, c);
        input("bias", bias, c, 4);
        output("y", y, (long) n * c, 4, true);
        disjoint(bias, y);
        if (n > 0) addBiasImpl(n, c, bias, y);
    }

    @Override
    public final void columnSums(int n, int c, float alpha, MemorySegment x, float beta, MemorySegment out) {
        checkShape(n, c);
        input("x", x, (long) n * c, 4);
        output("out", out, c, 4, true);
        disjoint(x, out);
        columnSumsImpl(n, c, alpha, x, beta, out);
    }

    @Override
    public final void gatherRows(
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
        if (rows < 0 || cols < 0 || srcRows < 0) {
            throw new IllegalArgumentException(
                    "gatherRows sizes must be >= 0: rows=" + rows + " cols=" + cols + " srcRows=" + srcRows);
        }
        if (srcType != DType.U8 && srcType != DType.F32) {
            throw new IllegalArgumentException("gatherRows reads U8 or F32 rows, not " + srcType);
        }
        input("src", src, product("src", srcRows, cols), srcType.byteSize());
        input("index", index, rows, 4);
        if (shift != null) input("shift", shift, cols, 4);
        if (colScale != null) input("colScale", colScale, cols, 4);
        output("out", out, (long) rows * cols, 4, true);
        for (MemorySegment in : new MemorySegment[] {src, index, shift, colScale}) disjoint(in, out);
        if (rows > 0) gatherRowsImpl(rows, cols, srcType, src, srcRows, index, scale, shift, colScale, out);
    }

    @Override
    public final void sgdStep(
            long count,
            float lr,
            float momentum,
            float weightDecay,
            MemorySegment w,
            MemorySegment g,
            MemorySegment v) {
        if (count < 0) throw new IllegalArgumentException("count = " + count + " is negative");
        if (!Float.isFinite(lr) || !(momentum >= 0 && momentum < 1) || !Float.isFinite(weightDecay)) {
            throw new IllegalArgumentException("sgdStep: lr " + lr + ", momentum " + momentum
                    + " (in [0, 1)), weight decay " + weightDecay + " must be finite");
        }
        output("w", w, count, 4, true);
        input("g", g, count, 4);
        output("v", v, count, 4, momentum != 0);
        disjoint(w, g);
        disjoint(w, v);
        disjoint(g, v);
        if (count > 0) sgdStepImpl(count, lr, momentum, weightDecay, w, g, momentum != 0 ? v : null);
    }

    @Override
    public final void csrMatmul(
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
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("csrMatmul sizes must be >= 0: m=" + m + " n=" + n + " k=" + k);
        }
        if (cRows != null && cRowCount < 0) throw new IllegalArgumentException("cRowCount = " + cRowCount + " < 0");
        input("rowPtr", rowPtr, (long) m + 1, 8);
        long nnz = m == 0 ? 0 : csrEntryCount(rowPtr, m);
        if (nnz < 0)
            throw new IllegalArgumentException("rowPtr[" + m + "] = " + nnz + " (the entry count) is negative");
        input("colIdx", colIdx, nnz, 4);
        input("values", values, nnz, 4);
        matrix("B", b, k, n, ldb, false);
        if (bias != null) input("bias", bias, n, 4);
        if (cRows != null) input("cRows", cRows, m, 4);
        matrix("C", c, cRows != null ? cRowCount : m, n, ldc, true);
        for (MemorySegment in : new MemorySegment[] {rowPtr, colIdx, values, b, bias, cRows}) disjoint(in, c);
        if (m == 0 || n == 0) return;
        csrMatmulImpl(m, n, k, rowPtr, colIdx, values, alpha, b, ldb, bias, beta, c, ldc, cRows, cRowCount);
    }

    @Override
    public final float csrSgdStep(
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
        if (ce == null) throw new IllegalArgumentException("cross-entropy options are null");
        if (ce.reduction() == Reduction.NONE) {
            throw new IllegalArgumentException("csrSgdStep needs a reduced loss (MEAN or SUM), not NONE");
        }
        if (m < 0 || c < 1 || k < 0) {
            throw new IllegalArgumentException(
                    "csrSgdStep sizes: m=" + m + " >= 0, c=" + c + " >= 1, k=" + k + " >= 0 required");
        }
        if (ce.classWeight() != null && ce.classWeight().length != c) {
            throw new IllegalArgumentException(
                    "classWeight has " + ce.classWeight().length + " entries for " + c + " classes");
        }
        input("rowPtr", rowPtr, (long) m + 1, 8);
        long nnz = m == 0 ? 0 : csrEntryCount(rowPtr, m);
        if (nnz < 0)
            throw new IllegalArgumentException("rowPtr[" + m + "] = " + nnz + " (the entry count) is negative");
        input("colIdx", colIdx, nnz, 4);
        input("values", values, nnz, 4);
        input("targets", targets, m, 4);
        matrix("V", v, k, c, ldv, true);
        if (bias != null) input("bias", bias, c, 4);
        output("logits", logits, (long) m * c, 4, true);
        output("rowArgmax", rowArgmax, m, 4, false);
        MemorySegment[] written = {v, bias, logits, rowArgmax};
        for (int a = 0; a < written.length; a++) {
            for (MemorySegment in : new MemorySegment[] {rowPtr, colIdx, values, targets}) disjoint(in, written[a]);
            for (int b = a + 1; b < written.length; b++) disjoint(written[a], written[b]);
        }
        if (m == 0) return ce.reduction() == Reduction.MEAN ? Float.NaN : 0f;
        return csrSgdStepImpl(
                ce, m, c, k, rowPtr, colIdx, values, targets, scale, alpha, biasLr, v, ldv, bias, logits, rowArgmax);
    }

    /** {@code rowPtr[m]}, the entry count of a CSR matrix: read from the GPU where rowPtr lies there. */
    protected long csrEntryCount(MemorySegment rowPtr, int m) {
        return rowPtr.getAtIndex(JAVA_LONG_UNALIGNED, m);
    }

    /** Throws {@link #badCsr} for the first row that breaks the rules of {@link #csrMatmul}. */
    protected static void checkCsr(
            int m, int k, MemorySegment rowPtr, MemorySegment colIdx, MemorySegment cRows, int cRowCount) {
        for (long i = 0; i < m; i++) {
            if (csrRowProblem(i, m, k, rowPtr, colIdx, cRows, cRowCount) != null) {
                throw badCsr(i, m, k, rowPtr, colIdx, cRows, cRowCount);
            }
        }
    }

    /** What is wrong with row i of a CSR matrix, in words. */
    protected static IllegalArgumentException badCsr(
            long row, int m, int k, MemorySegment rowPtr, MemorySegment colIdx, MemorySegment cRows, int cRowCount) {
        String problem = csrRowProblem(row, m, k, rowPtr, colIdx, cRows, cRowCount);
        return new IllegalArgumentException("sparse row " + row + ": " + (problem != null ? problem : "invalid"));
    }

    private static String csrRowProblem(
            long i, int m, int k, MemorySegment rowPtr, MemorySegment colIdx, MemorySegment cRows, int cRowCount) {
        long p0 = rowPtr.getAtIndex(JAVA_LONG_UNALIGNED, i), p1 = rowPtr.getAtIndex(JAVA_LONG_UNALIGNED, i + 1);
        if (i == 0 && p0 != 0) return "rowPtr[0] = " + p0 + ", must be 0";
        if (p1 < p0) return "rowPtr[" + (i + 1) + "] = " + p1 + " is less than rowPtr[" + i + "] = " + p0;
        long nnz = rowPtr.getAtIndex(JAVA_LONG_UNALIGNED, m);
        if (p1 > nnz) {
            return "rowPtr[" + (i + 1) + "] = " + p1 + " is beyond the entry count rowPtr[" + m + "] = " + nnz;
        }
        long prev = -1;
        for (long p = p0; p < p1; p++) {
            int j = colIdx.getAtIndex(JAVA_INT_UNALIGNED, p);
            if (j < 0 || j >= k) return "column index " + j + " (entry " + p + ") is outside [0, " + k + ")";
            if (j <= prev) {
                return "column indices must be strictly increasing within a row: " + j + " (entry " + p + ") follows "
                        + prev;
            }
            prev = j;
        }
        if (cRows != null) {
            int r = cRows.getAtIndex(JAVA_INT_UNALIGNED, i);
            if (r < 0 || r >= cRowCount) return "cRows[" + i + "] = " + r + " is outside [0, " + cRowCount + ")";
            if (i > 0 && r <= cRows.getAtIndex(JAVA_INT_UNALIGNED, i - 1)) {
                return "cRows must be strictly increasing: cRows[" + i + "] = " + r + " follows "
                        + cRows.getAtIndex(JAVA_INT_UNALIGNED, i - 1);
            }
        }
        return null;
    }

    @Override
    public final float linearCrossEntropy(
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
        checkLinearCrossEntropy(ce, lin, n, d, v, x, w, bias, targets, out, 4);
        if (n == 0) return ce.reduction() == Reduction.MEAN ? Float.NaN : 0f;
        return linearCrossEntropyImpl(ce, lin, n, d, v, x, w, bias, targets, out);
    }

    /** The checks of {@link #linearCrossEntropy} with x and w of {@code inputBytes} per element. */
    protected final void checkLinearCrossEntropy(
            CrossEntropy ce,
            LinearCe lin,
            int n,
            int d,
            int v,
            MemorySegment x,
            MemorySegment w,
            MemorySegment bias,
            MemorySegment targets,
            LinearCeOutputs out,
            int inputBytes) {
        if (ce == null) throw new IllegalArgumentException("cross-entropy options are null");
        if (lin == null) throw new IllegalArgumentException("linear options are null (use LinearCe.defaults())");
        if (out == null) throw new IllegalArgumentException("outputs are null (use LinearCeOutputs.none())");
        if (n < 0) throw new IllegalArgumentException("rows n = " + n + " is negative");
        if (d < 1) throw new IllegalArgumentException("hidden size d = " + d + " must be >= 1");
        if (v < 1) throw new IllegalArgumentException("classes v = " + v + " must be >= 1");
        input("x", x, (long) n * d, inputBytes);
        input("w", w, (long) v * d, inputBytes);
        if (bias != null) input("bias", bias, v, 4);
        input("targets", targets, n, 4);
        if (ce.classWeight() != null && ce.classWeight().length != v) {
            throw new IllegalArgumentException(
                    "classWeight has " + ce.classWeight().length + " entries for " + v + " classes");
        }
        output("dx", out.dx(), (long) n * d, 4, false);
        output("dw", out.dw(), (long) v * d, 4, false);
        output("db", out.db(), v, 4, false);
        output("rowLoss", out.rowLoss(), n, 4, ce.reduction() == Reduction.NONE);
        output("rowLse", out.rowLse(), n, 4, false);
        MemorySegment[] outs = {out.dx(), out.dw(), out.db(), out.rowLoss(), out.rowLse()};
        MemorySegment[] ins = {x, w, bias, targets};
        for (int i = 0; i < outs.length; i++) {
            for (MemorySegment in : ins) disjoint(outs[i], in);
            for (int k = i + 1; k < outs.length; k++) disjoint(outs[i], outs[k]);
        }
    }

    // ---- checks -----------------------------------------------------------

    /** A rows x cols row-major matrix with row stride ld. */
    private void matrix(String what, MemorySegment s, int rows, int cols, int ld, boolean isOutput) {
        if (ld < Math.max(1, cols)) {
            throw new IllegalArgumentException("ld" + what.toLowerCase() + " = " + ld
                    + " must be at least max(1, columns of " + what + " as stored) = " + Math.max(1, cols));
        }
        long elems = rows == 0 || cols == 0 ? 0 : (long) (rows - 1) * ld + cols; // < 2^63 for ints
        if (isOutput) output(what, s, elems, 4, true);
        else input(what, s, elems, 4);
    }

    private void checkSoftmax(int n, int c, MemorySegment x, MemorySegment y) {
        checkShape(n, c);
        input("x", x, (long) n * c, 4);
        output("y", y, (long) n * c, 4, true);
        sameOrDisjoint("x", x, "y", y);
    }

    private static void checkShape(int n, int c) {
        if (n < 0) throw new IllegalArgumentException("rows n = " + n + " is negative");
        if (c < 1) throw new IllegalArgumentException("classes c = " + c + " must be >= 1");
    }

    /** A required input of {@code elems} elements of {@code bytes} each. */
    protected final void input(String what, MemorySegment s, long elems, int bytes) {
        if (s == null) throw new IllegalArgumentException(what + " is null");
        checkSize(what, s, elems, bytes);
    }

    /** An output; null is allowed unless {@code required}. */
    protected final void output(String what, MemorySegment s, long elems, int bytes, boolean required) {
        if (s == null) {
            if (required) throw new IllegalArgumentException(what + " is null but required");
            return;
        }
        if (s.isReadOnly()) throw new IllegalArgumentException(what + " is read-only");
        checkSize(what, s, elems, bytes);
    }

    /** Whether this implementation takes GPU memory ({@link DeviceBuffer} segments). */
    protected boolean acceptsDeviceMemory() {
        return false;
    }

    private void checkSize(String what, MemorySegment s, long elems, int bytes) {
        if (!s.scope().isAlive()) throw new IllegalArgumentException(what + " is a closed segment");
        if (!acceptsDeviceMemory() && DeviceMemory.isDevice(s)) {
            throw new IllegalArgumentException(what + " is GPU memory (a DeviceBuffer's segment): "
                    + "pass it to Kernels.cuda(), or copy it to the host");
        }
        long need = product(what, elems, bytes);
        if (s.byteSize() < need) {
            throw new IllegalArgumentException(what + " holds " + s.byteSize() / bytes + " elements, needs " + elems);
        }
        if (s.address() % bytes != 0) {
            throw new IllegalArgumentException(what + " is not aligned to " + bytes + " bytes");
        }
    }

    /** a * b, or an IllegalArgumentException naming {@code what} when it overflows a long. */
    private static long product(String what, long a, long b) {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(what + ": " + a + " x " + b + " overflows: no buffer can be that large");
        }
    }

    /** a and b must be the very same memory or not overlap at all. */
    private static void sameOrDisjoint(String an, MemorySegment a, String bn, MemorySegment b) {
        if (a == null || b == null || a.asOverlappingSlice(b).isEmpty()) return;
        boolean same = a.address() == b.address()
                && a.isNative() == b.isNative()
                && a.heapBase().equals(b.heapBase());
        if (!same) throw new IllegalArgumentException(an + " and " + bn + " partly overlap");
    }

    private static void disjoint(MemorySegment a, MemorySegment b) {
        if (a != null && b != null && a.asOverlappingSlice(b).isPresent()) {
            throw new IllegalArgumentException("an output overlaps another buffer");
        }
    }

    /** Throws {@link #badTarget} for the first target outside [0, c) that is not ignoreIndex. */
    protected static void checkTargets(MemorySegment targets, int n, int c, int ignoreIndex) {
        for (long i = 0; i < n; i++) {
            int y = targets.getAtIndex(JAVA_INT_UNALIGNED, i);
            if (y != ignoreIndex && (y < 0 || y >= c)) throw badTarget(i, y, c, ignoreIndex);
        }
    }

    protected static IllegalArgumentException badTarget(long row, int y, int c, int ignoreIndex) {
        return new IllegalArgumentException("targets[" + row + "] = " + y + " is outside [0, " + c
                + ") and is not ignoreIndex (" + ignoreIndex + ")");
    }

    /** Throws {@link #badIndex} for the first index outside [0, srcRows). */
    protected static void checkIndex(MemorySegment index, int rows, long srcRows) {
        for (long i = 0; i < rows; i++) {
            int r = index.getAtIndex(JAVA_INT_UNALIGNED, i);
            if (r < 0 || r >= srcRows) throw badIndex(i, r, srcRows);
        }
    }

    protected static IllegalArgumentException badIndex(long row, int r, long srcRows) {
        return new IllegalArgumentException("index[" + row + "] = " + r + " is outside [0, " + srcRows + ")");
    }
}
