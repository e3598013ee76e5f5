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
 * {@link Kernels#crossEntropy} of the native kernels (binding x ISA) against the
 * reference (FUZZING.md): shapes up to 64 x 300, every dtype, reduction, label
 * smoothing, z-loss, class weights, ignore index, gradient scale and output,
 * in place or not, buffers on the heap, at an offset or native, special logits;
 * invalid targets and sizes must be rejected alike, writing nothing. Tolerances
 * as {@link SoftmaxCrossEntropyTest#check}.
 */
class CrossEntropyFuzzTest {
    enum Grad {
        NONE,
        SEPARATE,
        IN_PLACE
    }

    @AfterAll
    static void restore() {
        Impl.restoreBestIsa();
    }

    @FuzzTest(maxDuration = "30s")
    void crossEntropyMatchesTheReference(FuzzedDataProvider d) {
        Kernels k = FuzzSupport.pickNative(d);
        Placement where = d.pickValue(Placement.values());
        int n = d.consumeInt(0, 64), c = d.consumeInt(1, 300);
        DType dtype = d.pickValue(new DType[] {DType.F32, DType.BF16, DType.F16});
        Reduction red = d.pickValue(Reduction.values());
        float eps = d.consumeBoolean() ? 0f : 0.99f * d.consumeProbabilityFloat();
        float z = d.pickValue(new float[] {0f, 0f, 1e-4f, 1e-3f, 0.1f, 1f});
        float gradScale = d.pickValue(new float[] {1f, 1f, 0.5f, -1f, 0f, 1e-3f, 1e3f});
        int ignoreIndex = d.pickValue(new int[] {-100, -100, 0, c - 1, -1, Integer.MIN_VALUE});
        int ignoreMode = d.consumeInt(0, 2); // none, some, all rows ignored
        int weightMode = d.consumeInt(0, 4); // none, random, with zeros, ones, wrong length
        Grad grad = d.pickValue(Grad.values());
        boolean rowLoss = red == Reduction.NONE ? d.consumeInt(0, 15) != 0 : d.consumeBoolean();
        boolean rowLse = d.consumeBoolean(), rowArgmax = d.consumeBoolean();
        int shortBuffer = d.consumeInt(0, 31); // 1..4: one buffer an element short
        double spread = d.pickValue(new double[] {0.1, 1, 3, 20, 100});
        SplittableRandom rnd = new SplittableRandom(d.consumeLong());
        float[] x = FuzzSupport.values(d, rnd, n * c, spread, 3);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextInt(c);
            if (ignoreMode == 2 || ignoreMode == 1 && rnd.nextInt(3) == 0) y[i] = ignoreIndex;
        }
        int badTargets = n == 0 || d.consumeInt(0, 7) != 0 ? 0 : d.consumeInt(1, 2);
        for (int b = 0; b < badTargets; b++) {
            y[d.consumeInt(0, n - 1)] =
                    d.pickValue(new int[] {-1, c, c + 1, -101, Integer.MIN_VALUE, Integer.MAX_VALUE, d.consumeInt()});
        }
        float[] weights = null;
        if (weightMode != 0) {
            weights = new float[weightMode == 4 ? c + (rnd.nextBoolean() ? 1 : -1) : c];
            for (int j = 0; j < weights.length; j++) {
                weights[j] =
                        weightMode == 3 ? 1f : weightMode == 2 && rnd.nextInt(3) == 0 ? 0f : 0.25f + rnd.nextFloat();
            }
        }
        CrossEntropy ce = new CrossEntropy(ignoreIndex, red, eps, z, weights, gradScale);

        long nc = (long) n * c;
        MemorySegment logits = dtype == DType.F32
                ? MemorySegment.ofArray(x)
                : MemorySegment.ofArray(SoftmaxCrossEntropyTest.toHalf(dtype, x));
        MemorySegment targets = MemorySegment.ofArray(y);
        CeOutputs want = new CeOutputs(
                grad == Grad.NONE ? null : TestData.poisoned(dtype, nc),
                rowLoss ? TestData.poisoned(DType.F32, n) : null,
                rowLse ? TestData.poisoned(DType.F32, n) : null,
                rowArgmax ? TestData.poisonedInts(n) : null);
        MemorySegment[] refIns = {logits, targets};
        if (shortBuffer >= 1 && shortBuffer <= 4) { // the same short buffer for both
            refIns[0] = shortBuffer == 1 && nc > 0 ? logits.asSlice(0, logits.byteSize() - dtype.byteSize()) : logits;
            refIns[1] = shortBuffer == 2 && n > 0 ? targets.asSlice(0, targets.byteSize() - 4) : targets;
            if (shortBuffer == 3 && want.dlogits() != null && nc > 0) {
                want = want.withDlogits(want.dlogits().asSlice(0, want.dlogits().byteSize() - dtype.byteSize()));
            }
            if (shortBuffer == 4 && want.rowLoss() != null && n > 0) {
                want = want.withRowLoss(want.rowLoss().asSlice(0, want.rowLoss().byteSize() - 4));
            }
        }

        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nLogits = FuzzSupport.place(arena, where, refIns[0]);
            MemorySegment nTargets = FuzzSupport.place(arena, where, refIns[1]);
            CeOutputs got = new CeOutputs(
                    grad == Grad.IN_PLACE
                                    && want.dlogits() != null
                                    && want.dlogits().byteSize() == nLogits.byteSize()
                            ? nLogits
                            : FuzzSupport.place(arena, where, want.dlogits()),
                    FuzzSupport.place(arena, where, want.rowLoss()),
                    FuzzSupport.place(arena, where, want.rowLse()),
                    FuzzSupport.place(arena, where, want.rowArgmax()));
            CeOutputs w = want;
            MemorySegment[] refSegs = {refIns[0], w.dlogits(), w.rowLoss(), w.rowLse(), w.rowArgmax()};
            MemorySegment[] natSegs = {nLogits, got.dlogits(), got.rowLoss(), got.rowLse(), got.rowArgmax()};
            MemorySegment[] refBefore = FuzzSupport.snapshot(refSegs), natBefore = FuzzSupport.snapshot(natSegs);
            float[] loss = new float[2];
            Verdict v = FuzzSupport.run(
                    () -> loss[0] = FuzzSupport.REF.crossEntropy(ce, n, c, dtype, refIns[0], refIns[1], w),
                    () -> loss[1] = k.crossEntropy(ce, n, c, dtype, nLogits, nTargets, got));
            Supplier<String> ctx = () -> "n=" + n + " c=" + c + " " + dtype + " " + red + " eps=" + eps + " z=" + z
                    + " weights=" + weightMode + " ignore=" + ignoreIndex + "/" + ignoreMode + " scale=" + gradScale
                    + " grad=" + grad + " rows=" + rowLoss + "/" + rowLse + "/" + rowArgmax + " spread=" + spread
                    + " short=" + shortBuffer + " " + where + " [" + FuzzSupport.describe(k) + "]";
            FuzzSupport.sameVerdict(v, ctx);
            if (v.rejected()) {
                FuzzSupport.untouched(refSegs, refBefore, "reference", ctx);
                FuzzSupport.untouched(natSegs, natBefore, "native", ctx);
                return;
            }
            String context = ctx.get();
            double lossTol = dtype == DType.F32 ? 1e-5 : 1e-4;
            TestData.assertLossClose(loss[1], loss[0], lossTol, context);
            double divisor = 0;
            for (int i = 0; i < n; i++) {
                if (y[i] != ignoreIndex) divisor += weights == null ? 1 : weights[y[i]];
            }
            // A mean over zero total weight scales the gradient by 1/0: its mix of NaN and
            // infinities depends on the order of operations, so only the loss is compared then.
            if (grad != Grad.NONE && !(red == Reduction.MEAN && divisor == 0)) {
                double scale = Math.abs(gradScale) / (red == Reduction.MEAN ? Math.max(divisor, 1e-3) : 1);
                // f16 gradients below 2^-14 are subnormal, 2^-24 apart: one such step either way
                // (the reference rounds double -> float -> f16) is no error
                double atol = 2e-7 * scale + (dtype == DType.F16 ? 0x1p-24 : 0);
                TestData.assertClose(
                        "dlogits", got.dlogits(), w.dlogits(), dtype, nc, TestData.tolerance(dtype), atol, context);
            }
            if (rowLoss) TestData.assertEachClose("rowLoss", got.rowLoss(), w.rowLoss(), n, lossTol, 1e-6, context);
            if (rowLse) TestData.assertEachClose("rowLse", got.rowLse(), w.rowLse(), n, 1e-6, 1e-6, context);
            if (rowArgmax) FuzzSupport.assertSameInts(got.rowArgmax(), w.rowArgmax(), n, "rowArgmax", ctx);
        }
    }
}
