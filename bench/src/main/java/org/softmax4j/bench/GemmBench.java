package org.softmax4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.softmax4j.Binding;
import org.softmax4j.Gemm;
import org.softmax4j.Isa;
import org.softmax4j.Kernels;
import org.softmax4j.Softmax4j;

/**
 * SGEMM C = A B (float32, row-major, beta 0) of softmax4j through each
 * binding against OpenBLAS (the ceiling on the CPU, called without copies),
 * on identical inputs: squares and the trainer's skinny shapes
 * (forward 256x784 . 784x10; weight gradient X^T dZ, 784x256 . 256x10 with A
 * transposed). GFLOP/s = 2 m n k / time.
 *
 * <p>Expected before measuring: squares near OpenBLAS (both are packed,
 * blocked, FMA-bound codes; softmax4j's AVX-512 tile has twice the width
 * where the core has 512-bit FMA units); skinny shapes well above it, since
 * a general BLAS pads 10 columns to its register tile and packs A.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 300, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 300, timeUnit = TimeUnit.MILLISECONDS)
@Fork(
        value = 3,
        jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class GemmBench {
    /** m x n x k, "t" suffix: A transposed (stored k x m). */
    @Param({"512x512x512", "1024x1024x1024", "2048x2048x2048", "256x10x784", "784x10x256t"})
    public String shape;

    /** ours_avx2: softmax4j forced to its AVX2 kernels (for CPUs without AVX-512). */
    @Param({"ours_ffm", "ours_jni", "ours_avx2", "openblas"})
    public String impl;

    /** Automatic: the JNI binding refuses shared arenas (another thread could close one mid-call). */
    private Arena arena;

    private int m, n, k;
    private boolean transA;
    private MemorySegment a, b, c;
    private Kernels kernels;

    @Setup(Level.Trial)
    public void setup() {
        transA = shape.endsWith("t");
        String[] d = shape.replace("t", "").split("x");
        m = Integer.parseInt(d[0]);
        n = Integer.parseInt(d[1]);
        k = Integer.parseInt(d[2]);
        arena = Arena.ofAuto();
        a = random(arena, (long) m * k, 1);
        b = random(arena, (long) k * n, 2);
        c = random(arena, (long) m * n, 3);
        kernels = switch (impl) {
            case "ours_ffm" -> Kernels.cpu(Binding.FFM);
            case "ours_jni" -> Kernels.cpu(Binding.JNI);
            case "ours_avx2" -> {
                Softmax4j.setIsa(Isa.AVX2); // this fork only
                yield Kernels.cpu(Binding.FFM);
            }
            case "openblas" -> Kernels.cpu(Binding.FFM, Gemm.OPENBLAS);
            default -> throw new IllegalArgumentException(impl);
        };
    }

    static MemorySegment random(Arena arena, long len, long seed) {
        MemorySegment s = arena.allocate(4 * len, 64);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (long i = 0; i < len; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (rnd.nextDouble() - 0.5));
        return s;
    }

    @Benchmark
    public MemorySegment sgemm() {
        kernels.sgemm(transA, false, m, n, k, 1f, a, transA ? m : k, b, n, 0f, c, n);
        return c;
    }
}
