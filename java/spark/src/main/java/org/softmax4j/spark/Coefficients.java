package org.softmax4j.spark;

import java.io.Serializable;

/**
 * What an iteration broadcasts to the executors: the weights in the original
 * feature space, {@code features x classes} row-major float32 as the
 * kernels take them, the bias, and the per-class loss weights (null: all 1).
 */
record Coefficients(int features, int classes, float[] weights, float[] bias, float[] classWeight)
        implements Serializable {
    Coefficients {
        if (weights.length != features * classes || bias.length != classes) {
            throw new IllegalArgumentException("weights " + weights.length + " / bias " + bias.length + " do not fit "
                    + features + " x " + classes);
        }
        if (classWeight != null && classWeight.length != classes) {
            throw new IllegalArgumentException(classWeight.length + " class weights for " + classes + " classes");
        }
    }
}
