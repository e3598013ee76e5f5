package org.softmax4j.train;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Softmax regression: {@code logits = x W + b}, with W a row-major
 * {@code features x classes} matrix (784 x 10 for Fashion-MNIST) and b the
 * per-class bias; {@code softmax(logits)} are the class probabilities. The
 * arrays are the live parameters (the kernels update them in place).
 */
public final class SoftmaxRegression {
    private final int features;
    private final int classes;
    private final float[] weights;
    private final float[] bias;

    /**
     * A model over the given parameters (not copied).
     *
     * @throws IllegalArgumentException when the sizes disagree
     */
    public SoftmaxRegression(int features, int classes, float[] weights, float[] bias) {
        if (features < 1 || classes < 1) {
            throw new IllegalArgumentException(
                    "features " + features + " and classes " + classes + " must be positive");
        }
        if (weights.length != features * classes || bias.length != classes) {
            throw new IllegalArgumentException("weights " + weights.length + " / bias " + bias.length + " do not fit "
                    + features + " x " + classes);
        }
        this.features = features;
        this.classes = classes;
        this.weights = weights;
        this.bias = bias;
    }

    /** Zero weights and bias. */
    public static SoftmaxRegression zeros(int features, int classes) {
        return new SoftmaxRegression(features, classes, new float[features * classes], new float[classes]);
    }

    /**
     * Weights drawn from N(0, std^2), zero bias (the book's initialisation with
     * std 0.01). The normal deviates come from {@link SplittableRandom} through
     * Box-Muller with {@link StrictMath}, so the same seed gives the same
     * weights on every JDK and machine.
     */
    public static SoftmaxRegression gaussian(int features, int classes, double std, long seed) {
        SoftmaxRegression m = zeros(features, classes);
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] w = m.weights;
        for (int i = 0; i < w.length; i += 2) {
            // Box-Muller: two independent deviates from two uniforms; u1 in (0, 1] avoids log(0).
            double u1 = 1.0 - rnd.nextDouble(), u2 = rnd.nextDouble();
            double r = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
            w[i] = (float) (std * r * StrictMath.cos(2 * StrictMath.PI * u2));
            if (i + 1 < w.length) w[i + 1] = (float) (std * r * StrictMath.sin(2 * StrictMath.PI * u2));
        }
        return m;
    }

    /** Input features. */
    public int features() {
        return features;
    }

    /** Output classes. */
    public int classes() {
        return classes;
    }

    /** The live {@code features x classes} row-major weight matrix. */
    public float[] weights() {
        return weights;
    }

    /** The live bias vector of {@code classes} values. */
    public float[] bias() {
        return bias;
    }

    /** A deep copy. */
    public SoftmaxRegression copy() {
        return new SoftmaxRegression(features, classes, weights.clone(), bias.clone());
    }

    /** Overwrites these parameters with other's (same shape). */
    public void copyFrom(SoftmaxRegression other) {
        if (other.features != features || other.classes != classes) {
            throw new IllegalArgumentException(
                    "shape " + other.features + "x" + other.classes + " differs from " + features + "x" + classes);
        }
        System.arraycopy(other.weights, 0, weights, 0, weights.length);
        System.arraycopy(other.bias, 0, bias, 0, bias.length);
    }

    /** Whether both have the same shape and bit-identical parameters. */
    public boolean sameParameters(SoftmaxRegression other) {
        return other.features == features
                && other.classes == classes
                && Arrays.equals(weights, other.weights)
                && Arrays.equals(bias, other.bias);
    }

    @Override
    public String toString() {
        return "SoftmaxRegression[" + features + " -> " + classes + "]";
    }
}
