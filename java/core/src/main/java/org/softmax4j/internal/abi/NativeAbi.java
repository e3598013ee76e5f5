package org.softmax4j.internal.abi;

import java.lang.foreign.MemorySegment;
import org.softmax4j.Binding;

/**
 * The C ABI of {@code native/include/softmax4j.h}, one Java method per C
 * function, as implemented by each binding. Internal: applications use
 * {@link org.softmax4j.Kernels}. Arguments are passed as they are: callers validate first
 * (a wrong size here is memory corruption, not an exception).
 *
 * <p>Pointers are {@link MemorySegment}s, heap or native; {@code null} stands for
 * a C {@code NULL}. Return values are the C status codes.
 */
public interface NativeAbi {
    /**
     * System property naming a libsoftmax4j.so to load instead of the jar's,
     * through FFM only (the JNI glue links the jar's): e.g. the
     * AddressSanitizer build the tests run the kernel suite against.
     */
    String LIBRARY_PROPERTY = "softmax4j.library";

    int OK = 0;
    int ERR_ARGUMENT = 1;
    int ERR_TARGET = 2;
    int ERR_UNSUPPORTED = 3;

    /** Which binding this is. */
    Binding binding();

    String version();

    int isa();

    int isaSupported(int isa);

    int setIsa(int isa);

    int numThreads();

    int setNumThreads(int n);

    /** The largest thread count {@link #setNumThreads} takes. */
    int maxThreads();

    /** The ISA code of a name ("scalar", "avx2", "avx512"), or -1: the library's own parser. */
    int isaParse(String name);

    /** One line on how the library chose its ISA and thread count when it loaded. */
    String settings();

    /** OK, or ERR_ARGUMENT when S4J_ISA or S4J_NUM_THREADS held a value the library rejected. */
    int settingsStatus();

    int softmax(long n, long c, MemorySegment x, MemorySegment y, int log);

    /** {@code options}: a native {@link CeOptionsStruct}. */
    int softmaxCe(
            long n,
            long c,
            int dtype,
            MemorySegment logits,
            MemorySegment targets,
            MemorySegment options,
            MemorySegment loss,
            MemorySegment rowLoss,
            MemorySegment rowLse,
            MemorySegment rowArgmax,
            MemorySegment dlogits,
            MemorySegment errRow,
            MemorySegment work,
            long workBytes);

    long softmaxCeWorkspaceSize(long c);

    int sgemm(
            int transA,
            int transB,
            long m,
            long n,
            long k,
            float alpha,
            MemorySegment a,
            long lda,
            MemorySegment b,
            long ldb,
            float beta,
            MemorySegment c,
            long ldc,
            MemorySegment work,
            long workBytes);

    long sgemmWorkspaceSize();

    int addBias(long n, long c, MemorySegment bias, MemorySegment y);

    int columnSums(long n, long c, float alpha, MemorySegment x, float beta, MemorySegment out);

    int gatherRows(
            long rows,
            long cols,
            int srcDtype,
            MemorySegment src,
            long srcRows,
            MemorySegment index,
            float scale,
            MemorySegment shift,
            MemorySegment colScale,
            MemorySegment out,
            MemorySegment errRow);

    int sgdStep(
            long count, float lr, float momentum, float weightDecay, MemorySegment w, MemorySegment g, MemorySegment v);

    int csrMatmul(
            long m,
            long n,
            long k,
            MemorySegment rowPtr,
            MemorySegment colIdx,
            MemorySegment values,
            float alpha,
            MemorySegment b,
            long ldb,
            MemorySegment bias,
            float beta,
            MemorySegment c,
            long ldc,
            MemorySegment cRows,
            long cRowCount,
            MemorySegment errRow);

    /** {@code options}: a native {@link CeOptionsStruct}; {@code loss} one float. */
    int csrSgdStep(
            long m,
            long c,
            long k,
            MemorySegment rowPtr,
            MemorySegment colIdx,
            MemorySegment values,
            MemorySegment targets,
            MemorySegment options,
            float scale,
            float alpha,
            float biasLr,
            MemorySegment v,
            long ldv,
            MemorySegment bias,
            MemorySegment logits,
            MemorySegment loss,
            MemorySegment rowArgmax,
            MemorySegment errRow);

    /**
     * Calls a cblas_sgemm (row-major) at address {@code fn}: OpenBLAS's, found by
     * {@code OpenBlas}. Not part of softmax4j.h: the same call through either binding.
     */
    void cblasSgemm(
            MemorySegment fn,
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

    int linearCe(
            long n,
            long d,
            long v,
            MemorySegment x,
            MemorySegment w,
            MemorySegment bias,
            MemorySegment targets,
            MemorySegment options,
            long blockV,
            MemorySegment loss,
            MemorySegment rowLoss,
            MemorySegment rowLse,
            MemorySegment dx,
            MemorySegment dw,
            MemorySegment db,
            MemorySegment work,
            long workBytes,
            MemorySegment errRow);

    long linearCeWorkspaceSize(long n, long d, long v, long blockV, float softcap);
}
