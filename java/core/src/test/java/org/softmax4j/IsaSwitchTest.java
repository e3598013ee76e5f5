package org.softmax4j;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Softmax4j#setIsa} while kernels run: each call reads the ISA once
 * and keeps it, so every result is bit-identical to that of one ISA, never a
 * mixture (the linear cross-entropy once ran its GEMMs on whatever ISA was
 * current at each tile: ~1e-4 relative off every single-ISA result).
 */
class IsaSwitchTest {

    @AfterAll
    static void restore() {
        Impl.restoreBestIsa();
    }

    @ParameterizedTest
    @EnumSource(Binding.class)
    void everyCallRunsOnOneIsa(Binding binding) throws Exception {
        List<Isa> isas = new ArrayList<>();
        for (Isa isa : Isa.values()) if (Softmax4j.isSupported(isa)) isas.add(isa);
        assumeTrue(isas.size() > 1, "this CPU runs one ISA only");
        Kernels k = Kernels.cpu(binding);
        long seed = TestData.seed();
        var p = LinearCrossEntropyTest.Problem.random(new SplittableRandom(seed), 300, 64, 1500, true, 0, -100, 3);
        LinearCe lin = LinearCe.defaults().withSoftcap(20f);
        CrossEntropy ce = CrossEntropy.defaults().withLabelSmoothing(0.1f);
        List<float[]> each = new ArrayList<>();
        for (Isa isa : isas) {
            Softmax4j.setIsa(isa);
            each.add(run(k, p, ce, lin));
        }
        AtomicBoolean stop = new AtomicBoolean();
        Thread flipper = new Thread(() -> {
            for (int i = 0; !stop.get(); i++) Softmax4j.setIsa(isas.get(i % isas.size()));
        });
        flipper.start();
        try {
            for (int call = 0; call < 30; call++) {
                float[] got = run(k, p, ce, lin);
                assertTrue(
                        each.stream().anyMatch(r -> Arrays.equals(r, got)),
                        "call " + call + " matches no single ISA's result (seed " + seed + ")");
            }
        } finally {
            stop.set(true);
            flipper.join();
        }
    }

    /** Loss and dW of one call. */
    private static float[] run(Kernels k, LinearCrossEntropyTest.Problem p, CrossEntropy ce, LinearCe lin) {
        float[] dw = new float[p.v() * p.d()];
        float loss = k.linearCrossEntropy(
                ce, lin, p.n(), p.d(), p.v(), p.x(), p.w(), p.bias(), p.y(), LinearCeOutputs.gradients(null, dw, null));
        float[] r = Arrays.copyOf(dw, dw.length + 1);
        r[dw.length] = loss;
        return r;
    }
}
