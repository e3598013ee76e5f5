package org.softmax4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.softmax4j.Binding;
import org.softmax4j.Kernels;
import org.softmax4j.data.Dataset;

class TrainerTest {
    private static final Dataset TRAIN = Synthetic.clusters("train", 2000, 64, 5, 60, 1);
    private static final Dataset TEST = Synthetic.clusters("test", 500, 64, 5, 60, 2);

    private static TrainConfig.Builder small() {
        return TrainConfig.builder().epochs(5).batchSize(64).lr(0.1f);
    }

    @Test
    void learnsSeparableData() {
        Trainer t = new Trainer(Kernels.cpu(), small().build());
        TrainResult r = t.fit(TRAIN, TEST, TrainingListener.NONE);
        assertEquals(5, r.history().size());
        EpochMetrics last = r.last();
        assertTrue(last.testAccuracy() > 0.97, "test accuracy " + last.testAccuracy());
        assertTrue(last.trainLoss() < r.history().get(0).trainLoss());
        assertTrue(r.loopNanos() > 0);
        assertEquals(5L * 2000, r.samples());
        assertEquals(5L * 32, r.state().step()); // ceil(2000 / 64) = 32 steps per epoch
        Evaluation e = new Evaluator(Kernels.cpu(), 64, 5).evaluate(r.model(), TEST);
        assertEquals(last.testAccuracy(), e.accuracy(), 1e-12);
    }

    @Test
    void sameSeedSameWeights() {
        TrainConfig c = small().momentum(0.9f)
                .weightDecay(1e-3f)
                .schedule(LrSchedule.cosine(0f))
                .build();
        TrainResult a = new Trainer(Kernels.cpu(), c).fit(TRAIN, null, null);
        TrainResult b = new Trainer(Kernels.cpu(), c).fit(TRAIN, null, null);
        TrainResult other = new Trainer(Kernels.cpu(), c.toBuilder().seed(1).build()).fit(TRAIN, null, null);
        assertTrue(a.model().sameParameters(b.model()));
        assertFalse(a.model().sameParameters(other.model()));
    }

    @Test
    void bindingsGiveTheSameWeights() {
        TrainConfig c = small().epochs(2).build();
        TrainResult ffm = new Trainer(Kernels.cpu(Binding.FFM), c).fit(TRAIN, null, null);
        TrainResult jni = new Trainer(Kernels.cpu(Binding.JNI), c).fit(TRAIN, null, null);
        assertTrue(ffm.model().sameParameters(jni.model()));
    }

    @Test
    void referenceKernelsAgreeWithNative() {
        TrainConfig c = small().epochs(1).build();
        Dataset head = TRAIN.head(500);
        TrainResult ref = new Trainer(Kernels.reference(), c).fit(head, null, null);
        TrainResult cpu = new Trainer(Kernels.cpu(), c).fit(head, null, null);
        float[] a = ref.model().weights(), b = cpu.model().weights();
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-4, "w[" + i + "]");
    }

    @Test
    void gpuTrainingAgreesWithTheCpu() {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                org.softmax4j.cuda.CudaKernels.deviceCount() > 0, "no usable CUDA device here");
        // 3 epochs: the first runs eagerly, the second is recorded as a CUDA graph, the third replays it
        TrainConfig c = small().momentum(0.9f).weightDecay(1e-3f).epochs(3).build();
        for (Binding binding : Binding.values()) {
            if (org.softmax4j.cuda.CudaKernels.deviceCount(binding) == 0) continue; // the emulator: FFM only
            long graphEpochs = DeviceSteps.GRAPH_EPOCHS.get();
            TrainResult gpu = new Trainer(Kernels.cuda(binding), c).fit(TRAIN, TEST, null);
            assertEquals(graphEpochs + 2, DeviceSteps.GRAPH_EPOCHS.get(), binding + ": epochs 2 and 3 as graphs");
            TrainResult cpu = new Trainer(Kernels.cpu(), c).fit(TRAIN, TEST, null);
            float[] a = cpu.model().weights(), b = gpu.model().weights();
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-3, binding + " w[" + i + "]");
            for (int e = 0; e < 3; e++) {
                EpochMetrics x = cpu.history().get(e), y = gpu.history().get(e);
                assertEquals(x.trainLoss(), y.trainLoss(), 1e-4, binding + " train loss, epoch " + e);
                assertEquals(x.testLoss(), y.testLoss(), 1e-4, binding + " test loss, epoch " + e);
                assertEquals(x.testAccuracy(), y.testAccuracy(), 0.01, binding + " test accuracy, epoch " + e);
            }
        }
    }

    @Test
    void withoutShuffleEveryEpochSeesTheSameOrder() {
        // Without shuffling and with lr ~ 0 the per-epoch training metrics repeat exactly.
        TrainConfig c = small().shuffle(false).lr(1e-30f).epochs(2).build();
        TrainResult r = new Trainer(Kernels.cpu(), c).fit(TRAIN, null, null);
        assertEquals(r.history().get(0).trainLoss(), r.history().get(1).trainLoss());
    }

    @Test
    void partialLastBatchIsUsed() {
        Dataset d = TRAIN.head(70); // batches of 64 and 6
        TrainResult r = new Trainer(Kernels.cpu(), small().epochs(1).build()).fit(d, null, null);
        assertEquals(2, r.state().step());
    }

    @Test
    void batchLargerThanDataSet() {
        Dataset d = TRAIN.head(10);
        TrainResult r =
                new Trainer(Kernels.cpu(), small().epochs(3).batchSize(256).build()).fit(d, null, null);
        assertEquals(3, r.state().step());
    }

    @Test
    void earlyStoppingRestoresTheBestWeights() {
        // Validation labels that contradict the training labels: the better the model fits the
        // training set, the worse the validation loss, so the first epoch is the best.
        Dataset val = Synthetic.noise("val", 300, 64, 5, 9);
        TrainConfig c = small().epochs(20).patience(2).valFraction(0.1).build();
        Trainer t = new Trainer(Kernels.cpu(), c);
        List<SoftmaxRegression> afterEpoch = new ArrayList<>();
        TrainResult r = t.run(TrainingState.start(c, 64, 5), TRAIN, val, null, new TrainingListener() {
            @Override
            public void onEpoch(EpochMetrics m, TrainingState s) {
                afterEpoch.add(s.model().copy());
            }
        });
        TrainingState s = r.state();
        assertTrue(s.stoppedEarly());
        int best = 1;
        for (EpochMetrics m : r.history())
            if (m.valLoss() < r.history().get(best - 1).valLoss()) best = m.epoch();
        assertEquals(best, s.bestEpoch());
        assertEquals(s.bestEpoch() + c.patience(), s.epochsDone());
        assertTrue(r.model().sameParameters(afterEpoch.get(best - 1)));
        assertFalse(r.model().sameParameters(s.model()));
        assertNotNull(s.bestModel());
    }

    @Test
    void listenersSeeEveryBatchAndCanStop() {
        int[] batches = {0};
        TrainConfig c = small().epochs(5).build();
        TrainResult r = new Trainer(Kernels.cpu(), c).fit(TRAIN, null, new TrainingListener() {
            @Override
            public void onBatch(int epoch, int batch, int total, double epochLoss) {
                batches[0]++;
                assertEquals(32, total);
            }

            @Override
            public void onEpoch(EpochMetrics m, TrainingState s) {
                if (m.epoch() == 2) s.requestStop();
            }
        });
        assertEquals(64, batches[0]);
        assertEquals(2, r.state().epochsDone());
    }

    @Test
    void validationSplitIsMeasured() {
        TrainConfig c = small().epochs(1).valFraction(0.25).build();
        TrainResult r = new Trainer(Kernels.cpu(), c).fit(TRAIN, TEST, null);
        EpochMetrics m = r.last();
        assertTrue(m.hasValidation() && m.hasTest());
        assertEquals(1500L, r.samples());
    }

    @Test
    void rejectsMismatches() {
        Trainer t = new Trainer(Kernels.cpu(), small().build());
        Dataset other = Synthetic.clusters("o", 10, 7, 5, 1, 1);
        assertThrows(IllegalArgumentException.class, () -> t.fit(TRAIN, other, null));
        TrainingState withMomentum = TrainingState.start(small().momentum(0.5f).build(), 64, 5);
        assertThrows(IllegalArgumentException.class, () -> t.run(withMomentum, TRAIN, null, null, null));
        assertThrows(IllegalArgumentException.class, () -> small().epochs(0).build());
        assertThrows(IllegalArgumentException.class, () -> small().momentum(1f).build());
        assertThrows(IllegalArgumentException.class, () -> small().lr(Float.NaN).build());
    }

    @Test
    void initialWeightsHaveTheConfiguredSpread() {
        SoftmaxRegression m = SoftmaxRegression.gaussian(784, 10, 0.01, 3);
        double sum = 0, sq = 0;
        for (float w : m.weights()) {
            sum += w;
            sq += (double) w * w;
        }
        int n = m.weights().length;
        assertEquals(0, sum / n, 0.001);
        assertEquals(0.01, Math.sqrt(sq / n - (sum / n) * (sum / n)), 0.0005);
        assertTrue(SoftmaxRegression.gaussian(784, 10, 0.01, 3).sameParameters(m));
    }

    @Test
    void schedules() {
        assertEquals(0.1f, LrSchedule.constant().lr(0.1f, 5, 100, 1000));
        LrSchedule step = LrSchedule.step(3, 0.5f);
        assertEquals(0.1f, step.lr(0.1f, 2, 0, 0));
        assertEquals(0.05f, step.lr(0.1f, 3, 0, 0));
        assertEquals(0.025f, step.lr(0.1f, 7, 0, 0), 1e-9);
        LrSchedule cos = LrSchedule.cosine(0f);
        assertEquals(0.1f, cos.lr(0.1f, 0, 0, 100));
        assertEquals(0.05f, cos.lr(0.1f, 0, 50, 100), 1e-7);
        assertEquals(0f, cos.lr(0.1f, 0, 100, 100), 1e-9);
        assertEquals(0.01f, LrSchedule.cosine(0.1f).lr(0.1f, 0, 100, 100), 1e-9);
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.step(0, 0.5f));
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.step(1, 1.5f));
    }
}
