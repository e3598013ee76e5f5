package org.softmax4j;

import java.lang.foreign.MemorySegment;
import org.softmax4j.reference.ReferenceKernels;

/**
 * The kernels of softmax4j behind one interface: pure-Java reference, native
 * CPU (through FFM or JNI), and later CUDA give the same results for the same
 * calls. All matrices are row-major and dense. Buffers are
 * {@link MemorySegment}s (heap or native) or Java arrays, never copied.
 *
 * <p>Every method validates its arguments first: wrong sizes, buffers too
 * small, null inputs and out-of-range labels give an
 * {@link IllegalArgumentException} that says what is wrong; nothing native
 * runs on bad input. Implementations are thread-safe.
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
        return cpu(Binding.fromSystemProperty());
    }

    /** Native CPU kernels through the given binding. */
    static Kernels cpu(Binding binding) {
        return CpuKernels.of(binding);
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
    float crossEntropy(CrossEntropy ce, int n, int c, DType dtype, MemorySegment logits,
                       MemorySegment targets, CeOutputs out);

    /** float32 logits in an array; see the segment version. */
    default float crossEntropy(CrossEntropy ce, int n, int c, float[] logits, int[] targets,
                               CeOutputs out) {
        return crossEntropy(ce, n, c, DType.F32, Segments.of(logits), Segments.of(targets), out);
    }

    /** bf16 or f16 logits in a {@code short[]} (see {@link HalfFloats}). */
    default float crossEntropy(CrossEntropy ce, int n, int c, DType dtype, short[] logits,
                               int[] targets, CeOutputs out) {
        return crossEntropy(ce, n, c, dtype, Segments.of(logits), Segments.of(targets), out);
    }
}
