package org.softmax4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmax4j.Kernels;
import org.softmax4j.data.Dataset;
import org.softmax4j.data.Features;
import org.softmax4j.data.Scaler;

/**
 * The step for many classes (fused linear cross-entropy, a transposed copy of W)
 * against the GEMM step, and the trainer choosing it by itself.
 */
class LinearCeStepTest {
    static Stream<Kernels> kernels() {
        return Stream.of(Kernels.cpu(), Kernels.reference());
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void takesTheSameStepsAsTheGemmStep(Kernels k) {
        long seed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 33, f = 7, c = 50;
        float[] x = new float[n * f];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = rnd.nextInt(c);
        SoftmaxRegression a = SoftmaxRegression.gaussian(f, c, 0.5, seed), b = a.copy();
        for (int j = 0; j < c; j++) a.bias()[j] = b.bias()[j] = (float) rnd.nextGaussian();
        float[] vwA = new float[f * c], vbA = new float[c], vwB = new float[f * c], vbB = new float[c];
        SgdStep gemm = new MinibatchStep(k, n, f, c), fused = new LinearCeStep(k, n, f, c);
        gemm.bind(a, vwA, vbA);
        fused.bind(b, vwB, vbB);
        MemorySegment xs = MemorySegment.ofArray(x), ts = MemorySegment.ofArray(t);
        for (int step = 0; step < 4; step++) {
            float la = gemm.forwardBackward(n, xs, t, ts), lb = fused.forwardBackward(n, xs, t, ts);
            assertEquals(la, lb, 1e-5 * Math.abs(la), "seed " + seed + ", loss of step " + step);
            gemm.update(0.3f, 0.9f, 1e-3f);
            fused.update(0.3f, 0.9f, 1e-3f);
        }
        gemm.syncModel();
        fused.syncModel();
        assertClose(a.weights(), b.weights(), "W, seed " + seed);
        assertClose(a.bias(), b.bias(), "b, seed " + seed);
        assertClose(vwA, vwB, "momentum of W, seed " + seed);
        assertClose(vbA, vbB, "momentum of b, seed " + seed);
        assertTrue(gemm.countsCorrect() && !fused.countsCorrect());
    }

    @Test
    void transposeRoundTrips() {
        float[] m = new float[70 * 131];
        for (int i = 0; i < m.length; i++) m[i] = i;
        float[] t = new float[m.length], back = new float[m.length];
        LinearCeStep.transpose(m, 70, 131, t);
        assertEquals(m[5 * 131 + 100], t[100 * 70 + 5]);
        LinearCeStep.transpose(t, 131, 70, back);
        assertEquals(java.util.Arrays.toString(m), java.util.Arrays.toString(back));
    }

    /** 300,000 classes: 64 x 300,000 logits (77 MB) per step would be over the budget. */
    @Test
    void manyClassesTrainWithoutTheLogits() {
        int n = 640, f = 6, classes = 300_000, used = 10;
        SplittableRandom rnd = new SplittableRandom(7);
        float[][] proto = new float[used][f];
        for (float[] p : proto) for (int j = 0; j < f; j++) p[j] = (float) rnd.nextGaussian() * 3;
        float[] x = new float[n * f];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int label = rnd.nextInt(used) * 29_999; // spread over the whole range of classes
            y[i] = label;
            for (int j = 0; j < f; j++) x[i * f + j] = proto[label / 29_999][j] + (float) rnd.nextGaussian() * 0.3f;
        }
        Dataset data =
                Dataset.of("many", Features.ofFloats(x, f), y, Dataset.numbered(classes), List.of(), Scaler.none());
        TrainConfig config =
                TrainConfig.book().toBuilder().epochs(4).batchSize(64).lr(1f).build();
        Trainer trainer = new Trainer(Kernels.cpu(), config);
        assertTrue(
                trainer.stepDescription(n, classes).startsWith("fused linear cross-entropy"),
                trainer.stepDescription(n, classes));
        assertTrue(trainer.stepDescription(n, 10).startsWith("GEMM"), trainer.stepDescription(n, 10));
        TrainResult r = trainer.fit(data, null, TrainingListener.NONE);
        List<EpochMetrics> h = r.history();
        assertEquals(4, h.size());
        assertTrue(Double.isNaN(h.get(0).trainAccuracy()), "no argmax in the fused step");
        assertTrue(
                h.get(0).trainLoss() < Math.log(classes)
                        && h.get(3).trainLoss() < h.get(0).trainLoss(),
                h.toString());
        Evaluation e = new Evaluator(Kernels.cpu(), f, classes).evaluate(r.model(), data);
        assertTrue(e.accuracy() > 0.9, "accuracy " + e.accuracy() + ", loss " + e.loss());
    }

    private static void assertClose(float[] want, float[] got, String what) {
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 2e-5 * Math.max(1, Math.abs(want[i])), what + " [" + i + "]");
        }
    }
}
