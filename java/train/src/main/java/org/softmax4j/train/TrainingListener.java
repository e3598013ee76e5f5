package org.softmax4j.train;

/**
 * Callbacks of a training run, on the training thread. Both have empty
 * defaults. {@link #onBatch} runs after every step, inside the timed loop, so
 * it must be cheap and allocation-free (e.g. redraw a progress bar a few
 * times a second); {@link #onEpoch} runs after each epoch's evaluation.
 */
public interface TrainingListener {

    /** The listener that does nothing. */
    TrainingListener NONE = new TrainingListener() {};

    /**
     * After step {@code batch} (0-based) of {@code batches} in the 0-based {@code epoch};
     * {@code epochLoss} is the mean training loss of the epoch's steps so far, NaN
     * where it is not known before the epoch ends (on a GPU, which reads it once per epoch).
     */
    default void onBatch(int epoch, int batch, int batches, double epochLoss) {}

    /**
     * After an epoch and its evaluation. The state may be saved
     * ({@link Checkpoint#of(TrainingState, TrainConfig, org.softmax4j.data.Dataset)}) or
     * asked to stop ({@link TrainingState#requestStop()}).
     */
    default void onEpoch(EpochMetrics metrics, TrainingState state) {}
}
