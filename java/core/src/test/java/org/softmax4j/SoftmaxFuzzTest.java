package org.softmax4j;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.softmax4j.FuzzSupport.Placement;
import org.softmax4j.FuzzSupport.Verdict;

/**
 * {@link Kernels#softmax} and {@link Kernels#logSoftmax} of the native kernels
 * against the reference (FUZZING.md): up to 64 x 300, in place or not, special
 * values (-inf masks, NaN, huge logits), short buffers rejected alike.
 * Tolerances as {@link SoftmaxCrossEntropyTest#softmaxAndLogSoftmax}.
 */
class SoftmaxFuzzTest {
    @AfterAll
    static void restore() {
        Impl.restoreBestIsa();
    }

    @FuzzTest(maxDuration = "30s")
    void softmaxMatchesTheReference(FuzzedDataProvider d) {
        Kernels k = FuzzSupport.pickNative(d);
        Placement where = d.pickValue(Placement.values());
        boolean log = d.consumeBoolean(), inPlace = d.consumeBoolean();
        int n = d.consumeInt(0, 64), c = d.consumeInt(1, 300);
        int shortBuffer = d.consumeInt(0, 31); // 1: x, 2: y an element short
        double spread = d.pickValue(new double[] {0.1, 1, 3, 10, 100, 1e4});
        SplittableRandom rnd = new SplittableRandom(d.consumeLong());
        long nc = (long) n * c;
        float[] values = FuzzSupport.values(d, rnd, (int) nc, spread, 4);
        MemorySegment x = MemorySegment.ofArray(values), want = TestData.poisoned(DType.F32, nc);
        if (shortBuffer == 1 && nc > 0) x = x.asSlice(0, x.byteSize() - 4);
        if (shortBuffer == 2 && nc > 0) want = want.asSlice(0, want.byteSize() - 4);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nx = FuzzSupport.place(arena, where, x);
            MemorySegment got = inPlace && x.byteSize() == want.byteSize() ? nx : FuzzSupport.place(arena, where, want);
            MemorySegment rx = x, rw = want;
            MemorySegment[] refSegs = {rx, rw}, natSegs = {nx, got};
            MemorySegment[] refBefore = FuzzSupport.snapshot(refSegs), natBefore = FuzzSupport.snapshot(natSegs);
            Verdict v = FuzzSupport.run(
                    () -> {
                        if (log) FuzzSupport.REF.logSoftmax(n, c, rx, rw);
                        else FuzzSupport.REF.softmax(n, c, rx, rw);
                    },
                    () -> {
                        if (log) k.logSoftmax(n, c, nx, got);
                        else k.softmax(n, c, nx, got);
                    });
            Supplier<String> ctx =
                    () -> (log ? "logSoftmax" : "softmax") + " n=" + n + " c=" + c + " inPlace=" + inPlace + " spread="
                            + spread + " short=" + shortBuffer + " " + where + " [" + FuzzSupport.describe(k) + "]";
            FuzzSupport.sameVerdict(v, ctx);
            if (v.rejected()) {
                FuzzSupport.untouched(refSegs, refBefore, "reference", ctx);
                FuzzSupport.untouched(natSegs, natBefore, "native", ctx);
                return;
            }
            TestData.assertEachClose(log ? "logSoftmax" : "softmax", got, rw, nc, 1e-5, log ? 1e-6 : 1e-7, ctx.get());
        }
    }
}
