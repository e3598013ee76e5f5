package org.softmax4j;

import java.lang.foreign.MemorySegment;
import org.softmax4j.internal.Segments;

/**
 * Optional outputs of {@link Kernels#linearCrossEntropy}; each may be null.
 * Gradients are written in full (not accumulated into) when present.
 *
 * @param dx      N x D gradient of the hidden states
 * @param dw      V x D gradient of the classifier
 * @param db      V gradient of the bias
 * @param rowLoss N per-row losses (required for {@link Reduction#NONE})
 * @param rowLse  N per-row log-sum-exp of the (capped) logits
 */
public record LinearCeOutputs(
        MemorySegment dx, MemorySegment dw, MemorySegment db, MemorySegment rowLoss, MemorySegment rowLse) {
    private static final LinearCeOutputs NONE = new LinearCeOutputs(null, null, null, null, null);

    /** Loss only. */
    public static LinearCeOutputs none() {
        return NONE;
    }

    /** Loss and all gradients, into arrays (db may be null when there is no bias). */
    public static LinearCeOutputs gradients(float[] dx, float[] dw, float[] db) {
        return new LinearCeOutputs(Segments.of(dx), Segments.of(dw), Segments.of(db), null, null);
    }

    public LinearCeOutputs withRowLoss(float[] value) {
        return new LinearCeOutputs(dx, dw, db, Segments.of(value), rowLse);
    }

    public LinearCeOutputs withRowLse(float[] value) {
        return new LinearCeOutputs(dx, dw, db, rowLoss, Segments.of(value));
    }
}
