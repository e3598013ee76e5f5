package org.softmax4j.internal.abi;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import org.softmax4j.CrossEntropy;
import org.softmax4j.internal.Codes;

/**
 * {@code s4j_ce_options} of softmax4j.h, the one way cross-entropy options
 * reach a kernel: both bindings, CPU and CUDA, pass a native segment that
 * {@link #write} filled (a layout change there is a change here; C asserts
 * the size and offsets it was written for).
 */
public final class CeOptionsStruct {
    public static final StructLayout LAYOUT = MemoryLayout.structLayout(
            ADDRESS.withName("class_weight"),
            JAVA_INT.withName("ignore_index"),
            JAVA_INT.withName("reduction"),
            JAVA_FLOAT.withName("label_smoothing"),
            JAVA_FLOAT.withName("z_loss"),
            JAVA_FLOAT.withName("grad_scale"),
            JAVA_FLOAT.withName("softcap"));

    private static final VarHandle CLASS_WEIGHT = handle("class_weight");
    private static final VarHandle IGNORE_INDEX = handle("ignore_index");
    private static final VarHandle REDUCTION = handle("reduction");
    private static final VarHandle LABEL_SMOOTHING = handle("label_smoothing");
    private static final VarHandle Z_LOSS = handle("z_loss");
    private static final VarHandle GRAD_SCALE = handle("grad_scale");
    private static final VarHandle SOFTCAP = handle("softcap");

    private CeOptionsStruct() {}

    private static VarHandle handle(String field) {
        return LAYOUT.varHandle(MemoryLayout.PathElement.groupElement(field));
    }

    /**
     * Fills {@code dst} (native, {@link #LAYOUT} sized) with {@code ce},
     * {@code softcap} (0 for the kernels without soft-capping) and the
     * address of the class weights in the kernel's memory (0 for none).
     */
    public static MemorySegment write(MemorySegment dst, CrossEntropy ce, float softcap, long classWeightAddress) {
        CLASS_WEIGHT.set(dst, 0L, MemorySegment.ofAddress(classWeightAddress));
        IGNORE_INDEX.set(dst, 0L, ce.ignoreIndex());
        REDUCTION.set(dst, 0L, Codes.of(ce.reduction()));
        LABEL_SMOOTHING.set(dst, 0L, ce.labelSmoothing());
        Z_LOSS.set(dst, 0L, ce.zLoss());
        GRAD_SCALE.set(dst, 0L, ce.gradScale());
        SOFTCAP.set(dst, 0L, softcap);
        return dst;
    }
}
