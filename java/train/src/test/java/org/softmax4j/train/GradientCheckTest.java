package org.softmax4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.softmax4j.CeOutputs;
import org.softmax4j.CrossEntropy;
import org.softmax4j.Kernels;

/**
 * The training step's gradients (X^T dZ and the column sums of dZ from the
 * fused softmax cross-entropy) against central finite differences of the
 * mean loss, and the update against {@code w - lr (g + wd w)}.
 */
class GradientCheckTest {
    static final int N = 5, F = 6, C = 4;

    static Stream<Kernels> kernels() {
        return Stream.of(Kernels.cpu(), Kernels.reference());
    }

    /** A batch of uint8 rows, scaled like the trainer does, and a random model. */
    private record Problem(float[] x, int[] targets, SoftmaxRegression model) {
        static Problem random(long seed) {
            SplittableRandom rnd = new SplittableRandom(seed);
            byte[] pixels = new byte[N * F];
            rnd.nextBytes(pixels);
            int[] index = {0, 1, 2, 3, 4};
            float[] x = new float[N * F];
            Kernels.reference().gatherScaled(N, F, pixels, index, (1f / 255), x);
            int[] t = new int[N];
            for (int i = 0; i < N; i++) t[i] = rnd.nextInt(C);
            SoftmaxRegression m = SoftmaxRegression.gaussian(F, C, 0.7, seed);
            for (int j = 0; j < C; j++) m.bias()[j] = (float) rnd.nextGaussian();
            return new Problem(x, t, m);
        }

        /** Mean cross-entropy in double, written out: the independent oracle. */
        double lossDouble(double[] w, double[] b) {
            double sum = 0;
            for (int i = 0; i < N; i++) {
                double[] z = new double[C];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < C; j++) {
                    double s = b[j];
                    for (int k = 0; k < F; k++) s += (double) x[i * F + k] * w[k * C + j];
                    z[j] = s;
                    max = Math.max(max, s);
                }
                double e = 0;
                for (double v : z) e += Math.exp(v - max);
                sum += max + Math.log(e) - z[targets[i]];
            }
            return sum / N;
        }

        /** The same loss through Kernels.reference() (double accumulation, float interface). */
        double lossReference(float[] w, float[] b) {
            Kernels k = Kernels.reference();
            float[] z = new float[N * C];
            k.sgemm(false, false, N, C, F, 1f, x, F, w, C, 0f, z, C);
            k.addBias(N, C, b, z);
            return k.crossEntropy(CrossEntropy.defaults(), N, C, z, targets, CeOutputs.none());
        }
    }

    /** The analytic gradients of one step with these kernels. */
    private static MinibatchStep gradients(Kernels k, Problem p) {
        MinibatchStep step = new MinibatchStep(k, N, F, C);
        step.bind(p.model(), null, null);
        float loss =
                step.forwardBackward(N, MemorySegment.ofArray(p.x()), p.targets(), MemorySegment.ofArray(p.targets()));
        double[] w = toDouble(p.model().weights()), b = toDouble(p.model().bias());
        assertEquals(p.lossDouble(w, b), loss, 1e-5, "loss");
        return step;
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void gradientsMatchFiniteDifferencesInDouble(Kernels k) {
        for (long seed = 1; seed <= 3; seed++) {
            Problem p = Problem.random(seed);
            MinibatchStep step = gradients(k, p);
            double[] w = toDouble(p.model().weights()), b = toDouble(p.model().bias());
            double h = 1e-6;
            for (int i = 0; i < w.length; i++) {
                double keep = w[i];
                w[i] = keep + h;
                double up = p.lossDouble(w, b);
                w[i] = keep - h;
                double down = p.lossDouble(w, b);
                w[i] = keep;
                assertEquals((up - down) / (2 * h), step.gradW[i], 2e-6, k.name() + " dW[" + i + "]");
            }
            for (int j = 0; j < b.length; j++) {
                double keep = b[j];
                b[j] = keep + h;
                double up = p.lossDouble(w, b);
                b[j] = keep - h;
                double down = p.lossDouble(w, b);
                b[j] = keep;
                assertEquals((up - down) / (2 * h), step.gradB[j], 2e-6, k.name() + " db[" + j + "]");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void gradientsMatchFiniteDifferencesThroughTheReferenceKernels(Kernels k) {
        Problem p = Problem.random(7);
        MinibatchStep step = gradients(k, p);
        float[] w = p.model().weights().clone(), b = p.model().bias().clone();
        float h = 1e-2f; // float inputs: a larger step, a looser tolerance
        for (int i = 0; i < w.length; i++) {
            float keep = w[i];
            w[i] = keep + h;
            double up = p.lossReference(w, b);
            w[i] = keep - h;
            double down = p.lossReference(w, b);
            w[i] = keep;
            assertEquals((up - down) / (2 * h), step.gradW[i], 1e-4, "dW[" + i + "]");
        }
        for (int j = 0; j < b.length; j++) {
            float keep = b[j];
            b[j] = keep + h;
            double up = p.lossReference(w, b);
            b[j] = keep - h;
            double down = p.lossReference(w, b);
            b[j] = keep;
            assertEquals((up - down) / (2 * h), step.gradB[j], 1e-4, "db[" + j + "]");
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void updateIsSgdWithMomentumAndWeightDecayOnTheWeights(Kernels k) {
        Problem p = Problem.random(11);
        float[] w0 = p.model().weights().clone(), b0 = p.model().bias().clone();
        float[] vw = new float[F * C], vb = new float[C];
        MinibatchStep step = new MinibatchStep(k, N, F, C);
        step.bind(p.model(), vw, vb);
        step.forwardBackward(N, MemorySegment.ofArray(p.x()), p.targets(), MemorySegment.ofArray(p.targets()));
        float lr = 0.3f, mu = 0.9f, wd = 0.01f;
        step.update(lr, mu, wd);
        for (int i = 0; i < w0.length; i++) {
            double d = step.gradW[i] + wd * w0[i];
            assertEquals(d, vw[i], 1e-6);
            assertEquals(w0[i] - lr * d, p.model().weights()[i], 1e-6);
        }
        for (int j = 0; j < C; j++) { // no weight decay on the bias
            assertEquals(step.gradB[j], vb[j], 1e-6);
            assertEquals(b0[j] - lr * step.gradB[j], p.model().bias()[j], 1e-6);
        }
        // A second step: v = mu v + d.
        float[] v1 = vw.clone(), w1 = p.model().weights().clone();
        step.forwardBackward(N, MemorySegment.ofArray(p.x()), p.targets(), MemorySegment.ofArray(p.targets()));
        step.update(lr, mu, wd);
        for (int i = 0; i < w0.length; i++) {
            double v = mu * v1[i] + step.gradW[i] + wd * w1[i];
            assertEquals(v, vw[i], 1e-5);
            assertEquals(w1[i] - lr * v, p.model().weights()[i], 1e-5);
        }
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }
}
