package org.softmax4j.train;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything a training run carries from one epoch to the next, so that a
 * run resumed from a saved state ends bit-identical to an uninterrupted one:
 * the current parameters, the momentum buffers, the position (epochs done,
 * steps of an unfinished epoch and global step, which also fix the
 * learning-rate schedule and, with the seed, the shuffling), the best-so-far weights of early stopping and the history.
 */
public final class TrainingState {
    final SoftmaxRegression model;
    /** Momentum buffers of W and b; null when training without momentum. */
    final float[] velocityW;

    final float[] velocityB;
    int epochsDone;
    long step;
    /**
     * Steps done of the epoch after {@code epochsDone} when a stop came
     * mid-epoch (0 at an epoch boundary), and their loss sum (mean loss x
     * rows) and right guesses, so that the resumed epoch reports the whole.
     */
    int batchesInEpoch;

    double epochLossSum;
    double epochCorrect;
    /** Early stopping triggered: no further epochs. */
    boolean stoppedEarly;
    /** Best weights on the validation loss so far (early stopping only; else null). */
    SoftmaxRegression best;

    double bestValLoss = Double.POSITIVE_INFINITY;
    int bestEpoch;
    int badEpochs;
    final List<EpochMetrics> history = new ArrayList<>();
    private volatile boolean stopRequested;

    TrainingState(SoftmaxRegression model, float[] velocityW, float[] velocityB) {
        this.model = model;
        this.velocityW = velocityW;
        this.velocityB = velocityB;
    }

    /** The start of a run of {@code config}: initial weights, zero momentum, nothing done. */
    public static TrainingState start(TrainConfig config, int features, int classes) {
        SoftmaxRegression m = SoftmaxRegression.gaussian(features, classes, config.initStd(), config.seed());
        boolean momentum = config.momentum() != 0;
        return new TrainingState(
                m, momentum ? new float[features * classes] : null, momentum ? new float[classes] : null);
    }

    /** The current parameters (live: updated in place by training). */
    public SoftmaxRegression model() {
        return model;
    }

    /**
     * The parameters to predict with: the best-so-far on the validation loss
     * when early stopping keeps them, else the current ones (live).
     */
    public SoftmaxRegression inferenceModel() {
        return best != null ? best : model;
    }

    /** The best-so-far weights of early stopping, or null. */
    public SoftmaxRegression bestModel() {
        return best;
    }

    /** The epoch (1-based) of the best validation loss, 0 if none yet. */
    public int bestEpoch() {
        return bestEpoch;
    }

    /** The best validation loss so far (infinity if none yet). */
    public double bestValLoss() {
        return bestValLoss;
    }

    /** Epochs completed. */
    public int epochsDone() {
        return epochsDone;
    }

    /** Steps done of the unfinished epoch after {@link #epochsDone()} (0 between epochs). */
    public int batchesInEpoch() {
        return batchesInEpoch;
    }

    /** Steps (batches) completed since the start. */
    public long step() {
        return step;
    }

    /** Whether early stopping ended the run. */
    public boolean stoppedEarly() {
        return stoppedEarly;
    }

    /** The metrics of every completed epoch (live list). */
    public List<EpochMetrics> history() {
        return history;
    }

    /**
     * Asks the run to stop at the next step boundary (e.g. from a listener, or
     * from a signal handler's thread); the state then holds a resumable
     * position, mid-epoch if need be.
     */
    public void requestStop() {
        stopRequested = true;
    }

    boolean stopRequested() {
        return stopRequested;
    }

    /** A deep copy (without a pending stop request). */
    public TrainingState copy() {
        TrainingState c = new TrainingState(
                model.copy(),
                velocityW == null ? null : velocityW.clone(),
                velocityB == null ? null : velocityB.clone());
        c.epochsDone = epochsDone;
        c.step = step;
        c.batchesInEpoch = batchesInEpoch;
        c.epochLossSum = epochLossSum;
        c.epochCorrect = epochCorrect;
        c.stoppedEarly = stoppedEarly;
        c.best = best == null ? null : best.copy();
        c.bestValLoss = bestValLoss;
        c.bestEpoch = bestEpoch;
        c.badEpochs = badEpochs;
        c.history.addAll(history);
        return c;
    }
}
