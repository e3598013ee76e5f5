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
 * Z  = X W + b                          (W: features x classes, rows of X sparse)
 * loss, G (in place of Z), argmax       the cross-entropy (mean: G holds the 1/batch)
 * b -= lr colsum(G)
 * W[used] -= lr X^T G                   only the rows of W the batch uses are touched
 * </pre>
 *
 * all in one call, {@link Kernels#csrSgdStep}; with momentum or tiles of classes the same
 * step is csrMatmul, crossEntropy, columnSums and sgdStep, and the update a csrMatmul of the
 * batch transposed scattered into the rows of W it uses.
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
 * folded back when s gets small, and at the end. Weight decay and momentum
 * together are refused: then unused rows change every step through both.
 *
 * <p>Momentum (PyTorch's SGD, no dampening) is exact and lazy too ({@link LazyMomentum}): a row
 * the batches do not use keeps moving by its decaying velocity, {@code v *= mu; w -= lr_t v},
 * and is brought up to date, in O(classes), only when a batch uses it again (and every row at
 * the end of each epoch), from prefix sums of {@code lr_t mu^t} kept per block of 32 steps.
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
        if (config.momentum() != 0 && config.weightDecay() != 0) {
            throw new IllegalArgumentException("momentum " + config.momentum() + " with weight decay "
                    + config.weightDecay() + ": sparse rows take one or the other (with both, the rows a batch "
                    + "does not use change every step, and no lazy update is exact)");
        }
        if (config.lr() * config.weightDecay() >= 1) {
            throw new IllegalArgumentException("lr " + config.lr() + " x weight decay " + config.weightDecay()
                    + " >= 1: each step would scale the weights by 1 - lr wd <= 0");
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
        LazyMomentum mom = config.momentum() != 0 ? new LazyMomentum(config.momentum(), d, c) : null;
        float[] velB = mom != null ? new float[c] : null;
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
                float next = s * (1f - lr * config.weightDecay()); // s after this step, > 0
                if (!(next > FOLD_BELOW)) {
                    s = fold(v, s);
                    next = 1f - lr * config.weightDecay();
                }
                if (tiles == null && mom == null) {
                    // the whole step in one call: no transposed batch
                    float loss = kernels.csrSgdStep(
                            CE, m, c, d, x.rowPtr, x.col, x.val, targets, s, -lr / next, lr, v, c, bias, z, argmax);
                    s = next;
                    lossSum += (double) loss * m;
                    for (int i = 0; i < m; i++) if (argmax[i] == targets[i]) correct++;
                } else {
                    x.transposeInto(xt, marker, used);
                    if (mom != null) {
                        for (int u = 0; u < used.count; u++) mom.catchUp(v, used.columns[u]);
                    }
                    if (tiles == null && mom != null) {
                        kernels.csrMatmul(m, c, d, x.rowPtr, x.col, x.val, 1f, v, c, bias, 0f, z, c, null, 0);
                        float loss = kernels.crossEntropy(CE, m, c, DType.F32, zs, ts, out);
                        lossSum += (double) loss * m;
                        for (int i = 0; i < m; i++) if (argmax[i] == targets[i]) correct++;
                        kernels.columnSums(m, c, 1f, zs, 0f, dbs);
                        kernels.sgdStep(c, lr, config.momentum(), 0f, bias, db, velB);
                        mom.step(kernels, lr, m, xt, used, z, c, 0, c, v);
                    } else {
                        tiles.forward(m, d, c, tile, x, s, vs, bs, z, targets);
                        lossSum += tiles.lossSum(m);
                        correct += tiles.correct(m, targets);
                        float decayed = s * (1f - lr * config.weightDecay());
                        tiles.backward(
                                m, d, c, tile, x, xt, used, s, -lr / decayed, lr, vs, bs, z, db, targets, mom, velB, v);
                        s = decayed;
                        if (!(s > FOLD_BELOW)) s = fold(v, s);
                    }
                }
                if (mom != null) mom.finishStep(lr, used);
                cb.onBatch(epoch, b, steps, lossSum / Math.min((long) (b + 1) * batch, n));
                if (stop.getAsBoolean()) {
                    stoppedAt = step + 1;
                    break;
                }
            }
            long dt = System.nanoTime() - t0;
            loopNanos += dt;
            s = fold(v, s);
            if (mom != null) mom.catchUpAll(v);
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
                int[] targets,
                LazyMomentum mom,
                float[] velB,
                float[] weights) {
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
                if (mom != null) {
                    kernels.sgdStep(
                            t,
                            lr,
                            mom.mu,
                            0f,
                            b.asSlice(4L * v0, 4L * t),
                            dbs.asSlice(0, 4L * t),
                            MemorySegment.ofArray(velB).asSlice(4L * v0, 4L * t));
                    mom.step(kernels, lr, m, xt, used, z, t, v0, c, weights);
                    continue;
                }
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

    /**
     * Momentum for sparse rows, exact and lazy. {@code last[j]}: the steps row j of the
     * weights and velocities is up to date with. Between uses a row moves by its velocity
     * alone: after steps a+1 .. b, {@code w -= v A(a, b)} and {@code v *= mu^(b - a)} with
     * {@code A(a, b) = sum_{t=a+1..b} lr_t mu^(t - a)}, summed from per-block prefix sums
     * {@code P[t] = sum_{u=base..t} lr_u mu^(u - base)} (blocks of 32 steps keep every term
     * within 31 powers of mu of its block's first, so their differences keep their
     * precision), until the terms fall below 1e-20 of the first (a table of powers of mu).
     */
    static final class LazyMomentum {
        private static final int BLOCK = 32;
        final float mu;
        private final int c;
        private final float[] vel;
        private final int[] last;
        private double[] prefix = new double[1024];
        private int steps;
        private float[] grad = new float[0];
        /** mu^k for k up to where it falls below 1e-20: beyond, a velocity is below a float's last bit. */
        private final double[] powers;
        /** Rows with a velocity (used at least once); the others need no catching up. */
        private final boolean[] moving;

        LazyMomentum(float mu, int d, int c) {
            this.mu = mu;
            this.c = c;
            vel = new float[Math.multiplyExact(d, c)];
            last = new int[d];
            moving = new boolean[d];
            int limit = (int) Math.ceil(Math.log(1e-20) / Math.log(mu)) + 2 * BLOCK;
            powers = new double[limit + 1];
            powers[0] = 1;
            for (int k = 1; k <= limit; k++) powers[k] = powers[k - 1] * mu;
        }

        /** Row j of w brought up to date with every step so far. */
        void catchUp(float[] w, int j) {
            int a = last[j], b = steps;
            if (a == b) return;
            last[j] = b;
            if (!moving[j]) return;
            double sum = 0;
            for (int t = a + 1; t <= b; ) {
                int base = t / BLOCK * BLOCK, end = Math.min(b, base + BLOCK - 1);
                // mu^(base - a): base - a >= -(BLOCK - 1); beyond the table the rest is below a float's last bit
                int k = base - a;
                if (k >= powers.length) break;
                double lead = k >= 0 ? powers[k] : 1 / powers[-k];
                sum += lead * (prefix[end] - (t > base ? prefix[t - 1] : 0));
                t = end + 1;
            }
            float amount = (float) sum, decay = b - a < powers.length ? (float) powers[b - a] : 0f;
            for (int k = j * c, e = k + c; k < e; k++) {
                w[k] -= amount * vel[k];
                vel[k] *= decay;
            }
        }

        void catchUpAll(float[] w) {
            for (int j = 0; j < last.length; j++) catchUp(w, j);
        }

        /**
         * The step of the used rows (up to date with the steps before): their gradient
         * {@code X^T G} for classes [v0, v0 + t) of c, then {@code v = mu v + g; w -= lr v}.
         */
        void step(
                Kernels kernels,
                float lr,
                int m,
                SparseRows.Batch xt,
                SparseRows.Used used,
                float[] g,
                int t,
                int v0,
                int c,
                float[] w) {
            int u = used.count;
            if (grad.length < u * t) grad = new float[u * t];
            if (u == 0) return;
            kernels.csrMatmul(u, t, m, xt.rowPtr, xt.col, xt.val, 1f, g, t, null, 0f, grad, t, null, 0);
            for (int r = 0; r < u; r++) {
                int at = used.columns[r] * c + v0, q = r * t;
                for (int k = 0; k < t; k++) {
                    float vk = mu * vel[at + k] + grad[q + k];
                    vel[at + k] = vk;
                    w[at + k] -= lr * vk;
                }
            }
        }

        /** Records the step's rate; the used rows are now up to date with it. */
        void finishStep(float lr, SparseRows.Used used) {
            steps++;
            if (steps == prefix.length) prefix = Arrays.copyOf(prefix, prefix.length * 2);
            int base = steps / BLOCK * BLOCK;
            prefix[steps] = (steps > base ? prefix[steps - 1] : 0) + lr * powers[steps - base];
            for (int r = 0; r < used.count; r++) {
                last[used.columns[r]] = steps;
                moving[used.columns[r]] = true;
            }
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
