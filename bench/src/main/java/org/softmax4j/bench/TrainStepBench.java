package org.softmax4j.bench;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.softmax4j.CeOutputs;
import org.softmax4j.CrossEntropy;
import org.softmax4j.DType;
import org.softmax4j.Kernels;

/**
 * Where a training step's time goes: each kernel of the book's step
 * (batch 256, 784 -> 10) alone, on the buffers and with the arguments the
 * trainer uses. The gather reads rows of a 60,000-image uint8 set in a
 * shuffled order, as an epoch does, so it pays the same cache misses.
 * Times 235 steps give each kernel's share of an epoch.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 300, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 300, timeUnit = TimeUnit.MILLISECONDS)
@Fork(
        value = 2,
        jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class TrainStepBench {
    static final int ROWS = 60_000, BATCH = 256, F = 784, C = 10;

    @Param({"gather", "forward", "addBias", "crossEntropy", "weightGrad", "biasGrad", "sgdStep"})
    public String step;

    private final Kernels k = Kernels.cpu();
    private final CrossEntropy ce = CrossEntropy.defaults();
    private MemorySegment pixels, index, x, w, b, z, targets, gw, gb;
    private int[] order, batchIndex;
    private int next;
    private CeOutputs ceOut;

    @Setup
    public void setup() {
        SplittableRandom rnd = new SplittableRandom(1);
        byte[] px = new byte[ROWS * F];
        for (int i = 0; i < px.length; i++) px[i] = (byte) rnd.nextInt(256);
        order = new int[ROWS];
        for (int i = 0; i < ROWS; i++) order[i] = i;
        for (int i = ROWS - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        batchIndex = new int[BATCH];
        int[] y = new int[BATCH];
        for (int i = 0; i < BATCH; i++) y[i] = rnd.nextInt(C);
        float[] xs = new float[BATCH * F], ws = new float[F * C];
        for (int i = 0; i < xs.length; i++) xs[i] = rnd.nextInt(256) / 255f;
        for (int i = 0; i < ws.length; i++) ws[i] = (float) (0.01 * rnd.nextGaussian());
        pixels = MemorySegment.ofArray(px);
        index = MemorySegment.ofArray(batchIndex);
        x = MemorySegment.ofArray(xs);
        w = MemorySegment.ofArray(ws);
        b = MemorySegment.ofArray(new float[C]);
        z = MemorySegment.ofArray(new float[BATCH * C]);
        targets = MemorySegment.ofArray(y);
        gw = MemorySegment.ofArray(new float[F * C]);
        gb = MemorySegment.ofArray(new float[C]);
        ceOut = CeOutputs.gradient(z).withRowArgmax(MemorySegment.ofArray(new int[BATCH]));
        k.sgemm(false, false, BATCH, C, F, 1f, x, F, w, C, 0f, z, C);
    }

    @Benchmark
    public float run() {
        switch (step) {
            case "gather" -> {
                System.arraycopy(order, next, batchIndex, 0, BATCH);
                next = next + 2 * BATCH > ROWS ? 0 : next + BATCH;
                k.gatherScaled(BATCH, F, pixels, ROWS, index, 1f / 255, x);
            }
            case "forward" -> k.sgemm(false, false, BATCH, C, F, 1f, x, F, w, C, 0f, z, C);
            case "addBias" -> k.addBias(BATCH, C, b, z);
            // in place, as in the trainer: the logits become (bounded) gradients, which is
            // the same work for the kernel
            case "crossEntropy" -> {
                return k.crossEntropy(ce, BATCH, C, DType.F32, z, targets, ceOut);
            }
            case "weightGrad" -> k.sgemm(true, false, F, C, BATCH, 1f, x, F, z, C, 0f, gw, C);
            case "biasGrad" -> k.columnSums(BATCH, C, 1f, z, 0f, gb);
            // a zero learning rate keeps the weights, so every call does the same work
            case "sgdStep" -> k.sgdStep((long) F * C, 0f, 0f, 0f, w, gw, null);
            default -> throw new IllegalStateException(step);
        }
        return 0f;
    }
}
