package org.softmax4j;

import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.softmax4j.FuzzSupport.Placement;
import org.softmax4j.FuzzSupport.Verdict;

/**
 * The training step's helpers of the native kernels against the reference
 * (FUZZING.md), the fuzzer picking which: {@link Kernels#addBias} and
 * {@link Kernels#gatherScaled} bit-exact (one float operation per element),
 * {@link Kernels#columnSums} within n + 2 roundings of its terms, and
 * {@link Kernels#sgdStep} within a few roundings (FMA or not); NaN where the
 * reference has it. Out-of-range gather indices, short buffers and bad SGD
 * settings are rejected alike, writing nothing.
 */
class StepHelpersFuzzTest {
    private static final double U = 0x1p-24;

    enum Helper {
        ADD_BIAS,
        COLUMN_SUMS,
        GATHER_SCALED,
        SGD_STEP
    }

    @AfterAll
    static void restore() {
        Impl.restoreBestIsa();
    }

    @FuzzTest(maxDuration = "30s")
    void helpersMatchTheReference(FuzzedDataProvider d) {
        Kernels k = FuzzSupport.pickNative(d);
        Placement where = d.pickValue(Placement.values());
        Helper helper = d.pickValue(Helper.values());
        int n = d.consumeInt(0, 64), c = d.consumeInt(helper == Helper.GATHER_SCALED ? 0 : 1, 300);
        boolean shortBuffer = d.consumeInt(0, 15) == 0;
        double spread = d.pickValue(new double[] {1, 1e-3, 1e3});
        float alpha = d.pickValue(new float[] {1f, 0.5f, -1f, 0f, 1f / 255});
        float beta = d.pickValue(new float[] {0f, 1f, 0.5f, -2f});
        float lr = d.pickValue(new float[] {0.1f, 1f, 1e-3f, 0f, -0.1f, Float.NaN});
        float momentum = d.pickValue(new float[] {0f, 0.9f, 0.5f, 1f, -0.1f});
        float decay = d.pickValue(new float[] {0f, 1e-4f, 0.1f, Float.POSITIVE_INFINITY});
        SplittableRandom rnd = new SplittableRandom(d.consumeLong());
        long nc = (long) n * c;
        Supplier<String> ctx = () -> helper + " n=" + n + " c=" + c + " short=" + shortBuffer + " spread=" + spread
                + " alpha=" + alpha + " beta=" + beta + " lr=" + lr + " momentum=" + momentum + " decay=" + decay
                + " " + where + " [" + FuzzSupport.describe(k) + "]";
        try (Arena arena = Arena.ofConfined()) {
            switch (helper) {
                case ADD_BIAS -> {
                    float[] bias = FuzzSupport.values(d, rnd, c - (shortBuffer ? 1 : 0), spread, 2);
                    float[] y = FuzzSupport.values(d, rnd, (int) nc, spread, 2), want = y.clone();
                    MemorySegment nb = FuzzSupport.place(arena, where, MemorySegment.ofArray(bias));
                    MemorySegment ny = FuzzSupport.place(arena, where, MemorySegment.ofArray(y));
                    MemorySegment[] outs = {MemorySegment.ofArray(want), ny}, before = FuzzSupport.snapshot(outs);
                    if (rejected(
                            FuzzSupport.run(
                                    () -> FuzzSupport.REF.addBias(n, c, bias, want), () -> k.addBias(n, c, nb, ny)),
                            outs,
                            before,
                            ctx)) return;
                    exact(ny, want, ctx);
                }
                case COLUMN_SUMS -> {
                    float[] x = FuzzSupport.values(d, rnd, Math.max(0, (int) nc - (shortBuffer ? 1 : 0)), spread, 2);
                    float[] out = FuzzSupport.values(d, rnd, c, spread, 1);
                    if (beta == 0 && d.consumeBoolean()) java.util.Arrays.fill(out, Float.NaN); // not read
                    float[] want = out.clone();
                    MemorySegment nx = FuzzSupport.place(arena, where, MemorySegment.ofArray(x));
                    MemorySegment no = FuzzSupport.place(arena, where, MemorySegment.ofArray(out));
                    MemorySegment[] outs = {MemorySegment.ofArray(want), no}, before = FuzzSupport.snapshot(outs);
                    if (rejected(
                            FuzzSupport.run(
                                    () -> FuzzSupport.REF.columnSums(n, c, alpha, x, beta, want),
                                    () -> k.columnSums(n, c, alpha, nx, beta, no)),
                            outs,
                            before,
                            ctx)) return;
                    for (int j = 0; j < c; j++) {
                        double mag = 0;
                        for (int i = 0; i < n; i++) mag += Math.abs(x[i * c + j]);
                        double bound = (n + 2) * U * (Math.abs(alpha) * mag + (beta == 0 ? 0 : Math.abs(beta * out[j])))
                                + U * Math.abs(want[j])
                                + 1e-30;
                        close("columnSums", j, no.getAtIndex(ValueLayout.JAVA_FLOAT, j), want[j], bound, ctx);
                    }
                }
                case GATHER_SCALED -> {
                    int srcRows = d.consumeInt(0, 40);
                    byte[] src = new byte[srcRows * c];
                    rnd.nextBytes(src);
                    int[] index = new int[n];
                    for (int i = 0; i < n; i++) index[i] = srcRows == 0 ? 0 : rnd.nextInt(srcRows);
                    if (n > 0 && d.consumeInt(0, 7) == 0) {
                        index[d.consumeInt(0, n - 1)] =
                                d.pickValue(new int[] {-1, srcRows, Integer.MIN_VALUE, d.consumeInt()});
                    }
                    float scale = d.pickValue(new float[] {1f / 255, 1f, -2f, 0f, Float.NaN, 1e38f});
                    long declaredRows = srcRows + (shortBuffer ? 1 : 0); // claims a row more than src holds
                    float[] want = new float[(int) nc];
                    java.util.Arrays.fill(want, Float.NaN);
                    MemorySegment ns = FuzzSupport.place(arena, where, MemorySegment.ofArray(src));
                    MemorySegment ni = FuzzSupport.place(arena, where, MemorySegment.ofArray(index));
                    MemorySegment no = FuzzSupport.place(arena, where, MemorySegment.ofArray(want.clone()));
                    MemorySegment[] outs = {MemorySegment.ofArray(want), no}, before = FuzzSupport.snapshot(outs);
                    Supplier<String> gctx = () -> ctx.get() + " srcRows=" + srcRows + " scale=" + scale;
                    if (rejected(
                            FuzzSupport.run(
                                    () -> FuzzSupport.REF.gatherScaled(
                                            n,
                                            c,
                                            MemorySegment.ofArray(src),
                                            declaredRows,
                                            MemorySegment.ofArray(index),
                                            scale,
                                            MemorySegment.ofArray(want)),
                                    () -> k.gatherScaled(n, c, ns, declaredRows, ni, scale, no)),
                            outs,
                            before,
                            gctx)) return;
                    exact(no, want, gctx);
                }
                case SGD_STEP -> {
                    int count = (int) Math.min(nc, 4000);
                    boolean withV = momentum != 0 || d.consumeBoolean();
                    float[] w = FuzzSupport.values(d, rnd, count, spread, 2);
                    float[] g = FuzzSupport.values(d, rnd, Math.max(0, count - (shortBuffer ? 1 : 0)), spread, 2);
                    float[] vel = withV ? FuzzSupport.values(d, rnd, count, spread, 1) : null;
                    float[] w0 = w.clone(), v0 = vel == null ? null : vel.clone();
                    float[] wantW = w.clone(), wantV = vel == null ? null : vel.clone();
                    MemorySegment nw = FuzzSupport.place(arena, where, MemorySegment.ofArray(w));
                    MemorySegment ng = FuzzSupport.place(arena, where, MemorySegment.ofArray(g));
                    MemorySegment nv = vel == null ? null : FuzzSupport.place(arena, where, MemorySegment.ofArray(vel));
                    MemorySegment[] outs = {
                        MemorySegment.ofArray(wantW), wantV == null ? null : MemorySegment.ofArray(wantV), nw, nv
                    };
                    MemorySegment[] before = FuzzSupport.snapshot(outs);
                    if (rejected(
                            FuzzSupport.run(
                                    () -> FuzzSupport.REF.sgdStep(count, lr, momentum, decay, wantW, g, wantV),
                                    () -> k.sgdStep(count, lr, momentum, decay, nw, ng, nv)),
                            outs,
                            before,
                            ctx)) return;
                    if (momentum == 0 && nv != null) {
                        FuzzSupport.untouched(
                                new MemorySegment[] {nv}, new MemorySegment[] {before[3]}, "v with momentum 0", ctx);
                    }
                    for (int i = 0; i < count; i++) {
                        double dd = Math.abs(g[i]) + Math.abs(decay * w0[i]);
                        double vv = momentum == 0 ? dd : Math.abs(momentum * v0[i]) + dd;
                        double bound = 8 * U * (Math.abs(w0[i]) + Math.abs(lr) * vv) + 1e-30;
                        close("w", i, nw.getAtIndex(ValueLayout.JAVA_FLOAT, i), wantW[i], bound, ctx);
                        if (momentum != 0)
                            close("v", i, nv.getAtIndex(ValueLayout.JAVA_FLOAT, i), wantV[i], 8 * U * vv + 1e-30, ctx);
                    }
                }
            }
        }
    }

    /** True when both rejected the call, alike, writing none of {@code outs}. */
    private static boolean rejected(Verdict v, MemorySegment[] outs, MemorySegment[] before, Supplier<String> ctx) {
        FuzzSupport.sameVerdict(v, ctx);
        if (v.rejected()) FuzzSupport.untouched(outs, before, "a helper", ctx);
        return v.rejected();
    }

    private static void exact(MemorySegment got, float[] want, Supplier<String> ctx) {
        for (int i = 0; i < want.length; i++) {
            float g = got.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            if (Float.floatToIntBits(g) != Float.floatToIntBits(want[i])) {
                fail("[" + i + "] = " + g + ", want " + want[i] + " (" + ctx.get() + ")");
            }
        }
    }

    private static void close(String what, int i, float got, float want, double bound, Supplier<String> ctx) {
        boolean ok = Float.isNaN(want) || Float.isInfinite(want)
                ? Float.compare(got, want) == 0
                : Math.abs(got - (double) want) <= bound;
        if (!ok) fail(what + "[" + i + "] = " + got + ", want " + want + " (bound " + bound + ") (" + ctx.get() + ")");
    }
}
