package org.softmax4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
import org.softmax4j.Kernels;

/**
 * Cost of one call through each binding: a softmax of one row of 16 floats,
 * from a heap array or a native segment. The buffers hold {@code length}
 * floats but the kernel touches the first 16 only, so a binding that copied
 * its arrays would take ~1000x longer at 16M than at 16 (JavaCPP's default
 * float[] mapping copies both ways; softmax4j pins instead): equal times at
 * both lengths show that nothing is copied.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 300, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 300, timeUnit = TimeUnit.MILLISECONDS)
@Fork(
        value = 3,
        jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class BindingOverheadBench {
    @Param({"ffm", "jni"})
    public String binding;

    @Param({"heap", "native"})
    public String memory;

    @Param({"16", "16777216"})
    public int length;

    /** Automatic: the JNI binding refuses shared arenas (another thread could close one mid-call). */
    private Arena arena;

    private MemorySegment x, y;
    private Kernels kernels;

    @Setup(Level.Trial)
    public void setup() {
        kernels = Kernels.cpu(binding.equals("ffm") ? Binding.FFM : Binding.JNI);
        if (memory.equals("heap")) {
            x = MemorySegment.ofArray(new float[length]);
            y = MemorySegment.ofArray(new float[length]);
        } else {
            arena = Arena.ofAuto();
            x = arena.allocate(4L * length, 64);
            y = arena.allocate(4L * length, 64);
        }
    }

    @Benchmark
    public MemorySegment softmax16() {
        kernels.softmax(1, 16, x, y);
        return y;
    }
}
