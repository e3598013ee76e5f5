package org.softmax4j.train;

import java.util.List;

/**
 * The outcome of {@link Trainer#run}.
 *
 * @param model        the trained parameters to use: the best on validation loss
 *                     when early stopping was on, else the last (a copy)
 * @param state        the final state, to save for resuming
 * @param history      metrics of every epoch, including those before a resume
 * @param loopNanos    time of the training steps of this run (no data loading, no evaluation)
 * @param samples      training examples processed in this run
 */
public record TrainResult(
        SoftmaxRegression model, TrainingState state, List<EpochMetrics> history, long loopNanos, long samples) {

    /** Seconds of the training loop. */
    public double loopSeconds() {
        return loopNanos / 1e9;
    }

    /** Training throughput of this run. */
    public double samplesPerSecond() {
        return loopNanos == 0 ? 0 : samples / (loopNanos / 1e9);
    }

    /** The last epoch's metrics, or null when no epoch ran. */
    public EpochMetrics last() {
        return history.isEmpty() ? null : history.get(history.size() - 1);
    }
}
