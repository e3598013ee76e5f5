package org.softmax4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What the kernel fuzz tests found, minimized (FUZZING.md); every implementation, the reference included. */
class KernelFindingsTest {
    static List<Object> kernels() {
        List<Object> all = new java.util.ArrayList<>(List.of("reference"));
        all.addAll(Impl.all());
        return all;
    }

    @AfterAll
    static void restore() {
        Impl.restoreBestIsa();
    }

    private static Kernels activate(Object impl) {
        return impl instanceof Impl i ? i.activate() : Kernels.reference();
    }

    /**
     * SgemmFuzzTest: with alpha = 0 the native kernels (like BLAS) do not read A and B,
     * but the reference computed 0 x NaN = NaN, so the two disagreed on C.
     */
    @ParameterizedTest
    @MethodSource("kernels")
    void sgemmWithAlphaZeroReadsNeitherAnorB(Object impl) {
        Kernels k = activate(impl);
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            float[] c = {5f, 7f};
            k.sgemm(false, false, 1, 2, 1, 0f, new float[] {bad}, 1, new float[] {1f, bad}, 2, 0.5f, c, 2);
            assertEquals(List.of(2.5f, 3.5f), List.of(c[0], c[1]), impl + " A, B hold " + bad);
            k.sgemm(true, true, 1, 2, 1, 0f, new float[] {bad}, 1, new float[] {1f, bad}, 1, 0f, c, 2);
            assertEquals(List.of(0f, 0f), List.of(c[0], c[1]), impl + " A, B hold " + bad + ", beta 0");
        }
    }

    /**
     * CrossEntropyFuzzTest: a row whose every logit is -inf (n=1, c=1, x={-inf}) has
     * log-sum-exp -inf in the native kernels, NaN in the reference (-inf - -inf); its
     * loss and gradient are NaN in both, and an ignored row's loss and gradient are 0.
     */
    @ParameterizedTest
    @MethodSource("kernels")
    void everyLogitMinusInfinityHasLseMinusInfinity(Object impl) {
        Kernels k = activate(impl);
        float ni = Float.NEGATIVE_INFINITY;
        for (int ignore : new int[] {-100, 0}) {
            float[] lse = {7f, 7f}, loss = {7f, 7f}, g = new float[6];
            k.crossEntropy(CrossEntropy.defaults().withReduction(Reduction.NONE).withIgnoreIndex(ignore), 2, 3,
                    new float[] {ni, ni, ni, 0f, 1f, 2f}, new int[] {0, 1},
                    CeOutputs.gradient(g).withRowLoss(loss).withRowLse(lse));
            String what = impl + " ignoreIndex " + ignore;
            assertEquals(ni, lse[0], what);
            assertEquals(ignore == 0 ? 0f : Float.NaN, loss[0], what);
            assertEquals(ignore == 0 ? 0f : Float.NaN, g[0], what);
            assertEquals(2.4076059f, lse[1], 1e-6f, what);
        }
    }
}
