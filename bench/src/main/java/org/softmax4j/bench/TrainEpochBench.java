package org.softmax4j.bench;

import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.softmax4j.Kernels;
import org.softmax4j.data.FashionMnist;
import org.softmax4j.train.TrainConfig;
import org.softmax4j.train.TrainResult;
import org.softmax4j.train.Trainer;
import org.softmax4j.train.TrainingListener;

/**
 * One epoch of the book's softmax regression on Fashion-MNIST (batch 256,
 * lr 0.1, 235 steps of gather, GEMM, fused CE, GEMM, update) through the
 * trainer, warm. Includes the model's initialisation and the test-set
 * evaluation after the epoch (~2% of the time).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Measurement(iterations = 5, time = 500, timeUnit = TimeUnit.MILLISECONDS)
@Fork(
        value = 3,
        jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class TrainEpochBench {
    private FashionMnist data;
    private Trainer trainer;

    @Setup
    public void setup() throws Exception {
        if (!Files.isDirectory(FashionMnist.DEFAULT_DIR)) {
            throw new IllegalStateException("Fashion-MNIST is not installed at " + FashionMnist.DEFAULT_DIR);
        }
        data = FashionMnist.load(FashionMnist.DEFAULT_DIR);
        trainer = new Trainer(
                Kernels.cpu(), TrainConfig.book().toBuilder().epochs(1).build());
    }

    @Benchmark
    public TrainResult epoch() {
        return trainer.fit(data.train(), data.test(), TrainingListener.NONE);
    }
}
