package org.softmax4j.internal.abi;

import java.lang.foreign.MemorySegment;
import org.softmax4j.Binding;

/**
 * The {@code s4j_cuda_*} functions of {@code native/include/softmax4j.h}, one
 * Java method per C function, as implemented by each binding. Internal:
 * applications use {@code CudaKernels} and {@code DeviceBuffer}.
 *
 * <p>Device pointers and streams are passed as {@code long} addresses (0 for
 * NULL and the default stream); host buffers as {@link MemorySegment}s, heap
 * or native, never copied by the binding. Arguments are passed as they are:
 * callers validate first. Return values are the C status codes.
 */
public interface CudaAbi {
    /**
     * System property naming a libsoftmax4j_cuda.so to load instead of the
     * jar's, through FFM only (the JNI glue links the jar's): a build of
     * one's own, or the CPU emulator's build that the tests use.
     */
    String LIBRARY_PROPERTY = "softmax4j.cuda.library";

    int OK = 0;
    int ERR_ARGUMENT = 1;
    int ERR_CUDA = 4;

    /** cudaMemcpy kinds of {@code s4j_cuda_memcpy}. */
    int HOST_TO_DEVICE = 0, DEVICE_TO_HOST = 1;

    Binding binding();

    /** Status; the count goes to {@code count[0]}. */
    int deviceCount(int[] count);

    String lastError();

    /** Status; the pointer goes to {@code ptr[0]}. */
    int malloc(long[] ptr, long bytes);

    int free(long ptr);

    /** Host to device ({@code kind} 0) or device to host (1), {@code bytes} from the host segment's start. */
    int memcpyHost(long device, MemorySegment host, long bytes, int kind, long stream);

    int memcpyDeviceToDevice(long dst, long src, long bytes, long stream);

    int memset(long ptr, int value, long bytes, long stream);

    /** Status; the stream goes to {@code stream[0]}. */
    int streamCreate(long[] stream);

    int streamDestroy(long stream);

    int streamSynchronize(long stream);

    /** Starts recording what is queued on {@code stream} (a created one) as a graph. */
    int graphBegin(long stream);

    /** Stops recording; the executable graph goes to {@code graph[0]} (0 on failure). */
    int graphEnd(long stream, long[] graph);

    int graphLaunch(long graph, long stream);

    int graphDestroy(long graph);

    int softmax(long n, long c, long x, long y, int log, long stream);

    /** {@code options}: a native {@link CeOptionsStruct} (host memory; its weights on the device). */
    int softmaxCe(
            long n,
            long c,
            int dtype,
            long logits,
            long targets,
            MemorySegment options,
            long loss,
            long rowLoss,
            long rowLse,
            long rowArgmax,
            long dlogits,
            long work,
            long workBytes,
            long stream);

    long softmaxCeWorkspaceSize(long n);

    int sgemm(
            int transA,
            int transB,
            long m,
            long n,
            long k,
            float alpha,
            long a,
            long lda,
            long b,
            long ldb,
            float beta,
            long c,
            long ldc,
            int math,
            long stream);

    int gemmBf16(
            int transA,
            int transB,
            long m,
            long n,
            long k,
            float alpha,
            long a,
            long lda,
            long b,
            long ldb,
            float beta,
            long c,
            long ldc,
            long stream);

    int linearCe(
            long n,
            long d,
            long v,
            int dtype,
            long x,
            long w,
            long bias,
            long targets,
            MemorySegment options,
            long blockV,
            int math,
            long loss,
            long rowLoss,
            long rowLse,
            long dx,
            long dw,
            long db,
            long work,
            long workBytes,
            long stream);

    long linearCeWorkspaceSize(long n, long v, long blockV, int dtype);

    int addBias(long n, long c, long bias, long y, long stream);

    int columnSums(long n, long c, float alpha, long x, float beta, long out, long stream);

    int sgdStep(long count, float lr, float momentum, float weightDecay, long w, long g, long v, long stream);

    int gatherRows(
            long rows,
            long cols,
            int srcDtype,
            long src,
            long srcRows,
            long index,
            float scale,
            long shift,
            long colScale,
            long out,
            long stream);

    int stepStats(
            long n, long loss, float weight, long rowArgmax, long targets, long lossSum, long correct, long stream);

    /** The CSR matrix unchecked: callers check it on the host first. */
    int csrMatmul(
            long m,
            long n,
            long k,
            long rowPtr,
            long colIdx,
            long values,
            float alpha,
            long b,
            long ldb,
            long bias,
            float beta,
            long c,
            long ldc,
            long cRows,
            long cRowCount,
            long stream);

    /** {@code options}: a native {@link CeOptionsStruct} in host memory; the rest device pointers. */
    int csrSgdStep(
            long m,
            long c,
            long k,
            long rowPtr,
            long colIdx,
            long values,
            long targets,
            MemorySegment options,
            float scale,
            float alpha,
            float biasLr,
            long v,
            long ldv,
            long bias,
            long logits,
            long loss,
            long rowArgmax,
            long work,
            long workBytes,
            long stream);
}
