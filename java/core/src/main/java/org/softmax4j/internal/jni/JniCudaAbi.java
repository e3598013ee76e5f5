package org.softmax4j.internal.jni;

import java.lang.foreign.MemorySegment;
import org.softmax4j.Binding;
import org.softmax4j.internal.abi.CudaAbi;

/** The CUDA functions through JavaCPP's JNI glue ({@link JniCudaNatives}). */
public final class JniCudaAbi implements CudaAbi {

    private JniCudaAbi() {}

    /** Loads the JNI glue and libsoftmax4j_cuda through JavaCPP (it loads without a GPU). */
    public static JniCudaAbi load() {
        if (System.getProperty(LIBRARY_PROPERTY) != null) { // the JNI glue links the jar's
            throw new UnsatisfiedLinkError("softmax4j: -D" + LIBRARY_PROPERTY + " applies to the FFM binding only");
        }
        JniCudaNatives.s4j_cuda_last_error(); // runs the static initialiser: Loader.load()
        return new JniCudaAbi();
    }

    @Override
    public Binding binding() {
        return Binding.JNI;
    }

    @Override
    public int deviceCount(int[] count) {
        return JniCudaNatives.s4j_cuda_device_count(count);
    }

    @Override
    public String lastError() {
        return JniCudaNatives.s4j_cuda_last_error();
    }

    @Override
    public int malloc(long[] ptr, long bytes) {
        return JniCudaNatives.s4j_cuda_malloc(ptr, bytes);
    }

    @Override
    public int free(long ptr) {
        return JniCudaNatives.s4j_cuda_free(ptr);
    }

    @Override
    public int memcpyHost(long device, MemorySegment host, long bytes, int kind, long stream) {
        try {
            return memcpy(device, host, bytes, kind, stream);
        } finally {
            JniSegments.keep(host);
        }
    }

    private static int memcpy(long device, MemorySegment host, long bytes, int kind, long stream) {
        JniSegments.guard(host, "host buffer");
        if (host.isNative()) {
            return JniCudaNatives.memcpyHost(device, (byte[]) null, host.address(), bytes, kind, stream);
        }
        Object base = host.heapBase()
                .orElseThrow(() ->
                        new IllegalArgumentException("a read-only heap segment cannot pass through the JNI binding"));
        long off = host.address();
        return switch (base) {
            case byte[] a -> JniCudaNatives.memcpyHost(device, a, off, bytes, kind, stream);
            case short[] a -> JniCudaNatives.memcpyHost(device, a, off, bytes, kind, stream);
            case int[] a -> JniCudaNatives.memcpyHost(device, a, off, bytes, kind, stream);
            case float[] a -> JniCudaNatives.memcpyHost(device, a, off, bytes, kind, stream);
            case long[] a -> JniCudaNatives.memcpyHost(device, a, off, bytes, kind, stream);
            case double[] a -> JniCudaNatives.memcpyHost(device, a, off, bytes, kind, stream);
            default ->
                throw new IllegalArgumentException(
                        "the JNI binding cannot pin a " + base.getClass().getSimpleName() + "-backed segment");
        };
    }

    @Override
    public int memcpyDeviceToDevice(long dst, long src, long bytes, long stream) {
        return JniCudaNatives.s4j_cuda_memcpy(dst, src, bytes, 2, stream);
    }

    @Override
    public int memset(long ptr, int value, long bytes, long stream) {
        return JniCudaNatives.s4j_cuda_memset(ptr, value, bytes, stream);
    }

    @Override
    public int streamCreate(long[] stream) {
        return JniCudaNatives.s4j_cuda_stream_create(stream);
    }

    @Override
    public int streamDestroy(long stream) {
        return JniCudaNatives.s4j_cuda_stream_destroy(stream);
    }

    @Override
    public int streamSynchronize(long stream) {
        return JniCudaNatives.s4j_cuda_stream_synchronize(stream);
    }

    @Override
    public int graphBegin(long stream) {
        return JniCudaNatives.s4j_cuda_graph_begin(stream);
    }

    @Override
    public int graphEnd(long stream, long[] graph) {
        return JniCudaNatives.s4j_cuda_graph_end(stream, graph);
    }

    @Override
    public int graphLaunch(long graph, long stream) {
        return JniCudaNatives.s4j_cuda_graph_launch(graph, stream);
    }

    @Override
    public int graphDestroy(long graph) {
        return JniCudaNatives.s4j_cuda_graph_destroy(graph);
    }

    @Override
    public int softmax(long n, long c, long x, long y, int log, long stream) {
        return JniCudaNatives.s4j_cuda_softmax(n, c, x, y, log, stream);
    }

    @Override
    public int softmaxCe(
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
            long stream) {
        JniSegments.guard(options, "options");
        try {
            return JniCudaNatives.s4j_cuda_softmax_ce(
                    n,
                    c,
                    dtype,
                    logits,
                    targets,
                    options.address(),
                    loss,
                    rowLoss,
                    rowLse,
                    rowArgmax,
                    dlogits,
                    work,
                    workBytes,
                    stream);
        } finally {
            JniSegments.keep(options);
        }
    }

    @Override
    public long softmaxCeWorkspaceSize(long n) {
        return JniCudaNatives.s4j_cuda_softmax_ce_workspace_size(n);
    }

    @Override
    public int sgemm(
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
            long stream) {
        return JniCudaNatives.s4j_cuda_sgemm(
                transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, math, stream);
    }

    @Override
    public int gemmBf16(
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
            long stream) {
        return JniCudaNatives.s4j_cuda_gemm_bf16(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, stream);
    }

    @Override
    public int linearCe(
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
            long stream) {
        JniSegments.guard(options, "options");
        try {
            return JniCudaNatives.s4j_cuda_linear_ce(
                    n,
                    d,
                    v,
                    dtype,
                    x,
                    w,
                    bias,
                    targets,
                    options.address(),
                    blockV,
                    math,
                    loss,
                    rowLoss,
                    rowLse,
                    dx,
                    dw,
                    db,
                    work,
                    workBytes,
                    stream);
        } finally {
            JniSegments.keep(options);
        }
    }

    @Override
    public long linearCeWorkspaceSize(long n, long v, long blockV, int dtype) {
        return JniCudaNatives.s4j_cuda_linear_ce_workspace_size(n, v, blockV, dtype);
    }

    @Override
    public int addBias(long n, long c, long bias, long y, long stream) {
        return JniCudaNatives.s4j_cuda_add_bias(n, c, bias, y, stream);
    }

    @Override
    public int columnSums(long n, long c, float alpha, long x, float beta, long out, long stream) {
        return JniCudaNatives.s4j_cuda_column_sums(n, c, alpha, x, beta, out, stream);
    }

    @Override
    public int sgdStep(long count, float lr, float momentum, float weightDecay, long w, long g, long v, long stream) {
        return JniCudaNatives.s4j_cuda_sgd_step(count, lr, momentum, weightDecay, w, g, v, stream);
    }

    @Override
    public int gatherRows(
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
            long stream) {
        return JniCudaNatives.s4j_cuda_gather_rows(
                rows, cols, srcDtype, src, srcRows, index, scale, shift, colScale, out, stream);
    }

    @Override
    public int stepStats(
            long n, long loss, float weight, long rowArgmax, long targets, long lossSum, long correct, long stream) {
        return JniCudaNatives.s4j_cuda_step_stats(n, loss, weight, rowArgmax, targets, lossSum, correct, stream);
    }

    @Override
    public int csrMatmul(
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
            long stream) {
        return JniCudaNatives.s4j_cuda_csr_matmul(
                m, n, k, rowPtr, colIdx, values, alpha, b, ldb, bias, beta, c, ldc, cRows, cRowCount, stream);
    }

    @Override
    public int csrSgdStep(
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
            long stream) {
        JniSegments.guard(options, "options");
        try {
            return JniCudaNatives.s4j_cuda_csr_sgd_step(
                    m,
                    c,
                    k,
                    rowPtr,
                    colIdx,
                    values,
                    targets,
                    options.address(),
                    scale,
                    alpha,
                    biasLr,
                    v,
                    ldv,
                    bias,
                    logits,
                    loss,
                    rowArgmax,
                    work,
                    workBytes,
                    stream);
        } finally {
            JniSegments.keep(options);
        }
    }
}
