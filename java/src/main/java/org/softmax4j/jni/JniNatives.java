package org.softmax4j.jni;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.CriticalRegion;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * JavaCPP's view of the C ABI: the JNI glue is generated from this class at
 * build time (javacpp:build in java/pom.xml) into libjniJniNatives.so, next
 * to libsoftmax4j.so in the jar. Kernel methods take each pointer as a Java
 * array plus a byte offset, or a null array plus an absolute address (see
 * native/jni/softmax4j_jni.h); arrays are pinned, not copied
 * ({@link CriticalRegion}).
 */
@Platform(include = {"softmax4j.h", "softmax4j_jni.h"}, link = "softmax4j")
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

    public static native int s4j_set_num_threads(int n);

    @CriticalRegion
    @Name("s4j_jni_softmax")
    public static native int softmax(long n, long c, float[] x, long xOff, float[] y, long yOff,
                                     int log);

    @CriticalRegion
    @Name("s4j_jni_softmax_ce")
    public static native int softmaxCe(long n, long c, int dtype, float[] logits, long logitsOff,
                                       int[] targets, long targetsOff, float[] weight,
                                       long weightOff, int ignoreIndex, int reduction,
                                       float labelSmoothing, float zLoss, float gradScale,
                                       float[] loss, long lossOff, float[] rowLoss,
                                       long rowLossOff, float[] rowLse, long rowLseOff,
                                       int[] rowArgmax, long rowArgmaxOff, float[] dlogits,
                                       long dlogitsOff, long[] errRow, long errRowOff);

    /** The same for 16-bit logits (bf16, f16) held in {@code short[]}. */
    @CriticalRegion
    @Name("s4j_jni_softmax_ce")
    public static native int softmaxCe(long n, long c, int dtype, short[] logits, long logitsOff,
                                       int[] targets, long targetsOff, float[] weight,
                                       long weightOff, int ignoreIndex, int reduction,
                                       float labelSmoothing, float zLoss, float gradScale,
                                       float[] loss, long lossOff, float[] rowLoss,
                                       long rowLossOff, float[] rowLse, long rowLseOff,
                                       int[] rowArgmax, long rowArgmaxOff, short[] dlogits,
                                       long dlogitsOff, long[] errRow, long errRowOff);
}
