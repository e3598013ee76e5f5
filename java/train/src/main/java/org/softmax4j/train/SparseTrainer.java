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
 * Many classes: when a batch's logits would exceed
 * {@link SgdStep#LOGITS_BUDGET_BYTES} (64 MiB: 32 rows x 500,000 classes), the
 * step goes over tiles of classes twice, never holding the batch x classes logits:
 * first each tile's log-sum-exp (combined per row), then each tile's gradient
 * {@code exp(z - lse) - onehot} from its recomputed logits, with the bias and the
 * weight columns of that tile updated at once (a tile's logits depend on its own
 * columns only). Exact softmax, any class count up to the arrays' 2^31 weights.
 *
 * <p>Weight decay (L2, weights only) is exact and lazy: W is held as {@code s V}
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
    private final long logitsBudget;

    public SparseTrainer(Kernels kernels, TrainConfig config) {
        this(kernels, config, SgdStep.LOGITS_BUDGET_BYTES);
    }

    /** With another bound on a step's logits (tests: tiles of classes on small problems). */
    SparseTrainer(Kernels kernels, TrainConfig config, long logitsBudgetBytes) {
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
        this.logitsBudget = logitsBudgetBytes;
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

    /**
     * What a run ends with: the model, one line of metrics per completed epoch, the time of the
     * epochs alone, and the steps done when it was asked to stop (-1: it ran to the end).
     */
    public record Result(SoftmaxRegression model, List<EpochMetrics> history, long loopNanos, long stoppedAtStep) {
        public boolean stopped() {
            return stoppedAtStep >= 0;
        }
    }

    /**
     * Trains zero-initialised weights (features = the matrix's columns) on
     * {@code train}, evaluating {@code test} (may be null) after each epoch.
     */
    public Result fit(Data train, Data test, int classes, TrainingListener batches, Consumer<EpochMetrics> epochs) {
        return fit(train, test, classes, batches, epochs, () -> false);
    }

    /**
     * {@link #fit}, checking {@code stop} after every step: when it says so, the run ends
     * there (the weights of the steps done, the completed epochs' metrics).
     */
    public Result fit(
            Data train,
            Data test,
            int classes,
            TrainingListener batches,
            Consumer<EpochMetrics> epochs,
            java.util.function.BooleanSupplier stop) {
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
        int tile = tileClasses(batch, c, logitsBudget);
        float[] z = new float[batch * tile], db = new float[tile];
        Tiles tiles = tile < c ? new Tiles(batch, (c + tile - 1) / tile) : null;
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
        long loopNanos = 0, stoppedAt = -1;
        for (int epoch = 0; epoch < config.epochs() && stoppedAt < 0; epoch++) {
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
                x.transposeInto(xt, marker, used);
                if (tiles == null) {
                    kernels.csrMatmul(m, c, d, x.rowPtr, x.col, x.val, s, v, c, bias, 0f, z, c, null, 0);
                    float loss = kernels.crossEntropy(CE, m, c, DType.F32, zs, ts, out);
                    lossSum += (double) loss * m;
                    for (int i = 0; i < m; i++) if (argmax[i] == targets[i]) correct++;
                    kernels.columnSums(m, c, 1f, zs, 0f, dbs);
                    kernels.sgdStep(c, lr, 0f, 0f, bs, dbs, null);
                    s *= 1f - lr * config.weightDecay();
                    if (!(s > FOLD_BELOW)) s = fold(v, s);
                    kernels.csrMatmul(
                            used.count,
                            c,
                            m,
                            xt.rowPtr,
                            xt.col,
                            xt.val,
                            -lr / s,
                            z,
                            c,
                            null,
                            1f,
                            v,
                            c,
                            used.columns,
                            d);
                } else {
                    tiles.forward(m, d, c, tile, x, s, vs, bs, z, targets);
                    lossSum += tiles.lossSum(m);
                    correct += tiles.correct(m, targets);
                    float decayed = s * (1f - lr * config.weightDecay());
                    tiles.backward(m, d, c, tile, x, xt, used, s, -lr / decayed, lr, vs, bs, z, db, targets);
                    s = decayed;
                    if (!(s > FOLD_BELOW)) s = fold(v, s);
                }
                cb.onBatch(epoch, b, steps, lossSum / Math.min((long) (b + 1) * batch, n));
                if (stop.getAsBoolean()) {
                    stoppedAt = step + 1;
                    break;
                }
            }
            long dt = System.nanoTime() - t0;
            loopNanos += dt;
            s = fold(v, s);
            if (stoppedAt >= 0) break; // an unfinished epoch has no metrics
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
        return new Result(model, List.copyOf(history), loopNanos, stoppedAt);
    }

    /** The classes of a tile: all of them while the batch's logits fit the budget. */
    static int tileClasses(int batch, int classes, long budget) {
        long perClass = (long) batch * Float.BYTES;
        if (perClass * classes <= budget) return classes;
        return (int) Math.max(64, budget / perClass / 64 * 64);
    }

    /** The two passes over tiles of classes of one step (see the class comment); per-row state. */
    private final class Tiles {
        final double[] lse, zTarget, best;
        final int[] bestClass, tileTargets, tileArgmax;
        final float[] tileLse, scale;
        /** Each tile's log-sum-exp per row, from pass 1 for pass 2. */
        final float[][] lseOfTile;

        final CrossEntropy sum = CE.withReduction(org.softmax4j.Reduction.SUM);

        Tiles(int batch, int count) {
            lseOfTile = new float[count][batch];
            lse = new double[batch];
            zTarget = new double[batch];
            best = new double[batch];
            bestClass = new int[batch];
            tileTargets = new int[batch];
            tileArgmax = new int[batch];
            tileLse = new float[batch];
            scale = new float[batch];
        }

        /** Pass 1: each row's log-sum-exp over all classes, its target's logit and its argmax. */
        void forward(
                int m,
                int d,
                int c,
                int tile,
                SparseRows.Batch x,
                float s,
                MemorySegment w,
                MemorySegment b,
                float[] z,
                int[] targets) {
            Arrays.fill(lse, 0, m, Double.NEGATIVE_INFINITY);
            Arrays.fill(best, 0, m, Double.NEGATIVE_INFINITY);
            Arrays.fill(tileTargets, 0, m, CE.ignoreIndex());
            MemorySegment zs = MemorySegment.ofArray(z);
            CeOutputs out = CeOutputs.none()
                    .withRowLse(MemorySegment.ofArray(tileLse))
                    .withRowArgmax(MemorySegment.ofArray(tileArgmax));
            for (int v0 = 0; v0 < c; v0 += tile) {
                int t = Math.min(tile, c - v0);
                logits(m, d, c, v0, t, x, s, w, b, zs);
                for (int i = 0; i < m; i++) {
                    int y = targets[i] - v0;
                    if (y >= 0 && y < t) zTarget[i] = z[i * t + y];
                }
                kernels.crossEntropy(sum, m, t, DType.F32, zs, MemorySegment.ofArray(tileTargets), out);
                System.arraycopy(tileLse, 0, lseOfTile[v0 / tile], 0, m);
                for (int i = 0; i < m; i++) {
                    double l = tileLse[i], hi = Math.max(lse[i], l);
                    lse[i] = hi + Math.log(Math.exp(lse[i] - hi) + Math.exp(l - hi));
                    double top = z[i * t + tileArgmax[i]];
                    if (top > best[i]) {
                        best[i] = top;
                        bestClass[i] = v0 + tileArgmax[i];
                    }
                }
            }
        }

        double lossSum(int m) {
            double sum = 0;
            for (int i = 0; i < m; i++) sum += lse[i] - zTarget[i];
            return sum;
        }

        int correct(int m, int[] targets) {
            int ok = 0;
            for (int i = 0; i < m; i++) if (bestClass[i] == targets[i]) ok++;
            return ok;
        }

        /**
         * Pass 2: per tile, G = (softmax_tile(z) e^(lse_tile - lse) - onehot) / m from the
         * recomputed logits, then its bias and weight columns updated.
         */
        void backward(
                int m,
                int d,
                int c,
                int tile,
                SparseRows.Batch x,
                SparseRows.Batch xt,
                SparseRows.Used used,
                float s,
                float alpha,
                float lr,
                MemorySegment w,
                MemorySegment b,
                float[] z,
                float[] db,
                int[] targets) {
            MemorySegment zs = MemorySegment.ofArray(z), dbs = MemorySegment.ofArray(db);
            for (int v0 = 0; v0 < c; v0 += tile) {
                int t = Math.min(tile, c - v0);
                float[] own = lseOfTile[v0 / tile];
                logits(m, d, c, v0, t, x, s, w, b, zs);
                kernels.softmax(m, t, zs, zs);
                for (int i = 0; i < m; i++) scale[i] = (float) (Math.exp(own[i] - lse[i]) / m);
                for (int i = 0; i < m; i++) {
                    float a = scale[i];
                    for (int k = i * t, end = k + t; k < end; k++) z[k] *= a;
                    int y = targets[i] - v0;
                    if (y >= 0 && y < t) z[i * t + y] -= 1f / m;
                }
                kernels.columnSums(m, t, 1f, zs, 0f, dbs);
                kernels.sgdStep(t, lr, 0f, 0f, b.asSlice(4L * v0, 4L * t), dbs.asSlice(0, 4L * t), null);
                kernels.csrMatmul(
                        used.count,
                        t,
                        m,
                        MemorySegment.ofArray(xt.rowPtr),
                        MemorySegment.ofArray(xt.col),
                        MemorySegment.ofArray(xt.val),
                        alpha,
                        zs,
                        t,
                        null,
                        1f,
                        w.asSlice(4L * v0),
                        c,
                        MemorySegment.ofArray(used.columns),
                        d);
            }
        }

        /** z (m x t) = s X W[:, v0 .. v0 + t) + b[v0 .. v0 + t). */
        private void logits(
                int m,
                int d,
                int c,
                int v0,
                int t,
                SparseRows.Batch x,
                float s,
                MemorySegment w,
                MemorySegment b,
                MemorySegment zs) {
            kernels.csrMatmul(
                    m,
                    t,
                    d,
                    MemorySegment.ofArray(x.rowPtr),
                    MemorySegment.ofArray(x.col),
                    MemorySegment.ofArray(x.val),
                    s,
                    w.asSlice(4L * v0),
                    c,
                    b.asSlice(4L * v0, 4L * t),
                    0f,
                    zs,
                    t,
                    null,
                    0);
        }
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
        int batch = (int) Math.max(1, Math.min(Math.min(1024, n), SgdStep.LOGITS_BUDGET_BYTES / (4L * c)));
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
