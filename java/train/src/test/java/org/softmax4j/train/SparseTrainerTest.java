package org.softmax4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.softmax4j.Binding;
import org.softmax4j.Kernels;
import org.softmax4j.data.SparseRows;

/**
 * {@link SparseTrainer} against a dense double-precision SGD of the same
 * model (softmax regression, mean cross-entropy, L2 decay on the weights as
 * {@code W -= lr (g + wd W)}, the same batches): the lazy decay and the update of
 * only the used rows must give the dense answer. Fresh random data each run.
 */
class SparseTrainerTest {

    private static SparseRows randomRows(SplittableRandom rnd, int n, int d, int[] labels, int c) {
        return randomRows(rnd, n, d, labels, c, d);
    }

    /** Columns from {@code rareFrom} on are rare (1 row in 100): long gaps between their uses. */
    private static SparseRows randomRows(SplittableRandom rnd, int n, int d, int[] labels, int c, int rareFrom) {
        SparseRows rows = new SparseRows(d);
        int[] cols = new int[d];
        float[] vals = new float[d];
        for (int i = 0; i < n; i++) {
            int count = 0;
            for (int j = 0; j < d; j++) {
                if (j < rareFrom ? rnd.nextInt(6) == 0 : rnd.nextInt(100) == 0) {
                    cols[count] = j;
                    vals[count++] = (float) (2 * rnd.nextDouble() - 1);
                }
            }
            labels[i] = rnd.nextInt(c);
            rows.add(cols, vals, count);
        }
        return rows;
    }

    /** The same run in double, dense: W (d x c) and b after all epochs. */
    private static double[][] dense(SparseRows x, int[] labels, int c, TrainConfig cfg) {
        int n = (int) x.rows(), d = x.columns(), batch = Math.min(cfg.batchSize(), n);
        int steps = (n + batch - 1) / batch;
        double[] w = new double[d * c], b = new double[c], vw = new double[d * c], vb = new double[c];
        double mu = cfg.momentum();
        long step = 0, total = (long) steps * cfg.epochs();
        for (int e = 0; e < cfg.epochs(); e++) {
            for (int s = 0; s < steps; s++, step++) {
                double lr = cfg.schedule().lr(cfg.lr(), e, step, total);
                int from = s * batch, m = Math.min(batch, n - from);
                double[] gw = new double[d * c], gb = new double[c];
                for (int i = from; i < from + m; i++) {
                    double[] z = b.clone();
                    for (long p = x.start(i); p < x.end(i); p++) {
                        for (int k = 0; k < c; k++) z[k] += x.value(p) * w[x.column(p) * c + k];
                    }
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (double v : z) max = Math.max(max, v);
                    for (double v : z) sum += Math.exp(v - max);
                    for (int k = 0; k < c; k++) {
                        double g = (Math.exp(z[k] - max) / sum - (k == labels[i] ? 1 : 0)) / m;
                        gb[k] += g;
                        for (long p = x.start(i); p < x.end(i); p++) gw[x.column(p) * c + k] += x.value(p) * g;
                    }
                }
                for (int k = 0; k < c; k++) {
                    vb[k] = mu * vb[k] + gb[k];
                    b[k] -= lr * vb[k];
                }
                for (int q = 0; q < w.length; q++) {
                    vw[q] = mu * vw[q] + gw[q] + cfg.weightDecay() * w[q];
                    w[q] -= lr * vw[q];
                }
            }
        }
        return new double[][] {w, b};
    }

    @ParameterizedTest
    @ValueSource(strings = {"reference", "ffm", "jni"})
    void matchesDenseSgdWithWeightDecay(String kernels) {
        long seed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 150, d = 40, c = 5;
        int[] labels = new int[n];
        SparseRows x = randomRows(rnd, n, d, labels, c);
        TrainConfig cfg = TrainConfig.builder()
                .epochs(3)
                .batchSize(16)
                .lr(0.5f)
                .weightDecay(0.01f)
                .schedule(LrSchedule.cosine(0f))
                .shuffle(false)
                .build();
        Kernels k = switch (kernels) {
            case "reference" -> Kernels.reference();
            case "ffm" -> Kernels.cpu(Binding.FFM);
            default -> Kernels.cpu(Binding.JNI);
        };
        SoftmaxRegression got = new SparseTrainer(k, cfg)
                .fit(new SparseTrainer.Data(x, labels, null), null, c, null, null)
                .model();
        double[][] want = dense(x, labels, c, cfg);
        for (int q = 0; q < want[0].length; q++) {
            assertEquals(want[0][q], got.weights()[q], 2e-5 + 2e-4 * Math.abs(want[0][q]), "W[" + q + "] seed " + seed);
        }
        for (int q = 0; q < c; q++) assertEquals(want[1][q], got.bias()[q], 2e-5, "b[" + q + "] seed " + seed);
    }

    /**
     * Tiles of classes (the path of 10^5-10^6 classes, here forced by a small logits budget)
     * take the same steps as the whole-row path: 700 classes in tiles of 64 (the last of 60).
     */
    @ParameterizedTest
    @ValueSource(strings = {"reference", "ffm"})
    void tilesOfClassesTakeTheSameSteps(String kernels) {
        long seed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 120, d = 50, c = 700;
        int[] labels = new int[n];
        SparseRows x = randomRows(rnd, n, d, labels, c);
        TrainConfig cfg = TrainConfig.builder()
                .epochs(2)
                .batchSize(16)
                .lr(2f)
                .weightDecay(0.01f)
                .schedule(LrSchedule.cosine(0f))
                .build();
        Kernels k = kernels.equals("reference") ? Kernels.reference() : Kernels.cpu(Binding.FFM);
        var data = new SparseTrainer.Data(x, labels, null);
        var whole = new SparseTrainer(k, cfg).fit(data, data, c, null, null);
        assertEquals(64, SparseTrainer.tileClasses(16, c, 16L * 4 * 64));
        var tiled = new SparseTrainer(k, cfg, 16L * 4 * 64).fit(data, data, c, null, null);
        for (int q = 0; q < whole.model().weights().length; q++) {
            float want = whole.model().weights()[q];
            assertEquals(want, tiled.model().weights()[q], 1e-5 + 1e-4 * Math.abs(want), "W[" + q + "] seed " + seed);
        }
        for (int q = 0; q < c; q++) {
            assertEquals(whole.model().bias()[q], tiled.model().bias()[q], 1e-5, "b[" + q + "] seed " + seed);
        }
        for (int e = 0; e < 2; e++) {
            EpochMetrics a = whole.history().get(e), b = tiled.history().get(e);
            assertEquals(a.trainLoss(), b.trainLoss(), 1e-4 * a.trainLoss(), "train loss, epoch " + e);
            assertEquals(a.trainAccuracy(), b.trainAccuracy(), 1.5 / n, "train accuracy, epoch " + e);
            assertEquals(a.testLoss(), b.testLoss(), 1e-4 * a.testLoss(), "test loss, epoch " + e);
        }
    }

    /**
     * Lazy momentum against the dense SGD with momentum (every row's velocity decaying every
     * step): 300 steps, so that rarely used rows catch up across many of the 32-step blocks;
     * a cosine rate; whole rows and tiles of classes.
     */
    @ParameterizedTest
    @ValueSource(strings = {"whole", "tiles"})
    void lazyMomentumMatchesDenseMomentum(String path) {
        long seed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 600, d = 60, c = path.equals("whole") ? 5 : 150;
        int[] labels = new int[n];
        SparseRows x = randomRows(rnd, n, d, labels, c, 40);
        TrainConfig cfg = TrainConfig.builder()
                .epochs(2)
                .batchSize(4)
                .lr(0.05f)
                .momentum(0.9f)
                .schedule(LrSchedule.cosine(0f))
                .shuffle(false)
                .build();
        long budget = path.equals("whole") ? SgdStep.LOGITS_BUDGET_BYTES : 4L * 4 * 64;
        SoftmaxRegression got = new SparseTrainer(Kernels.cpu(), cfg, budget)
                .fit(new SparseTrainer.Data(x, labels, null), null, c, null, null)
                .model();
        double[][] want = dense(x, labels, c, cfg);
        for (int q = 0; q < want[0].length; q++) {
            assertEquals(want[0][q], got.weights()[q], 1e-5 + 1e-3 * Math.abs(want[0][q]), "W[" + q + "] seed " + seed);
        }
        for (int q = 0; q < c; q++) assertEquals(want[1][q], got.bias()[q], 1e-5, "b[" + q + "] seed " + seed);
    }

    @Test
    void unusedFeaturesStayZeroAndTheTestSetIsEvaluated() {
        SplittableRandom rnd = new SplittableRandom(System.nanoTime());
        int n = 60, d = 30, c = 3;
        int[] labels = new int[n];
        SparseRows x = randomRows(rnd, n, 20, labels, c); // columns 20..29 never occur
        SparseRows wide = new SparseRows(d);
        for (int i = 0; i < n; i++) {
            int len = (int) (x.end(i) - x.start(i));
            int[] cols = new int[len];
            float[] vals = new float[len];
            for (int p = 0; p < len; p++) {
                cols[p] = x.column(x.start(i) + p);
                vals[p] = x.value(x.start(i) + p);
            }
            wide.add(cols, vals, len);
        }
        var data = new SparseTrainer.Data(wide, labels, null);
        var result = new SparseTrainer(
                        Kernels.cpu(), TrainConfig.text().toBuilder().epochs(2).build())
                .fit(data, data, c, null, null);
        for (int q = 20 * c; q < d * c; q++) assertEquals(0f, result.model().weights()[q], "unused row written");
        assertEquals(2, result.history().size());
        assertTrue(result.history().get(1).hasTest());
    }

    /** Asked to stop (Ctrl-C in the CLI), a run ends after the current step with the weights so far. */
    @Test
    void aStopEndsTheRunAfterTheCurrentStep() {
        SplittableRandom rnd = new SplittableRandom(System.nanoTime());
        int n = 100, d = 20, c = 3;
        int[] labels = new int[n];
        SparseRows x = randomRows(rnd, n, d, labels, c);
        int[] steps = {0};
        var listener = new TrainingListener() {
            @Override
            public void onBatch(int epoch, int batch, int batches, double loss) {
                steps[0]++;
            }
        };
        var r = new SparseTrainer(
                        Kernels.cpu(),
                        TrainConfig.text().toBuilder().batchSize(10).build())
                .fit(new SparseTrainer.Data(x, labels, null), null, c, listener, null, () -> steps[0] >= 13);
        assertTrue(r.stopped());
        assertEquals(13, r.stoppedAtStep());
        assertEquals(1, r.history().size(), "the first epoch (10 steps) completed, the second did not");
        boolean trained = false;
        for (float w : r.model().weights()) trained |= w != 0;
        assertTrue(trained);
    }

    @Test
    void momentumWithDecayValidationSplitsAndOverlargeDecayAreRefusedWithTheReason() {
        var e = assertThrows(
                IllegalArgumentException.class,
                () -> new SparseTrainer(
                        Kernels.cpu(),
                        TrainConfig.builder().momentum(0.9f).weightDecay(1e-4f).build()));
        assertTrue(e.getMessage().contains("take one or the other"), e.getMessage());
        assertThrows(
                IllegalArgumentException.class,
                () -> new SparseTrainer(
                        Kernels.cpu(),
                        TrainConfig.builder().valFraction(0.1).patience(2).build()));
        var decay = assertThrows(
                IllegalArgumentException.class,
                () -> new SparseTrainer(
                        Kernels.cpu(),
                        TrainConfig.builder().lr(10f).weightDecay(0.1f).build()));
        assertTrue(decay.getMessage().contains("lr 10.0 x weight decay 0.1 >= 1"), decay.getMessage());
    }
}
