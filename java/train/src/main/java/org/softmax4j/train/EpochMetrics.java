package org.softmax4j.train;

/**
 * What one epoch achieved. Training loss and accuracy are averaged over the
 * epoch's batches as they were trained (the book's convention, at no extra
 * cost); validation and test figures come from a pass after the epoch. A
 * figure that was not measured (no validation split, no test set) is NaN.
 *
 * @param epoch            1-based
 * @param lr               the learning rate of the epoch's last step
 * @param trainLoss        mean cross-entropy over the epoch's training examples
 * @param trainAccuracy    fraction of them classified correctly (before each step's update)
 * @param valLoss          mean cross-entropy on the validation split
 * @param valAccuracy      accuracy on the validation split
 * @param testLoss         mean cross-entropy on the test set
 * @param testAccuracy     accuracy on the test set
 * @param trainSeconds     time of the epoch's training steps (no evaluation)
 * @param samplesPerSecond training examples per second of trainSeconds
 */
public record EpochMetrics(
        int epoch,
        float lr,
        double trainLoss,
        double trainAccuracy,
        double valLoss,
        double valAccuracy,
        double testLoss,
        double testAccuracy,
        double trainSeconds,
        double samplesPerSecond) {

    /** Whether validation figures were measured. */
    public boolean hasValidation() {
        return !Double.isNaN(valLoss);
    }

    /** Whether test figures were measured. */
    public boolean hasTest() {
        return !Double.isNaN(testLoss);
    }
}
