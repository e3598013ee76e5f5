package org.softmax4j.bench;

import java.lang.foreign.MemorySegment;
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
 * The pure-Java reference (double accumulation) on the same problem as
 * {@link SoftmaxCeBench}'s headline shape: seconds per call, so few
 * iterations. It is the tests' oracle, not meant to be fast; it shows what a
 * straightforward Java implementation costs.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(
        value = 3,
        jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class ReferenceCeBench {
    @Param({"4096x32768"})
    public String shape;

    private int n, c;
    private float[] logits, grad;
    private int[] targets;

    @Setup
    public void setup() {
        String[] nc = shape.split("x");
        n = Integer.parseInt(nc[0]);
        c = Integer.parseInt(nc[1]);
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(42);
        logits = new float[n * c];
        grad = new float[n * c];
        targets = new int[n];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) (4 * rnd.nextDouble() - 2);
        for (int i = 0; i < n; i++) targets[i] = rnd.nextInt(c);
    }

    @Benchmark
    public float forwardBackward() {
        return Kernels.reference()
                .crossEntropy(
                        CrossEntropy.defaults(),
                        n,
                        c,
                        DType.F32,
                        MemorySegment.ofArray(logits),
                        MemorySegment.ofArray(targets),
                        CeOutputs.gradient(grad));
    }
}
