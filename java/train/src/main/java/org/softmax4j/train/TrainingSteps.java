package org.softmax4j.train;

import org.softmax4j.data.Dataset;

/**
 * Where the trainer's steps run: on the host's memory ({@link HostSteps}:
 * any CPU kernels) or with everything resident on a GPU ({@link DeviceSteps}).
 * The trainer owns the loop (order, learning rate, early stopping, history);
 * an implementation owns the buffers and the per-step kernel calls.
 */
interface TrainingSteps extends AutoCloseable {

    /** Begins an epoch over source rows {@code order[0, n)}. */
    void startEpoch(int[] order, int n);

    /** One SGD step on rows {@code [from, from + rows)} of the epoch's order. */
    void step(int from, int rows, float lr, float momentum, float weightDecay);

    /** Sum of the steps' (mean loss x rows) and of right guesses since {@link #startEpoch}; waits for the steps. */
    double[] finishEpoch();

    /** Mean loss of the steps since {@link #startEpoch}, or NaN where only {@link #finishEpoch} knows it. */
    default double runningLoss() {
        return Double.NaN;
    }

    /** Whether {@link #finishEpoch}'s right guesses are counted (else the training accuracy is NaN). */
    default boolean countsCorrect() {
        return true;
    }

    /** Makes the state's model (and velocities) hold the current parameters. */
    void syncModel();

    /** Loss and accuracy of the current model on {@code data}. */
    Evaluation evaluate(Dataset data);

    @Override
    void close();
}
