package org.softmax4j;

import java.lang.foreign.MemorySegment;
import org.softmax4j.internal.Natives;
import org.softmax4j.internal.ReferenceKernels;
import org.softmax4j.internal.Segments;

/**
 * The kernels of softmax4j behind one interface: pure-Java reference, native
 * CPU and CUDA (each through FFM or JNI) give the same results for the same
 * calls. All matrices are row-major and dense. Buffers are
 * {@link MemorySegment}s (heap or native) or Java arrays, never copied by the
 * CPU kernels; the CUDA kernels also take GPU memory
 * ({@link org.softmax4j.cuda.DeviceBuffer}) and stage host buffers through the GPU.
 *
 * <p>Every method validates its arguments first: wrong sizes, buffers too
 * small, null inputs and out-of-range labels give an
 * {@link IllegalArgumentException} that says what is wrong, and nothing is
 * written (sizes are checked in Java; label and index values by the kernels,
 * in a pass before they write). Implementations are thread-safe.
 *
 * <pre>{@code
 * Kernels k = Kernels.cpu();
 * float[] dlogits = new float[n * c];
 * float loss = k.crossEntropy(CrossEntropy.defaults(), n, c, logits, targets,
 *                             CeOutputs.gradient(dlogits));
 * }</pre>
 */
public interface Kernels {

    /** Native CPU kernels through the binding of {@code -Dsoftmax4j.binding} (FFM by default). */
    static Kernels cpu() {
        return cpu(Binding.configured());
    }

    /** Native CPU kernels through the given binding. */
    static Kernels cpu(Binding binding) {
        return cpu(binding, Gemm.SOFTMAX4J);
    }

    /** Native CPU kernels through the given binding, with the given SGEMM. */
    static Kernels cpu(Binding binding, Gemm gemm) {
        return Natives.cpuKernels(binding, gemm);
    }

    /**
     * The CUDA kernels on the first GPU through the binding of
     * {@code -Dsoftmax4j.binding}, float32 SGEMM (see {@link org.softmax4j.cuda.CudaKernels}).
     *
     * @throws UnsupportedOperationException when there is no NVIDIA GPU or
     *     driver, or this build has no CUDA library (the message says which)
     */
    static Kernels cuda() {
        return cuda(Binding.configured());
    }

    /** The CUDA kernels on the first GPU through the given binding. */
    static Kernels cuda(Binding binding) {
        return Natives.gpuKernels(binding, false);
    }

    /** The pure-Java reference (double accumulation): slow, and the oracle of the tests. */
    static Kernels reference() {
        return ReferenceKernels.INSTANCE;
    }

    /** What runs, e.g. {@code "cpu/ffm avx2 x2 threads"}. */
    String name();

    // ---- softmax ----------------------------------------------------------

    /**
     * {@code y[i,:] = softmax(x[i,:])} for n rows of c float32 values; y may be x.
     * Any finite input is safe; -inf entries get 0; a row with NaN becomes NaN.
     */
    void softmax(int n, int c, MemorySegment x, MemorySegment y);

    /** {@code y[i,:] = log_softmax(x[i,:])}, as {@link #softmax}. */
    void logSoftmax(int n, int c, MemorySegment x, MemorySegment y);

    default void softmax(int n, int c, float[] x, float[] y) {
        softmax(n, c, Segments.of(x), Segments.of(y));
    }

    default void logSoftmax(int n, int c, float[] x, float[] y) {
        logSoftmax(n, c, Segments.of(x), Segments.of(y));
    }

    // ---- fused softmax cross-entropy --------------------------------------

    /**
     * Softmax cross-entropy of n rows of c logits against integer targets,
     * forward and, when {@code out.dlogits()} is given, backward in the same
     * pass. Semantics of PyTorch's {@code F.cross_entropy} (see
     * {@link CrossEntropy}); numerically safe for any finite logits.
     *
     * @param dtype   element type of logits (and of the gradient)
     * @param logits  n x c elements of dtype
     * @param targets n int32 labels in [0, c), or {@code ce.ignoreIndex()}
     * @return the reduced loss (for {@link Reduction#NONE}: the sum of the rows)
     * @throws IllegalArgumentException on bad shapes or buffers, or a label out
     *     of range (the message names the row and the value)
     */
    float crossEntropy(
            CrossEntropy ce, int n, int c, DType dtype, MemorySegment logits, MemorySegment targets, CeOutputs out);

    /** float32 logits in an array; see the segment version. */
    default float crossEntropy(CrossEntropy ce, int n, int c, float[] logits, int[] targets, CeOutputs out) {
        return crossEntropy(ce, n, c, DType.F32, Segments.of(logits), Segments.of(targets), out);
    }

    /** bf16 or f16 logits in a {@code short[]} (see {@link HalfFloats}). */
    default float crossEntropy(
            CrossEntropy ce, int n, int c, DType dtype, short[] logits, int[] targets, CeOutputs out) {
        return crossEntropy(ce, n, c, dtype, Segments.of(logits), Segments.of(targets), out);
    }

    // ---- fused linear + cross-entropy (large vocabularies) ------------------

    /**
     * Softmax cross-entropy of the logits {@code z = cap(X W^T + b)} and the
     * gradients dX, dW, db, without ever holding the N x V logits: they are
     * computed in tiles, reduced with a running max and sum, and recomputed
     * for the gradient. Extra memory is {@link #linearCrossEntropyWorkspaceBytes},
     * independent of N x V. Cross-entropy semantics as {@link #crossEntropy}.
     *
     * @param x       N x D hidden states, float32
     * @param w       V x D classifier (one row per class), float32
     * @param bias    V floats, or null
     * @param targets N int32 labels in [0, V), or {@code ce.ignoreIndex()}
     * @return the reduced loss
     */
    float linearCrossEntropy(
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

    default float linearCrossEntropy(
            CrossEntropy ce,
            LinearCe lin,
            int n,
            int d,
            int v,
            float[] x,
            float[] w,
            float[] bias,
            int[] targets,
            LinearCeOutputs out) {
        return linearCrossEntropy(
                ce, lin, n, d, v, Segments.of(x), Segments.of(w), Segments.of(bias), Segments.of(targets), out);
    }

    /** Bytes of scratch {@link #linearCrossEntropy} uses for this problem (0 for the reference). */
    long linearCrossEntropyWorkspaceBytes(int n, int d, int v, LinearCe lin);

    // ---- GEMM -------------------------------------------------------------

    /**
     * {@code C = alpha op(A) op(B) + beta C} in float32, all matrices row-major.
     * op(A) is m x k (A is stored k x m when {@code transA}), op(B) is k x n
     * (stored n x k when {@code transB}), C is m x n. The leading dimensions
     * are row strides in elements, at least the stored matrix's column count.
     * When beta is 0, C is not read (NaN in C does not leak into the result);
     * when alpha is 0, A and B are not read (C becomes beta C).
     * C must not overlap A or B.
     */
    void sgemm(
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

    default void sgemm(
            boolean transA,
            boolean transB,
            int m,
            int n,
            int k,
            float alpha,
            float[] a,
            int lda,
            float[] b,
            int ldb,
            float beta,
            float[] c,
            int ldc) {
        sgemm(transA, transB, m, n, k, alpha, Segments.of(a), lda, Segments.of(b), ldb, beta, Segments.of(c), ldc);
    }

    // ---- small helpers of the training step --------------------------------

    /** {@code y[i, j] += bias[j]} for n rows of c floats. */
    void addBias(int n, int c, MemorySegment bias, MemorySegment y);

    default void addBias(int n, int c, float[] bias, float[] y) {
        addBias(n, c, Segments.of(bias), Segments.of(y));
    }

    /** {@code out[j] = alpha sum_i x[i, j] + beta out[j]} over n rows of c floats (db). */
    void columnSums(int n, int c, float alpha, MemorySegment x, float beta, MemorySegment out);

    default void columnSums(int n, int c, float alpha, float[] x, float beta, float[] out) {
        columnSums(n, c, alpha, Segments.of(x), beta, Segments.of(out));
    }

    /**
     * A minibatch of stored features, scaled on the way:
     * {@code out[i, j] = scale * (src[index[i], j] - shift[j]) * colScale[j]}
     * for {@code rows} rows of {@code cols} values, e.g. uint8 pixels to [0, 1]
     * floats, or float features standardised with a training set's means and
     * deviations.
     *
     * @param srcType  {@link DType#U8} or {@link DType#F32}: the element type of src
     * @param src      {@code srcRows x cols} values of srcType, row-major
     * @param index    {@code rows} int32 row numbers, each in [0, srcRows)
     * @param shift    null (0) or {@code cols} floats subtracted per column
     * @param colScale null (1) or {@code cols} floats multiplying per column
     * @param out      {@code rows x cols} floats
     */
    void gatherRows(
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

    /**
     * {@link #gatherRows} of a uint8 matrix with one scale:
     * {@code out[i, :] = scale * src[index[i], :]}.
     */
    default void gatherScaled(
            int rows, int cols, MemorySegment src, long srcRows, MemorySegment index, float scale, MemorySegment out) {
        gatherRows(rows, cols, DType.U8, src, srcRows, index, scale, null, null, out);
    }

    default void gatherScaled(int rows, int cols, byte[] src, int[] index, float scale, float[] out) {
        gatherScaled(
                rows,
                cols,
                Segments.of(src),
                src == null ? 0 : src.length / Math.max(cols, 1),
                Segments.of(index),
                scale,
                Segments.of(out));
    }

    /**
     * One SGD step over {@code count} parameters, as PyTorch's SGD without
     * dampening: {@code d = g + weightDecay w; v = momentum v + d; w -= lr v}
     * ({@code w -= lr d} when momentum is 0, and v may then be null).
     */
    void sgdStep(
            long count, float lr, float momentum, float weightDecay, MemorySegment w, MemorySegment g, MemorySegment v);

    default void sgdStep(long count, float lr, float momentum, float weightDecay, float[] w, float[] g, float[] v) {
        sgdStep(count, lr, momentum, weightDecay, Segments.of(w), Segments.of(g), Segments.of(v));
    }

    // ---- sparse rows ------------------------------------------------------

    /**
     * Sparse rows times a dense matrix, the two products of a training step on
     * sparse features: for each row i of the {@code m x k} CSR matrix A,
     * {@code C[r(i), :] = alpha * sum_p values[p] * B[colIdx[p], :] + beta * C[r(i), :] (+ bias)}
     * over n columns, p in {@code [rowPtr[i], rowPtr[i + 1])}. {@code r(i) = i},
     * or {@code cRows[i]} when cRows is not null: a scatter into the rows of a
     * larger C ({@code cRowCount} rows), e.g. the rows of the weights that a batch
     * touches, so that {@code W -= lr * X^T G} costs O(nnz * n) whatever the
     * feature count (A = the batch transposed, alpha = -lr, beta = 1). The CUDA
     * kernels check rowPtr, colIdx and cRows on the host as well: held on the GPU,
     * they are copied back for it, so the call waits for the GPU.
     *
     * @param rowPtr {@code m + 1} int64 offsets: {@code rowPtr[0] == 0}, non-decreasing
     * @param colIdx {@code rowPtr[m]} int32 columns, strictly increasing within a row, each in [0, k)
     * @param values {@code rowPtr[m]} floats
     * @param b      {@code k x n} floats, row stride {@code ldb >= n}
     * @param bias   null or n floats added to every row
     * @param beta   0: C is not read
     * @param c      row stride {@code ldc >= n}; m rows, or cRowCount with cRows
     * @param cRows  null or m strictly increasing rows of C, each in [0, cRowCount)
     * @throws IllegalArgumentException naming the first row that breaks these rules, nothing written
     */
    void csrMatmul(
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

    default void csrMatmul(
            int m,
            int n,
            int k,
            long[] rowPtr,
            int[] colIdx,
            float[] values,
            float alpha,
            float[] b,
            int ldb,
            float[] bias,
            float beta,
            float[] c,
            int ldc,
            int[] cRows,
            int cRowCount) {
        csrMatmul(
                m,
                n,
                k,
                Segments.of(rowPtr),
                Segments.of(colIdx),
                Segments.of(values),
                alpha,
                Segments.of(b),
                ldb,
                Segments.of(bias),
                beta,
                Segments.of(c),
                ldc,
                Segments.of(cRows),
                cRowCount);
    }

    /**
     * One SGD step of softmax regression on a batch of m CSR rows, fused into
     * one call (the training step on sparse features), without the batch
     * transposed:
     * <pre>
     * Z = scale X V + bias                     m x c, into logits
     * loss, rowArgmax, G = dloss/dZ            {@link #crossEntropy} with ce, G in place of Z
     * bias -= biasLr * column sums of G        (bias null: none)
     * V[colIdx[p], :] += alpha values[p] G[i, :]   for every entry p of row i
     * </pre>
     * so a step reads and writes only the rows of V that the batch uses: O(nnz c)
     * whatever k. With lazily decayed weights W = scale V, {@code W -= lr X^T G}
     * is {@code alpha = -lr / scale'} (scale' the scale after the step) and
     * {@code biasLr = lr}. X follows the rules of {@link #csrMatmul} with k
     * columns. A column used by several rows gets their updates row by row, in float.
     *
     * @param ce        reduction MEAN or SUM (not NONE)
     * @param targets   m class indices (or ce's ignoreIndex)
     * @param v         k x c floats, row stride {@code ldv >= c}
     * @param bias      null or c floats
     * @param logits    m x c floats of scratch, G afterwards
     * @param rowArgmax null or m ints: each row's argmax of Z
     * @return the loss of Z
     * @throws IllegalArgumentException naming a bad row of X or a bad target; V and bias untouched
     */
    float csrSgdStep(
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

    default float csrSgdStep(
            CrossEntropy ce,
            int m,
            int c,
            int k,
            long[] rowPtr,
            int[] colIdx,
            float[] values,
            int[] targets,
            float scale,
            float alpha,
            float biasLr,
            float[] v,
            int ldv,
            float[] bias,
            float[] logits,
            int[] rowArgmax) {
        return csrSgdStep(
                ce,
                m,
                c,
                k,
                Segments.of(rowPtr),
                Segments.of(colIdx),
                Segments.of(values),
                Segments.of(targets),
                scale,
                alpha,
                biasLr,
                Segments.of(v),
                ldv,
                Segments.of(bias),
                Segments.of(logits),
                Segments.of(rowArgmax));
    }
}
