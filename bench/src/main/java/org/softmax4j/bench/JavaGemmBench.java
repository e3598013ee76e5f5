package org.softmax4j.bench;

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

/**
 * Plain Java SGEMM (i-p-j loops, which the JIT vectorises; one thread): what
 * a Java programmer writes without a library. Small shapes only (a 2048^3
 * product would take seconds).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 300, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 300, timeUnit = TimeUnit.MILLISECONDS)
@Fork(value = 3)
public class JavaGemmBench {
    @Param({"512x512x512", "256x10x784"})
    public String shape;

    private int m, n, k;
    private float[] a, b, c;

    @Setup
    public void setup() {
        String[] d = shape.split("x");
        m = Integer.parseInt(d[0]);
        n = Integer.parseInt(d[1]);
        k = Integer.parseInt(d[2]);
        SplittableRandom rnd = new SplittableRandom(1);
        a = new float[m * k];
        b = new float[k * n];
        c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = (float) rnd.nextDouble();
        for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextDouble();
    }

    @Benchmark
    public float[] sgemm() {
        java.util.Arrays.fill(c, 0f);
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                float av = a[i * k + p];
                int bo = p * n, co = i * n;
                for (int j = 0; j < n; j++) c[co + j] += av * b[bo + j];
            }
        }
        return c;
    }
}
