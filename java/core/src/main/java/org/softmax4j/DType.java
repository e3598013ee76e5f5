package org.softmax4j;

/** Element type of logits and of their gradient. Arithmetic is always float32. */
public enum DType {
    /** IEEE binary32; Java {@code float}. */
    F32(4),
    /** bfloat16: the upper 16 bits of a binary32; stored in Java {@code short}. */
    BF16(2),
    /** IEEE binary16; stored in Java {@code short} (see {@link Float#floatToFloat16}). */
    F16(2),
    /**
     * Unsigned byte, for stored features only ({@link Kernels#gatherRows}, e.g.
     * pixels); the cross-entropy kernels reject it.
     */
    U8(1);

    private final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Bytes per element. */
    public int byteSize() {
        return bytes;
    }
}
