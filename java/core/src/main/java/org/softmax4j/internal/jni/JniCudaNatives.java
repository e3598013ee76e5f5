package org.softmax4j.internal.jni;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.CriticalRegion;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP's view of the CUDA functions: the JNI glue is generated at build
 * time (javacpp:build in java/core/pom.xml) into libjniJniCudaNatives.so, linked
 * to libsoftmax4j_cuda.so and loaded only when CUDA is asked for. Device
 * pointers and streams are {@code long}s; host buffers (array, byte offset)
 * as in {@link JniNatives}, pinned rather than copied.
 */
@Platform(
        include = {"softmax4j.h", "softmax4j_cuda_jni.h"},
        link = "softmax4j_cuda")
public final class JniCudaNatives {
    static {
        Loader.load();
    }

    private JniCudaNatives() {}

    public static native int s4j_cuda_device_count(int[] count);

    public static native @Cast("const char*") String s4j_cuda_last_error();

    public static native int s4j_cuda_malloc(@Cast("void**") long[] ptr, long bytes);

    public static native int s4j_cuda_free(@Cast("void*") long ptr);

    @CriticalRegion
    @Name("s4j_jni_cuda_memcpy_host")
    public static native int memcpyHost(long device, byte[] host, long hostOff, long bytes, int kind, long stream);

    @CriticalRegion
    @Name("s4j_jni_cuda_memcpy_host")
    public static native int memcpyHost(long device, short[] host, long hostOff, long bytes, int kind, long stream);

    @CriticalRegion
    @Name("s4j_jni_cuda_memcpy_host")
    public static native int memcpyHost(long device, int[] host, long hostOff, long bytes, int kind, long stream);

    @CriticalRegion
    @Name("s4j_jni_cuda_memcpy_host")
    public static native int memcpyHost(long device, float[] host, long hostOff, long bytes, int kind, long stream);

    @CriticalRegion
    @Name("s4j_jni_cuda_memcpy_host")
    public static native int memcpyHost(long device, long[] host, long hostOff, long bytes, int kind, long stream);

    @CriticalRegion
    @Name("s4j_jni_cuda_memcpy_host")
    public static native int memcpyHost(long device, double[] host, long hostOff, long bytes, int kind, long stream);

    public static native int s4j_cuda_memcpy(
            @Cast("void*") long dst, @Cast("const void*") long src, long bytes, int kind, @Cast("void*") long stream);

    public static native int s4j_cuda_memset(
            @Cast("void*") long ptr, int value, long bytes, @Cast("void*") long stream);

    public static native int s4j_cuda_stream_create(@Cast("void**") long[] stream);

    public static native int s4j_cuda_stream_destroy(@Cast("void*") long stream);

    public static native int s4j_cuda_stream_synchronize(@Cast("void*") long stream);

    public static native int s4j_cuda_graph_begin(@Cast("void*") long stream);

    public static native int s4j_cuda_graph_end(@Cast("void*") long stream, @Cast("void**") long[] graph);

    public static native int s4j_cuda_graph_launch(@Cast("void*") long graph, @Cast("void*") long stream);

    public static native int s4j_cuda_graph_destroy(@Cast("void*") long graph);

    public static native int s4j_cuda_softmax(
            long n, long c, @Cast("const float*") long x, @Cast("float*") long y, int log, @Cast("void*") long stream);

    public static native int s4j_cuda_softmax_ce(
            long n,
            long c,
            int dtype,
            @Cast("const void*") long logits,
            @Cast("const int32_t*") long targets,
            @Cast("const s4j_ce_options*") long options,
            @Cast("float*") long loss,
            @Cast("float*") long rowLoss,
            @Cast("float*") long rowLse,
            @Cast("int32_t*") long rowArgmax,
            @Cast("void*") long dlogits,
            @Cast("void*") long work,
            long workBytes,
            @Cast("void*") long stream);

    public static native long s4j_cuda_softmax_ce_workspace_size(long n);

    public static native int s4j_cuda_sgemm(
            int transA,
            int transB,
            long m,
            long n,
            long k,
            float alpha,
            @Cast("const float*") long a,
            long lda,
            @Cast("const float*") long b,
            long ldb,
            float beta,
            @Cast("float*") long c,
            long ldc,
            int math,
            @Cast("void*") long stream);

    public static native int s4j_cuda_gemm_bf16(
            int transA,
            int transB,
            long m,
            long n,
            long k,
            float alpha,
            @Cast("const void*") long a,
            long lda,
            @Cast("const void*") long b,
            long ldb,
            float beta,
            @Cast("float*") long c,
            long ldc,
            @Cast("void*") long stream);

    public static native int s4j_cuda_linear_ce(
            long n,
            long d,
            long v,
            int dtype,
            @Cast("const void*") long x,
            @Cast("const void*") long w,
            @Cast("const float*") long bias,
            @Cast("const int32_t*") long targets,
            @Cast("const s4j_ce_options*") long options,
            long blockV,
            int math,
            @Cast("float*") long loss,
            @Cast("float*") long rowLoss,
            @Cast("float*") long rowLse,
            @Cast("float*") long dx,
            @Cast("float*") long dw,
            @Cast("float*") long db,
            @Cast("void*") long work,
            long workBytes,
            @Cast("void*") long stream);

    public static native long s4j_cuda_linear_ce_workspace_size(long n, long v, long blockV, int dtype);

    public static native int s4j_cuda_add_bias(
            long n, long c, @Cast("const float*") long bias, @Cast("float*") long y, @Cast("void*") long stream);

    public static native int s4j_cuda_column_sums(
            long n,
            long c,
            float alpha,
            @Cast("const float*") long x,
            float beta,
            @Cast("float*") long out,
            @Cast("void*") long stream);

    public static native int s4j_cuda_sgd_step(
            long count,
            float lr,
            float momentum,
            float weightDecay,
            @Cast("float*") long w,
            @Cast("const float*") long g,
            @Cast("float*") long v,
            @Cast("void*") long stream);

    public static native int s4j_cuda_gather_rows(
            long rows,
            long cols,
            int srcDtype,
            @Cast("const void*") long src,
            long srcRows,
            @Cast("const int32_t*") long index,
            float scale,
            @Cast("const float*") long shift,
            @Cast("const float*") long colScale,
            @Cast("float*") long out,
            @Cast("void*") long stream);

    public static native int s4j_cuda_step_stats(
            long n,
            @Cast("const float*") long loss,
            float weight,
            @Cast("const int32_t*") long rowArgmax,
            @Cast("const int32_t*") long targets,
            @Cast("double*") long lossSum,
            @Cast("int64_t*") long correct,
            @Cast("void*") long stream);

    public static native int s4j_cuda_csr_sgd_step(
            long m,
            long c,
            long k,
            @Cast("const int64_t*") long rowPtr,
            @Cast("const int32_t*") long colIdx,
            @Cast("const float*") long values,
            @Cast("const int32_t*") long targets,
            @Cast("const s4j_ce_options*") long options,
            float scale,
            float alpha,
            float biasLr,
            @Cast("float*") long v,
            long ldv,
            @Cast("float*") long bias,
            @Cast("float*") long logits,
            @Cast("float*") long loss,
            @Cast("int32_t*") long rowArgmax,
            @Cast("void*") long work,
            long workBytes,
            @Cast("void*") long stream);

    public static native int s4j_cuda_csr_matmul(
            long m,
            long n,
            long k,
            @Cast("const int64_t*") long rowPtr,
            @Cast("const int32_t*") long colIdx,
            @Cast("const float*") long values,
            float alpha,
            @Cast("const float*") long b,
            long ldb,
            @Cast("const float*") long bias,
            float beta,
            @Cast("float*") long c,
            long ldc,
            @Cast("const int32_t*") long cRows,
            long cRowCount,
            @Cast("void*") long stream);
}
