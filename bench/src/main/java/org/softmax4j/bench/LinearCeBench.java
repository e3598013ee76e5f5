package org.softmax4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
import org.softmax4j.CeOutputs;
import org.softmax4j.CrossEntropy;
import org.softmax4j.DType;
import org.softmax4j.Kernels;
import org.softmax4j.LinearCe;
import org.softmax4j.LinearCeOutputs;

/**
 * Linear layer + softmax cross-entropy, forward and backward (loss, dX, dW,
 * db), N x D hidden states, V x D classifier:
 * <ul>
 *   <li>{@code fused}: softmax4j's fused kernel (logits never materialised);
 *   <li>{@code materialised}: our SGEMM for the N x V logits, the fused CE in
 *       place, then SGEMMs for dX and dW and column sums for db.
 * </ul>
 * Expected before measuring: the tiled plan does 4 N V D multiply-adds
 * against 3 (the logits are recomputed), so ~1.3x the materialised time if
 * both run at GEMM speed, in ~2 MB of workspace against 256 MiB of logits;
 * the row-chunked plans do 3, like materialising, and keep each chunk's
 * logits in cache (5 MiB at 40 rows) instead of writing and re-reading
 * 8 N V bytes (~20 ms of 1.3 s at copy bandwidth: at best a few percent
 * faster), but their GEMMs have only 40 (or 512) rows: W (128 MiB) is
 * packed and read twice, dW read and written once, per chunk. One call is
 * ~2 s: single shots.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(
        value = 3,
        jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx2g"})
public class LinearCeBench {
    /** N x D x V. */
    @Param({"2048x1024x32768"})
    public String shape;

    /**
     * fused: the automatic plan (row chunks of 512 rows here: 64 MiB, 1/4 of the logits);
     * fused_tiled: tiles of 1024 classes (the logits computed twice);
     * fused_chunkR: row chunks of R rows (40: 2% of the logits; any R may be given with -p).
     */
    @Param({"fused", "fused_tiled", "fused_chunk40", "materialised"})
    public String impl;

    /** Automatic: the JNI binding refuses shared arenas (another thread could close one mid-call). */
    private Arena arena;

    private int n, d, v;
    private MemorySegment x, w, b, y, dx, dw, db, logits;
    private final Kernels k = Kernels.cpu();
    private final CrossEntropy ce = CrossEntropy.defaults();

    @Setup(Level.Trial)
    public void setup() {
        String[] s = shape.split("x");
        n = Integer.parseInt(s[0]);
        d = Integer.parseInt(s[1]);
        v = Integer.parseInt(s[2]);
        arena = Arena.ofAuto();
        x = GemmBench.random(arena, (long) n * d, 1);
        w = GemmBench.random(arena, (long) v * d, 2);
        b = GemmBench.random(arena, v, 3);
        y = arena.allocate(4L * n, 64);
        SplittableRandom rnd = new SplittableRandom(4);
        for (long i = 0; i < n; i++) y.setAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, i, rnd.nextInt(v));
        dx = arena.allocate(4L * n * d, 64);
        dw = arena.allocate(4L * v * d, 64);
        db = arena.allocate(4L * v, 64);
        if (impl.equals("materialised")) logits = arena.allocate(4L * n * v, 64);
    }

    @Benchmark
    public float forwardBackward() {
        if (impl.startsWith("fused")) {
            LinearCe plan = switch (impl) {
                case "fused_tiled" -> LinearCe.defaults().withBlockClasses(1024);
                case "fused" -> LinearCe.defaults();
                default -> LinearCe.defaults().withChunkRows(Integer.parseInt(impl.substring(11))); // fused_chunkR
            };
            return k.linearCrossEntropy(ce, plan, n, d, v, x, w, b, y, new LinearCeOutputs(dx, dw, db, null, null));
        }
        k.sgemm(false, true, n, v, d, 1f, x, d, w, d, 0f, logits, v);
        k.addBias(n, v, b, logits);
        float loss = k.crossEntropy(ce, n, v, DType.F32, logits, y, CeOutputs.gradient(logits));
        k.sgemm(false, false, n, d, v, 1f, logits, v, w, d, 0f, dx, d);
        k.sgemm(true, false, v, d, n, 1f, logits, v, x, d, 0f, dw, d);
        k.columnSums(n, v, 1f, logits, 0f, db);
        return loss;
    }
}
