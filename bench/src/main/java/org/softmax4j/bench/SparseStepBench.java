package org.softmax4j.bench;

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
import org.softmax4j.Kernels;
import org.softmax4j.data.SparseRows;
import org.softmax4j.train.SparseTrainer;
import org.softmax4j.train.TrainConfig;

/**
 * One epoch of sparse SGD ({@link SparseTrainer}, batches of 32) over 4,096
 * rows of 24 stored features, at the shapes of issue 16: the Debian corpus
 * (2^20 features x 58 classes), the scale check (2^20 x 1,000: 4 GB of
 * weights, no dense gradient possible) and many classes (1,024 x 1,000,000:
 * 4 GB, logits over the 64 MiB budget, so tiles of classes, two passes).
 * Expected before measuring: a step reads one weight row per stored entry
 * and writes it back (24 x 32 rows of 4C bytes): 58 classes ~0.2 MB, 1,000
 * classes 3 MB, 10^6 classes 3 GB read twice and written once per step, so
 * at ~20 GB/s about 10 us, 0.3 ms and 0.4 s per step. Score: the epoch
 * (128 steps), zeroing the weights included. Single shots, -Xmx12g.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(
        value = 1,
        jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx12g"})
public class SparseStepBench {
    /** features x classes. */
    @Param({"1048576x58", "1048576x1000", "1024x1000000"})
    public String shape;

    private SparseTrainer.Data data;
    private int classes;
    private final SparseTrainer trainer = new SparseTrainer(
            Kernels.cpu(), TrainConfig.text().toBuilder().epochs(1).build());

    @Setup(Level.Trial)
    public void setup() {
        String[] s = shape.split("x");
        int d = Integer.parseInt(s[0]);
        classes = Integer.parseInt(s[1]);
        SplittableRandom rnd = new SplittableRandom(16);
        int n = 4096, per = 24;
        SparseRows rows = new SparseRows(d);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            java.util.TreeSet<Integer> cols = new java.util.TreeSet<>();
            while (cols.size() < per) cols.add(rnd.nextInt(d));
            int[] c = cols.stream().mapToInt(Integer::intValue).toArray();
            float[] v = new float[per];
            java.util.Arrays.fill(v, (float) (1 / Math.sqrt(per)));
            rows.add(c, v, per);
            labels[i] = rnd.nextInt(classes);
        }
        data = new SparseTrainer.Data(rows, labels, null);
    }

    @Benchmark
    public Object epoch() {
        return trainer.fit(data, null, classes, null, null).model();
    }
}
