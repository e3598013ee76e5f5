package org.softmax4j.train;

import java.util.List;
import java.util.SplittableRandom;
import org.softmax4j.Kernels;
import org.softmax4j.cuda.CudaKernels;
import org.softmax4j.data.Dataset;

/**
 * Minibatch SGD for {@link SoftmaxRegression}, every step through
 * {@link Kernels} (see {@link MinibatchStep} and {@link LinearCeStep}), so the same loop runs on any
 * backend. Usable without the CLI:
 *
 * <pre>{@code
 * FashionMnist data = FashionMnist.load(FashionMnist.DEFAULT_DIR);
 * Trainer trainer = new Trainer(Kernels.cpu(), TrainConfig.book());
 * TrainResult r = trainer.fit(data.train(), data.test(), TrainingListener.NONE);
 * }</pre>
 *
 * <p>Reproducibility: the same configuration, data, kernels and thread count
 * give bit-identical weights, also across a stop and resume at any step
 * ({@link TrainingState#requestStop}). The initial weights come from the seed; epoch
 * e's order is a Fisher-Yates shuffle of the training rows (in stored order)
 * driven by a {@link SplittableRandom} seeded from (seed, e) (for training sets
 * above 1 GiB of features, a windowed one that reads the file in 1 MiB runs:
 * see {@link #shuffle}), so it depends on
 * nothing but the seed and the epoch; the learning rate is a function of the
 * global step. Hence a run resumed from a {@link TrainingState} (e.g. a
 * {@link Checkpoint}) ends exactly where an uninterrupted one does.
 *
 * <p>Only the epochs' shuffling and training steps are timed
 * ({@link TrainResult#loopNanos()}); the validation and test passes after
 * each epoch are not. The loop itself allocates nothing per step: every
 * buffer is made once per run (see {@link HostSteps}; with {@link CudaKernels}
 * everything stays on the GPU, see {@link DeviceSteps}).
 */
public final class Trainer {
    private final Kernels kernels;
    private final TrainConfig config;

    /** A trainer running {@code config} on {@code kernels}. */
    public Trainer(Kernels kernels, TrainConfig config) {
        if (kernels == null || config == null) throw new IllegalArgumentException("kernels and config are required");
        this.kernels = kernels;
        this.config = config;
    }

    /** The configuration. */
    public TrainConfig config() {
        return config;
    }

    /**
     * Splits the validation set off {@code trainingSet} as configured (seeded;
     * an empty validation set when {@code valFraction} is 0).
     */
    public Dataset.Split split(Dataset trainingSet) {
        return trainingSet.split(config.valFraction(), config.seed(), config.stratify());
    }

    /**
     * Trains from scratch on {@code trainingSet} minus the configured
     * validation split, evaluating on the split and on {@code test} (may be
     * null) after every epoch.
     */
    public TrainResult fit(Dataset trainingSet, Dataset test, TrainingListener listener) {
        return resume(
                TrainingState.start(config, trainingSet.features(), trainingSet.classes()),
                trainingSet,
                test,
                listener);
    }

    /**
     * Continues {@code state} (e.g. from a checkpoint) up to the configured
     * epochs, with the same validation split as {@link #fit}. The state is
     * updated in place.
     */
    public TrainResult resume(TrainingState state, Dataset trainingSet, Dataset test, TrainingListener listener) {
        Dataset.Split split = split(trainingSet);
        Dataset val = split.validation().size() > 0 ? split.validation() : null;
        return run(state, split.train(), val, test, listener);
    }

    /**
     * The training loop: continues {@code state} from its completed epochs up
     * to {@code config.epochs()} on {@code train}, evaluating {@code validation}
     * and {@code test} (each may be null) after each epoch. Early stopping
     * (when configured and a validation set is given) watches the validation loss.
     */
    public TrainResult run(
            TrainingState state, Dataset train, Dataset validation, Dataset test, TrainingListener listener) {
        TrainingListener cb = listener == null ? TrainingListener.NONE : listener;
        int features = state.model.features(), classes = state.model.classes();
        checkShape(train, features, classes);
        if (validation != null) checkShape(validation, features, classes);
        if (test != null) checkShape(test, features, classes);
        if ((config.momentum() != 0) != (state.velocityW != null)) {
            throw new IllegalArgumentException("the state was made for momentum "
                    + (state.velocityW != null ? "> 0" : "0") + " but the config has momentum "
                    + config.momentum());
        }
        int n = train.size();
        if (n == 0) throw new IllegalArgumentException("the training set is empty");
        int batch = Math.min(config.batchSize(), n);
        int batches = (n + batch - 1) / batch;
        long totalSteps = (long) batches * config.epochs();
        boolean earlyStopping = config.patience() > 0 && validation != null && validation.size() > 0;

        int[] order = new int[n];
        float baseLr = config.lr(), momentum = config.momentum(), decay = config.weightDecay();
        LrSchedule schedule = config.schedule();
        long loopNanos = 0, samples = 0;

        try (TrainingSteps steps = kernels instanceof CudaKernels gpu
                ? new DeviceSteps(gpu, state, train, batch)
                : new HostSteps(kernels, state, train, batch)) {
            for (int epoch = state.epochsDone;
                    epoch < config.epochs() && !state.stoppedEarly && !state.stopRequested();
                    epoch++) {
                long t0 = System.nanoTime();
                train.copySourceRows(0, n, order, 0);
                if (config.shuffle()) shuffle(order, epochSeed(config.seed(), epoch), blockRows(train));
                steps.startEpoch(order, n);
                float lr = baseLr;
                int b = state.batchesInEpoch; // > 0 when resuming mid-epoch
                for (; b < batches && !state.stopRequested(); b++) {
                    lr = schedule.lr(baseLr, epoch, state.step, totalSteps);
                    steps.step(b * batch, Math.min(batch, n - b * batch), lr, momentum, decay);
                    state.step++;
                    cb.onBatch(epoch, b, batches, steps.runningLoss());
                }
                double[] totals = steps.finishEpoch(); // waits for the epoch's last step
                long dt = System.nanoTime() - t0;
                loopNanos += dt;
                int from = state.batchesInEpoch;
                long done = Math.min((long) b * batch, n) - Math.min((long) from * batch, n);
                samples += done;
                state.epochLossSum += totals[0];
                state.epochCorrect += totals[1];
                if (b < batches) { // stopped mid-epoch: keep the position for a resume
                    state.batchesInEpoch = b;
                    steps.syncModel();
                    break;
                }
                totals = new double[] {state.epochLossSum, state.epochCorrect};
                state.batchesInEpoch = 0;
                state.epochLossSum = 0;
                state.epochCorrect = 0;
                state.epochsDone = epoch + 1;
                steps.syncModel();

                Evaluation v = validation != null ? steps.evaluate(validation) : null;
                if (earlyStopping) {
                    if (v.loss() < state.bestValLoss) {
                        state.bestValLoss = v.loss();
                        state.bestEpoch = epoch + 1;
                        state.badEpochs = 0;
                        if (state.best == null) state.best = state.model.copy();
                        else state.best.copyFrom(state.model);
                    } else if (++state.badEpochs >= config.patience()) {
                        state.stoppedEarly = true;
                    }
                }
                Evaluation t = test != null ? steps.evaluate(test) : null;
                double seconds = dt / 1e9;
                EpochMetrics m = new EpochMetrics(
                        epoch + 1,
                        lr,
                        totals[0] / n,
                        steps.countsCorrect() ? totals[1] / n : Double.NaN,
                        v == null ? Double.NaN : v.loss(),
                        v == null ? Double.NaN : v.accuracy(),
                        t == null ? Double.NaN : t.loss(),
                        t == null ? Double.NaN : t.accuracy(),
                        seconds,
                        done / seconds);
                state.history.add(m);
                cb.onEpoch(m, state);
            }
        }
        SoftmaxRegression result = (earlyStopping && state.best != null ? state.best : state.model).copy();
        return new TrainResult(result, state, List.copyOf(state.history), loopNanos, samples);
    }

    /**
     * How each step computes the loss, for a training set of {@code rows} rows: the
     * fused linear cross-entropy where the batch's logits would exceed
     * {@link SgdStep#LOGITS_BUDGET_BYTES} (CPU only), else GEMM + fused softmax-CE.
     */
    public String stepDescription(int rows, int classes) {
        int batch = Math.max(1, Math.min(config.batchSize(), rows));
        long bytes = (long) batch * classes * Float.BYTES;
        String logits =
                String.format(java.util.Locale.ROOT, "%,d x %,d logits, %.1f MiB", batch, classes, bytes / 1048576.0);
        if (!(kernels instanceof CudaKernels) && SgdStep.fused(batch, classes)) {
            return "fused linear cross-entropy (the step's " + logits + ", are never held)";
        }
        return "GEMM + fused softmax cross-entropy (" + logits + " per step)";
    }

    /** The seed of epoch e's shuffle: a hash of (seed, e) (SplitMix64's finaliser). */
    static long epochSeed(long seed, int epoch) {
        long z = seed + 0x9E3779B97F4A7C15L * (epoch + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Training sets of more feature bytes than this are shuffled in windows. */
    static final long WINDOWED_ABOVE = 1L << 30;
    /** Bytes of consecutive rows kept together, and blocks per window. */
    static final int BLOCK_BYTES = 1 << 20, WINDOW_BLOCKS = 16;

    /**
     * Rows per block of a windowed shuffle of {@code train}, or 0 for a plain
     * one. Chosen by size alone, so the order never depends on where the
     * features live (heap, page cache or disk).
     */
    static int blockRows(Dataset train) {
        long rowBytes = (long) train.features() * train.matrix().type().byteSize();
        if (rowBytes * train.size() <= WINDOWED_ABOVE) return 0;
        return (int) Math.max(1, BLOCK_BYTES / rowBytes);
    }

    /**
     * Fisher-Yates with a fresh SplittableRandom(seed); with blockRows > 0,
     * a windowed shuffle instead: the blocks of blockRows consecutive rows are
     * permuted, then rows are shuffled within each window of WINDOW_BLOCKS
     * blocks. A batch then reads a few 1 MiB runs of the file instead of a
     * page per row, which is what keeps a data set larger than the page cache
     * trainable (a plain shuffle of 4 GB under a 2 GiB memory limit made one
     * step per second).
     */
    static void shuffle(int[] a, long seed, int blockRows) {
        SplittableRandom rnd = new SplittableRandom(seed);
        if (blockRows <= 0 || blockRows >= a.length) {
            fisherYates(a, 0, a.length, rnd);
            return;
        }
        int blocks = (a.length + blockRows - 1) / blockRows;
        int[] blockOrder = new int[blocks];
        for (int i = 0; i < blocks; i++) blockOrder[i] = i;
        fisherYates(blockOrder, 0, blocks, rnd);
        int[] copy = a.clone();
        int at = 0, windowStart = 0;
        for (int k = 0; k < blocks; k++) {
            int from = blockOrder[k] * blockRows, len = Math.min(blockRows, a.length - from);
            System.arraycopy(copy, from, a, at, len);
            at += len;
            if ((k + 1) % WINDOW_BLOCKS == 0 || k == blocks - 1) { // windows end at block ends
                fisherYates(a, windowStart, at, rnd);
                windowStart = at;
            }
        }
    }

    private static void fisherYates(int[] a, int from, int to, SplittableRandom rnd) {
        for (int i = to - 1; i > from; i--) {
            int j = from + rnd.nextInt(i - from + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    private static void checkShape(Dataset d, int features, int classes) {
        if (d.features() != features || d.classes() != classes) {
            throw new IllegalArgumentException(
                    d + " does not fit a model of " + features + " features and " + classes + " classes");
        }
    }
}
