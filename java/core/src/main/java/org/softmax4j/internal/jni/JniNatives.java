package org.softmax4j.internal.jni;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.CriticalRegion;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP's view of the C ABI: the JNI glue is generated from this class at
 * build time (javacpp:build in java/core/pom.xml) into libjniJniNatives.so, next
 * to libsoftmax4j.so in the jar. Kernel methods take each pointer as a Java
 * array plus a byte offset, or a null array plus an absolute address (see
 * native/jni/softmax4j_jni.h); arrays are pinned, not copied
 * ({@link CriticalRegion}).
 */
@Platform(
        include = {"softmax4j.h", "softmax4j_jni.h"},
        link = "softmax4j")
public final class JniNatives {
    static {
        Loader.load();
    }

    private JniNatives() {}

    public static native @Cast("const char*") String s4j_version();

    public static native int s4j_isa();

    public static native int s4j_isa_supported(int isa);

    public static native int s4j_set_isa(int isa);

    public static native int s4j_num_threads();

    public static native long s4j_softmax_ce_workspace_size(long c);

    public static native int s4j_set_num_threads(int n);

    public static native int s4j_max_threads();

    public static native int s4j_isa_parse(String name);

    public static native @Cast("const char*") String s4j_settings();

    public static native int s4j_settings_status();

    @CriticalRegion
    @Name("s4j_jni_softmax")
    public static native int softmax(long n, long c, float[] x, long xOff, float[] y, long yOff, int log);

    @CriticalRegion
    @Name("s4j_jni_softmax_ce")
    public static native int softmaxCe(
            long n,
            long c,
            int dtype,
            float[] logits,
            long logitsOff,
            int[] targets,
            long targetsOff,
            byte[] options,
            long optionsOff,
            float[] loss,
            long lossOff,
            float[] rowLoss,
            long rowLossOff,
            float[] rowLse,
            long rowLseOff,
            int[] rowArgmax,
            long rowArgmaxOff,
            float[] dlogits,
            long dlogitsOff,
            long[] errRow,
            long errRowOff,
            byte[] work,
            long workOff,
            long workBytes);

    /** The same for 16-bit logits (bf16, f16) held in {@code short[]}. */
    @CriticalRegion
    @Name("s4j_jni_softmax_ce")
    public static native int softmaxCe(
            long n,
            long c,
            int dtype,
            short[] logits,
            long logitsOff,
            int[] targets,
            long targetsOff,
            byte[] options,
            long optionsOff,
            float[] loss,
            long lossOff,
            float[] rowLoss,
            long rowLossOff,
            float[] rowLse,
            long rowLseOff,
            int[] rowArgmax,
            long rowArgmaxOff,
            short[] dlogits,
            long dlogitsOff,
            long[] errRow,
            long errRowOff,
            byte[] work,
            long workOff,
            long workBytes);

    @CriticalRegion
    @Name("s4j_jni_sgemm")
    public static native int sgemm(
            int transA,
            int transB,
            long m,
            long n,
            long k,
            float alpha,
            float[] a,
            long aOff,
            long lda,
            float[] b,
            long bOff,
            long ldb,
            float beta,
            float[] c,
            long cOff,
            long ldc,
            byte[] work,
            long workOff,
            long workBytes);

    public static native long s4j_sgemm_workspace_size();

    @CriticalRegion
    @Name("s4j_jni_add_bias")
    public static native int addBias(long n, long c, float[] bias, long biasOff, float[] y, long yOff);

    @CriticalRegion
    @Name("s4j_jni_column_sums")
    public static native int columnSums(
            long n, long c, float alpha, float[] x, long xOff, float beta, float[] out, long outOff);

    @CriticalRegion
    @Name("s4j_jni_gather_rows")
    public static native int gatherRows(
            long rows,
            long cols,
            int srcDtype,
            byte[] src,
            long srcOff,
            long srcRows,
            int[] index,
            long indexOff,
            float scale,
            float[] shift,
            long shiftOff,
            float[] colScale,
            long colScaleOff,
            float[] out,
            long outOff,
            long[] errRow,
            long errRowOff);

    @CriticalRegion
    @Name("s4j_jni_gather_rows")
    public static native int gatherRows(
            long rows,
            long cols,
            int srcDtype,
            float[] src,
            long srcOff,
            long srcRows,
            int[] index,
            long indexOff,
            float scale,
            float[] shift,
            long shiftOff,
            float[] colScale,
            long colScaleOff,
            float[] out,
            long outOff,
            long[] errRow,
            long errRowOff);

    @CriticalRegion
    @Name("s4j_jni_csr_sgd_step")
    public static native int csrSgdStep(
            long m,
            long c,
            long k,
            long[] rowPtr,
            long rowPtrOff,
            int[] colIdx,
            long colIdxOff,
            float[] values,
            long valuesOff,
            int[] targets,
            long targetsOff,
            byte[] options,
            long optionsOff,
            float scale,
            float alpha,
            float biasLr,
            float[] v,
            long vOff,
            long ldv,
            float[] bias,
            long biasOff,
            float[] logits,
            long logitsOff,
            float[] loss,
            long lossOff,
            int[] rowArgmax,
            long rowArgmaxOff,
            long[] errRow,
            long errRowOff);

    @CriticalRegion
    @Name("s4j_jni_csr_matmul")
    public static native int csrMatmul(
            long m,
            long n,
            long k,
            long[] rowPtr,
            long rowPtrOff,
            int[] colIdx,
            long colIdxOff,
            float[] values,
            long valuesOff,
            float alpha,
            float[] b,
            long bOff,
            long ldb,
            float[] bias,
            long biasOff,
            float beta,
            float[] c,
            long cOff,
            long ldc,
            int[] cRows,
            long cRowsOff,
            long cRowCount,
            long[] errRow,
            long errRowOff);

    @CriticalRegion
    @Name("s4j_jni_sgd_step")
    public static native int sgdStep(
            long count,
            float lr,
            float momentum,
            float weightDecay,
            float[] w,
            long wOff,
            float[] g,
            long gOff,
            float[] v,
            long vOff);

    @CriticalRegion
    @Name("s4j_jni_cblas_sgemm")
    public static native int cblasSgemm(
            long fn,
            int transA,
            int transB,
            int m,
            int n,
            int k,
            float alpha,
            float[] a,
            long aOff,
            int lda,
            float[] b,
            long bOff,
            int ldb,
            float beta,
            float[] c,
            long cOff,
            int ldc);

    @CriticalRegion
    @Name("s4j_jni_linear_ce")
    public static native int linearCe(
            long n,
            long d,
            long v,
            float[] x,
            long xOff,
            float[] w,
            long wOff,
            float[] bias,
            long biasOff,
            int[] targets,
            long targetsOff,
            byte[] options,
            long optionsOff,
            long blockV,
            float[] loss,
            long lossOff,
            float[] rowLoss,
            long rowLossOff,
            float[] rowLse,
            long rowLseOff,
            float[] dx,
            long dxOff,
            float[] dw,
            long dwOff,
            float[] db,
            long dbOff,
            byte[] work,
            long workOff,
            long workBytes,
            long[] errRow,
            long errRowOff);

    public static native long s4j_linear_ce_workspace_size(long n, long d, long v, long blockV, float softcap);
}
