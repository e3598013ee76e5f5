package org.softmax4j.train;

/**
 * A model's figures on a data set.
 *
 * @param loss     mean cross-entropy
 * @param correct  examples whose most probable class is the label
 * @param count    examples
 */
public record Evaluation(double loss, long correct, long count) {

    /** Fraction classified correctly (NaN for an empty set). */
    public double accuracy() {
        return count == 0 ? Double.NaN : (double) correct / count;
    }
}
