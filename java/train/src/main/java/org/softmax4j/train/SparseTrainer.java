package org.softmax4j.train;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.softmax4j.CeOutputs;
import org.softmax4j.CrossEntropy;
import org.softmax4j.DType;
import org.softmax4j.Kernels;
import org.softmax4j.data.SparseRows;

/**
 * Minibatch SGD for softmax regression on sparse rows (text, one-hot
 * features), where a dense gradient of all features x classes per step
 * would cost more than the data: every step is O(entries x classes).
 *
 * <pre>
 * Z  = X W + b                          csrMatmul (W: features x classes, rows of X sparse)
 * loss, G (in place of Z), argmax       crossEntropy (mean: G holds the 1/batch)
 * b -= lr colsum(G)                     columnSums, sgdStep
 * W[used] -= lr X^T G                   csrMatmul of the batch transposed, scattered into
 *                                       the rows of W the batch uses (nothing else is touched)
 * </pre>
 *
 * Weight decay (L2, weights only) is exact and lazy: W is held as {@code s V}
 * with a scalar s, so the decay of every weight, {@code W *= 1 - lr wd}, is
 * {@code s *= 1 - lr wd} (O(1)), and the update of V is divided by s; V is
 * folded back when s gets small, and at the end. Momentum is not offered
 * here: a lazy momentum would be exact only for a constant rate.
 *
 * <p>Deterministic: the same data, settings, seed and thread count give the
 * same weights. Epoch e's order is a Fisher-Yates shuffle seeded from (seed, e).
 */
public final class SparseTrainer {
    private static final CrossEntropy CE = CrossEntropy.defaults();
    private static final float FOLD_BELOW = 1e-4f;

    private final Kernels kernels;
    private final TrainConfig config;

    public SparseTrainer(Kernels kernels, TrainConfig config) {
        if (kernels == null || config == null) throw new IllegalArgumentException("kernels and config are required");
        if (config.momentum() != 0) {
            throw new IllegalArgumentException(
                    "momentum " + config.momentum()
                            + ": sparse training is plain SGD (a lazy momentum is exact only at a constant rate); use --momentum 0");
        }
        if (config.patience() > 0 || config.valFraction() > 0) {
            throw new IllegalArgumentException(
                    "early stopping and validation splits are not offered for sparse training yet");
        }
        this.kernels = kernels;
        this.config = config;
    }

    /** Labelled sparse rows: the subset {@code rows} of a matrix (null: all of it). */
    public record Data(SparseRows matrix, int[] labels, int[] rows) {
        public Data {
            if (labels.length != matrix.rows()) {
                throw new IllegalArgumentException(labels.length + " labels for " + matrix.rows() + " rows");
            }
            if (rows == null) {
                rows = new int[labels.length];
                Arrays.setAll(rows, i -> i);
            }
        }

        public int size() {
            return rows.length;
        }
    }

    /** What a run ends with: the model, one line of metrics per epoch, the time of the epochs alone. */
    public record Result(SoftmaxRegression model, List<EpochMetrics> history, long loopNanos) {}

    /**
     * Trains zero-initialised weights (features = the matrix's columns) on
     * {@code train}, evaluating {@code test} (may be null) after each epoch.
     */
    public Result fit(Data train, Data test, int classes, TrainingListener batches, Consumer<EpochMetrics> epochs) {
        int d = train.matrix().columns(), c = classes, n = train.size();
        if (n == 0) throw new IllegalArgumentException("the training set is empty");
        for (int y : train.labels()) {
            if (y < 0 || y >= c) throw new IllegalArgumentException("label " + y + " is outside [0, " + c + ")");
        }
        SoftmaxRegression model = SoftmaxRegression.zeros(d, c);
        float[] v = model.weights(), bias = model.bias();
        MemorySegment vs = MemorySegment.ofArray(v), bs = MemorySegment.ofArray(bias);
        int batch = Math.min(config.batchSize(), n), steps = (n + batch - 1) / batch;
        long totalSteps = (long) steps * config.epochs(), step = 0;
        float[] z = new float[batch * c], db = new float[c];
        int[] targets = new int[batch], argmax = new int[batch], marker = new int[d];
        Arrays.fill(marker, -1);
        MemorySegment zs = MemorySegment.ofArray(z),
                ts = MemorySegment.ofArray(targets),
                dbs = MemorySegment.ofArray(db);
        CeOutputs out = CeOutputs.gradient(zs).withRowArgmax(MemorySegment.ofArray(argmax));
        SparseRows.Batch x = new SparseRows.Batch(), xt = new SparseRows.Batch();
        SparseRows.Used used = new SparseRows.Used();
        TrainingListener cb = batches == null ? TrainingListener.NONE : batches;
        List<EpochMetrics> history = new ArrayList<>();
        int[] order = train.rows().clone();
        float s = 1f; // W = s V
        long loopNanos = 0;
        for (int epoch = 0; epoch < config.epochs(); epoch++) {
            long t0 = System.nanoTime();
            System.arraycopy(train.rows(), 0, order, 0, n);
            if (config.shuffle()) shuffle(order, Trainer.epochSeed(config.seed(), epoch));
            double lossSum = 0;
            long correct = 0;
            float lr = config.lr();
            for (int b = 0; b < steps; b++, step++) {
                int from = b * batch, m = Math.min(batch, n - from);
                lr = config.schedule().lr(config.lr(), epoch, step, totalSteps);
                train.matrix().gather(order, from, m, x);
                for (int i = 0; i < m; i++) targets[i] = train.labels()[order[from + i]];
                kernels.csrMatmul(m, c, d, x.rowPtr, x.col, x.val, s, v, c, bias, 0f, z, c, null, 0);
                float loss = kernels.crossEntropy(CE, m, c, DType.F32, zs, ts, out);
                lossSum += (double) loss * m;
                for (int i = 0; i < m; i++) if (argmax[i] == targets[i]) correct++;
                kernels.columnSums(m, c, 1f, zs, 0f, dbs);
                kernels.sgdStep(c, lr, 0f, 0f, bs, dbs, null);
                s *= 1f - lr * config.weightDecay();
                if (!(s > FOLD_BELOW)) s = fold(v, s);
                x.transposeInto(xt, marker, used);
                kernels.csrMatmul(
                        used.count, c, m, xt.rowPtr, xt.col, xt.val, -lr / s, z, c, null, 1f, v, c, used.columns, d);
                cb.onBatch(epoch, b, steps, lossSum / Math.min((long) (b + 1) * batch, n));
            }
            long dt = System.nanoTime() - t0;
            loopNanos += dt;
            s = fold(v, s);
            Evaluation e = test != null && test.size() > 0 ? evaluate(model, test) : null;
            EpochMetrics metrics = new EpochMetrics(
                    epoch + 1,
                    lr,
                    lossSum / n,
                    (double) correct / n,
                    Double.NaN,
                    Double.NaN,
                    e == null ? Double.NaN : e.loss(),
                    e == null ? Double.NaN : e.accuracy(),
                    dt / 1e9,
                    n / (dt / 1e9));
            history.add(metrics);
            if (epochs != null) epochs.accept(metrics);
        }
        return new Result(model, List.copyOf(history), loopNanos);
    }

    /** V *= s; returns the new scale, 1. */
    private static float fold(float[] v, float s) {
        if (s == 1f) return 1f;
        for (int i = 0; i < v.length; i++) v[i] *= s;
        return 1f;
    }

    /** Mean loss and accuracy of {@code model} on {@code data}. */
    public Evaluation evaluate(SoftmaxRegression model, Data data) {
        int c = model.classes(), d = model.features(), n = data.size();
        int batch = Math.min(1024, Math.max(1, n));
        float[] z = new float[batch * c];
        int[] targets = new int[batch], argmax = new int[batch];
        MemorySegment zs = MemorySegment.ofArray(z), ts = MemorySegment.ofArray(targets);
        CeOutputs out = CeOutputs.none().withRowArgmax(MemorySegment.ofArray(argmax));
        SparseRows.Batch x = new SparseRows.Batch();
        CrossEntropy sum = CE.withReduction(org.softmax4j.Reduction.SUM);
        double loss = 0;
        long correct = 0;
        for (int from = 0; from < n; from += batch) {
            int m = Math.min(batch, n - from);
            data.matrix().gather(data.rows(), from, m, x);
            for (int i = 0; i < m; i++) targets[i] = data.labels()[data.rows()[from + i]];
            kernels.csrMatmul(m, c, d, x.rowPtr, x.col, x.val, 1f, model.weights(), c, model.bias(), 0f, z, c, null, 0);
            loss += kernels.crossEntropy(sum, m, c, DType.F32, zs, ts, out);
            for (int i = 0; i < m; i++) if (argmax[i] == targets[i]) correct++;
        }
        return new Evaluation(n == 0 ? Double.NaN : loss / n, correct, n);
    }

    private static void shuffle(int[] a, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = a.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
