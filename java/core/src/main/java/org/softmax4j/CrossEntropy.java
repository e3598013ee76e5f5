package org.softmax4j;

/**
 * Options of {@link Kernels#crossEntropy}, with PyTorch's
 * {@code F.cross_entropy} meaning and defaults (see {@link #defaults()}):
 *
 * <pre>
 * lse_i  = log sum_k exp(x_ik)
 * loss_i = (1-eps) w[y_i] (lse_i - x_i,y_i) + eps/C sum_k w[k] (lse_i - x_ik) + zLoss lse_i^2
 * </pre>
 *
 * and {@code loss_i = 0} for rows whose target is {@code ignoreIndex}.
 *
 * @param ignoreIndex    target value whose rows are skipped (default -100)
 * @param reduction      how rows are combined (default {@link Reduction#MEAN})
 * @param labelSmoothing eps in [0, 1) (default 0)
 * @param zLoss          coefficient of lse^2, >= 0 (default 0; PaLM uses 1e-4)
 * @param classWeight    C per-class weights, or null for all ones (not copied)
 * @param gradScale      the gradient written is d(gradScale * loss)/dlogits (default 1)
 */
public record CrossEntropy(
        int ignoreIndex, Reduction reduction, float labelSmoothing, float zLoss, float[] classWeight, float gradScale) {

    /** PyTorch's default {@code ignore_index}. */
    public static final int DEFAULT_IGNORE_INDEX = -100;

    public CrossEntropy {
        if (reduction == null) throw new IllegalArgumentException("reduction is null");
        if (!(labelSmoothing >= 0f && labelSmoothing < 1f)) {
            throw new IllegalArgumentException("labelSmoothing must be in [0, 1): " + labelSmoothing);
        }
        if (!(zLoss >= 0f) || Float.isInfinite(zLoss)) {
            throw new IllegalArgumentException("zLoss must be finite and >= 0: " + zLoss);
        }
        if (!Float.isFinite(gradScale)) {
            throw new IllegalArgumentException("gradScale must be finite: " + gradScale);
        }
    }

    /** ignore_index -100, mean reduction, no smoothing, no z-loss, no weights, scale 1. */
    public static CrossEntropy defaults() {
        return new CrossEntropy(DEFAULT_IGNORE_INDEX, Reduction.MEAN, 0f, 0f, null, 1f);
    }

    public CrossEntropy withIgnoreIndex(int value) {
        return new CrossEntropy(value, reduction, labelSmoothing, zLoss, classWeight, gradScale);
    }

    public CrossEntropy withReduction(Reduction value) {
        return new CrossEntropy(ignoreIndex, value, labelSmoothing, zLoss, classWeight, gradScale);
    }

    public CrossEntropy withLabelSmoothing(float value) {
        return new CrossEntropy(ignoreIndex, reduction, value, zLoss, classWeight, gradScale);
    }

    public CrossEntropy withZLoss(float value) {
        return new CrossEntropy(ignoreIndex, reduction, labelSmoothing, value, classWeight, gradScale);
    }

    public CrossEntropy withClassWeight(float[] value) {
        return new CrossEntropy(ignoreIndex, reduction, labelSmoothing, zLoss, value, gradScale);
    }

    public CrossEntropy withGradScale(float value) {
        return new CrossEntropy(ignoreIndex, reduction, labelSmoothing, zLoss, classWeight, value);
    }
}
