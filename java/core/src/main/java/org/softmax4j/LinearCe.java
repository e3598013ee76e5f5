package org.softmax4j;

/**
 * Options of {@link Kernels#linearCrossEntropy} beyond the cross-entropy's own.
 *
 * <p>The plan: by default (both sizes 0) the CPU kernel holds a chunk of rows
 * x all classes of logits at once when at least 256 rows fit min(1/4 of the
 * N x V logits, 64 MiB) -- three GEMMs, like materialising the logits -- and
 * otherwise goes over tiles of rows x 1024 classes twice (the logits computed
 * twice, in a few MiB). {@code blockClasses} forces the tiles, {@code
 * chunkRows} the row chunks.
 *
 * @param softcap      logit soft-capping: logits become {@code softcap tanh(z / softcap)};
 *                     0 (the default) for none
 * @param blockClasses classes per tile of the tiled plan; 0 (the default) lets the kernel choose
 * @param chunkRows    rows per chunk of the row-chunked plan (CPU only, not with soft-capping);
 *                     0 (the default) lets the kernel choose
 */
public record LinearCe(float softcap, int blockClasses, int chunkRows) {
    public LinearCe {
        if (!(softcap >= 0f) || Float.isInfinite(softcap)) {
            throw new IllegalArgumentException("softcap must be finite and >= 0: " + softcap);
        }
        if (blockClasses < 0) throw new IllegalArgumentException("blockClasses must be >= 0: " + blockClasses);
        if (chunkRows < 0) throw new IllegalArgumentException("chunkRows must be >= 0: " + chunkRows);
        if (chunkRows > 0 && blockClasses > 0) {
            throw new IllegalArgumentException("blockClasses and chunkRows pick different plans: set one ("
                    + blockClasses + ", " + chunkRows + ")");
        }
        if (chunkRows > 0 && softcap > 0f) {
            throw new IllegalArgumentException(
                    "chunkRows does not combine with softcap (" + softcap + "): soft-capping runs on the tiled plan");
        }
    }

    /** No soft-capping, automatic plan. */
    public static LinearCe defaults() {
        return new LinearCe(0f, 0, 0);
    }

    public LinearCe withSoftcap(float value) {
        return new LinearCe(value, blockClasses, chunkRows);
    }

    public LinearCe withBlockClasses(int value) {
        return new LinearCe(softcap, value, chunkRows);
    }

    public LinearCe withChunkRows(int value) {
        return new LinearCe(softcap, blockClasses, value);
    }
}
