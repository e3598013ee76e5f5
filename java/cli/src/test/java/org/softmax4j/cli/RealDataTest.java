package org.softmax4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.softmax4j.Softmax4j;
import org.softmax4j.data.FashionMnist;

/** End to end on the real Fashion-MNIST, when installed (Debian's dataset-fashion-mnist). */
class RealDataTest {
    @TempDir
    Path work;

    @Test
    void twoEpochsOfTheBookSettings() {
        assumeTrue(Files.isDirectory(FashionMnist.DEFAULT_DIR),
                FashionMnist.DEFAULT_DIR + " is missing (apt-get install dataset-fashion-mnist)");
        CliRunner cli = new CliRunner(work, Map.of());
        int threads = Softmax4j.threads();
        CliRunner.Result r;
        try {
            r = cli.run("train", "--epochs", "2", "--out", "run");
        } finally {
            Softmax4j.setThreads(threads); // the CLI sets it for training; other tests want theirs
        }
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("Fashion-MNIST: 60,000 training and 10,000 test images"), r.out());
        double acc = Double.parseDouble(r.out().lines().filter(l -> l.startsWith("test accuracy: "))
                .findFirst().orElseThrow().split(" ")[2]);
        assertTrue(acc > 0.78 && acc < 0.86, "test accuracy " + acc);
        assertTrue(r.out().contains("4 Coat") && r.out().contains("9 Ankle boot"), r.out());
    }
}
