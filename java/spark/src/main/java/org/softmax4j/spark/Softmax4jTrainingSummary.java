package org.softmax4j.spark;

import java.io.Serializable;
import java.util.List;

/**
 * How a {@link Softmax4jClassifier} fit went: the objective per iteration and
 * where the time of each pass over the data went. Kept with the model in
 * memory, not saved with it (as MLlib's training summaries).
 *
 * @param solver           {@code "lbfgs"} or {@code "sgd"}
 * @param objectiveHistory L-BFGS: the objective (mean weighted loss plus
 *                         penalties) at the start and after each iteration;
 *                         SGD: each epoch's mean objective over its minibatches
 * @param elapsedNanos     when each entry of the history was reached, from the start
 *                         of the fit (the packing pass included)
 * @param iterations       iterations (L-BFGS) or epochs (SGD) run
 * @param stopReason       why it stopped, e.g. {@code "objective converged"}
 * @param packNanos        wall time of the first pass, which packs the rows into
 *                         blocks, caches them and computes the feature statistics
 * @param passes           each later pass over the data (a Spark job): one per
 *                         objective evaluation (L-BFGS) or step (SGD)
 */
public record Softmax4jTrainingSummary(
        String solver,
        double[] objectiveHistory,
        long[] elapsedNanos,
        int iterations,
        String stopReason,
        long packNanos,
        List<Pass> passes)
        implements Serializable {

    /**
     * One distributed pass. The compute times are summed over partitions
     * (they run in parallel), with the longest partition's apart: wall time
     * minus the longest partition is what scheduling, the broadcast of the
     * coefficients, task (de)serialisation and the tree aggregation cost.
     *
     * @param wallNanos                the driver's wall time of the pass
     * @param kernelNanos              time in softmax4j's native kernels, over all partitions
     * @param computeNanos             time computing the partitions' sums (kernels and the
     *                                 float-to-double accumulation), over all partitions
     * @param maxPartitionComputeNanos the longest one partition computed
     * @param rows                     rows the pass covered
     */
    public record Pass(long wallNanos, long kernelNanos, long computeNanos, long maxPartitionComputeNanos, long rows)
            implements Serializable {
        static Pass of(long wallNanos, LossSum s) {
            return new Pass(wallNanos, s.kernelNanos, s.computeNanos, s.maxPartitionComputeNanos(), s.rows);
        }
    }

    public Softmax4jTrainingSummary {
        if (elapsedNanos.length != objectiveHistory.length) {
            throw new IllegalArgumentException(
                    elapsedNanos.length + " times for " + objectiveHistory.length + " objective values");
        }
        objectiveHistory = objectiveHistory.clone();
        elapsedNanos = elapsedNanos.clone();
        passes = List.copyOf(passes);
    }

    /** A copy of the objective history. */
    @Override
    public double[] objectiveHistory() {
        return objectiveHistory.clone();
    }

    /** A copy of the times of the history's entries. */
    @Override
    public long[] elapsedNanos() {
        return elapsedNanos.clone();
    }

    /**
     * The time from the start of the fit until the objective first was at most
     * {@code target}, or -1 when it never was.
     */
    public long nanosToObjective(double target) {
        for (int i = 0; i < objectiveHistory.length; i++) {
            if (objectiveHistory[i] <= target) return elapsedNanos[i];
        }
        return -1;
    }
}
