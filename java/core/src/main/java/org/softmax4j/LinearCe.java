package org.softmax4j;

/**
 * Options of {@link Kernels#linearCrossEntropy} beyond the cross-entropy's own.
 *
 * @param softcap      logit soft-capping: logits become {@code softcap tanh(z / softcap)};
 *                     0 (the default) for none
 * @param blockClasses classes per tile; 0 (the default) lets the kernel choose
 */
public record LinearCe(float softcap, int blockClasses) {
    public LinearCe {
        if (!(softcap >= 0f) || Float.isInfinite(softcap)) {
            throw new IllegalArgumentException("softcap must be finite and >= 0: " + softcap);
        }
        if (blockClasses < 0) throw new IllegalArgumentException("blockClasses must be >= 0: " + blockClasses);
    }

    /** No soft-capping, automatic tiles. */
    public static LinearCe defaults() {
        return new LinearCe(0f, 0);
    }

    public LinearCe withSoftcap(float value) {
        return new LinearCe(value, blockClasses);
    }

    public LinearCe withBlockClasses(int value) {
        return new LinearCe(softcap, value);
    }
}
