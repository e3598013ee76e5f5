package org.softmax4j;

import java.lang.foreign.MemorySegment;
import org.softmax4j.internal.Segments;

/**
 * Optional outputs of {@link Kernels#crossEntropy}; each may be null (not
 * computed). All are written in full when present.
 *
 * @param dlogits   N x C gradient, same dtype as the logits; may be the logits
 *                  segment itself (in-place)
 * @param rowLoss   N floats: loss_i (0 for ignored rows); required for
 *                  {@link Reduction#NONE}
 * @param rowLse    N floats: log-sum-exp of each row, for reuse
 * @param rowArgmax N ints: first index of each row's maximum (accuracy for free)
 */
public record CeOutputs(MemorySegment dlogits, MemorySegment rowLoss, MemorySegment rowLse, MemorySegment rowArgmax) {

    private static final CeOutputs NONE = new CeOutputs(null, null, null, null);

    /** Loss only. */
    public static CeOutputs none() {
        return NONE;
    }

    /** Loss and gradient. */
    public static CeOutputs gradient(MemorySegment dlogits) {
        return NONE.withDlogits(dlogits);
    }

    /** Loss and float32 gradient. */
    public static CeOutputs gradient(float[] dlogits) {
        return NONE.withDlogits(dlogits);
    }

    public CeOutputs withDlogits(MemorySegment value) {
        return new CeOutputs(value, rowLoss, rowLse, rowArgmax);
    }

    public CeOutputs withDlogits(float[] value) {
        return withDlogits(Segments.of(value));
    }

    /** bf16 or f16 gradient. */
    public CeOutputs withDlogits(short[] value) {
        return withDlogits(Segments.of(value));
    }

    public CeOutputs withRowLoss(MemorySegment value) {
        return new CeOutputs(dlogits, value, rowLse, rowArgmax);
    }

    public CeOutputs withRowLoss(float[] value) {
        return withRowLoss(Segments.of(value));
    }

    public CeOutputs withRowLse(MemorySegment value) {
        return new CeOutputs(dlogits, rowLoss, value, rowArgmax);
    }

    public CeOutputs withRowLse(float[] value) {
        return withRowLse(Segments.of(value));
    }

    public CeOutputs withRowArgmax(MemorySegment value) {
        return new CeOutputs(dlogits, rowLoss, rowLse, value);
    }

    public CeOutputs withRowArgmax(int[] value) {
        return withRowArgmax(Segments.of(value));
    }
}
