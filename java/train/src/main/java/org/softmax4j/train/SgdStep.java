package org.softmax4j.train;

import java.lang.foreign.MemorySegment;

/**
 * One SGD step of softmax regression on a gathered batch, on the host:
 * {@link MinibatchStep} (GEMM, fused softmax-CE, GEMM) or, where the batch's
 * logits would be too large, {@link LinearCeStep} (the fused linear
 * cross-entropy). {@link #of} chooses.
 */
interface SgdStep {
    /** Above this many bytes of N x C logits per step, the step is the fused linear cross-entropy. */
    long LOGITS_BUDGET_BYTES = 64L << 20;

    /** The step for batches of up to {@code maxBatch} rows. */
    static SgdStep of(org.softmax4j.Kernels kernels, int maxBatch, int features, int classes) {
        return fused(maxBatch, classes)
                ? new LinearCeStep(kernels, maxBatch, features, classes)
                : new MinibatchStep(kernels, maxBatch, features, classes);
    }

    /** Whether {@link #of} picks the fused linear cross-entropy. */
    static boolean fused(int maxBatch, int classes) {
        return (long) maxBatch * classes * Float.BYTES > LOGITS_BUDGET_BYTES;
    }

    /** Binds the parameters (and momentum buffers, null without momentum) the steps update. */
    void bind(SoftmaxRegression model, float[] velocityW, float[] velocityB);

    /** Loss and gradients of the n-row batch x; returns the mean loss. */
    float forwardBackward(int n, MemorySegment x, int[] targets, MemorySegment targetsSeg);

    /** Whether {@link #correct} counts right guesses (the fused linear cross-entropy has no argmax). */
    default boolean countsCorrect() {
        return true;
    }

    /** Right guesses of the last {@link #forwardBackward}. */
    int correct();

    /** Applies the gradients: weight decay on W only (the bias is not shrunk). */
    void update(float lr, float momentum, float weightDecay);

    /** Makes the bound model (and momentum) hold the trained parameters. */
    default void syncModel() {}
}
