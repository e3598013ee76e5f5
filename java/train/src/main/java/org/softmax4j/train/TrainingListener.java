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
     * After step {@code batch} (0-based) of {@code batches} in the 0-based {@code epoch}.
     */
    default void onBatch(int epoch, int batch, int batches) {}

    /**
     * After an epoch and its evaluation. The state may be saved
     * ({@link Checkpoint#of(TrainingState, TrainConfig, org.softmax4j.data.Dataset)}) or
     * asked to stop ({@link TrainingState#requestStop()}).
     */
    default void onEpoch(EpochMetrics metrics, TrainingState state) {}
}
