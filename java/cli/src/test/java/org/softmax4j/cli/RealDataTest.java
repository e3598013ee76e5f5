package org.softmax4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.softmax4j.Softmax4j;
import org.softmax4j.data.Dataset;
import org.softmax4j.data.FashionMnist;

/** End to end on the real Fashion-MNIST, when installed (Debian's dataset-fashion-mnist). */
class RealDataTest {
    @TempDir
    Path work;

    @Test
    void twoEpochsOfTheBookSettings() {
        assumeTrue(
                Files.isDirectory(FashionMnist.DEFAULT_DIR),
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
        double acc = Double.parseDouble(r.out()
                .lines()
                .filter(l -> l.startsWith("test accuracy: "))
                .findFirst()
                .orElseThrow()
                .split(" ")[2]);
        assertTrue(acc > 0.78 && acc < 0.86, "test accuracy " + acc);
        assertTrue(r.out().contains("4 Coat") && r.out().contains("9 Ankle boot"), r.out());
    }

    /**
     * The same images as a CSV written here (pixels as numbers, the label
     * last): the CSV path, scaled as the IDX path is, trains to the same
     * numbers bit for bit.
     */
    @Test
    void fashionMnistAsCsvTrainsAsTheIdxFilesDo() throws IOException {
        assumeTrue(
                Files.isDirectory(FashionMnist.DEFAULT_DIR),
                FashionMnist.DEFAULT_DIR + " is missing (apt-get install dataset-fashion-mnist)");
        FashionMnist fm = FashionMnist.load(FashionMnist.DEFAULT_DIR);
        csv(fm.train(), work.resolve("train.csv"));
        csv(fm.test(), work.resolve("test.csv"));
        CliRunner cli = new CliRunner(
                work, Map.of("SOFTMAX4J_CACHE", work.resolve("cache").toString()));
        int threads = Softmax4j.threads();
        CliRunner.Result idx, csv;
        try {
            idx = cli.run("train", "--epochs", "2", "--out", "idx");
            csv = cli.run(
                    "train",
                    "--epochs",
                    "2",
                    "--out",
                    "csv",
                    "--data",
                    "train.csv",
                    "--test",
                    "test.csv",
                    "--label",
                    "label",
                    "--scale",
                    "divide:255");
        } finally {
            Softmax4j.setThreads(threads);
        }
        assertEquals(0, idx.code(), idx.toString());
        assertEquals(0, csv.code(), csv.toString());
        assertEquals(
                lossesAndAccuracies(work.resolve("idx/metrics.csv")),
                lossesAndAccuracies(work.resolve("csv/metrics.csv")));
    }

    private static void csv(Dataset d, Path file) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            for (int j = 0; j < d.features(); j++) w.write("p" + j + ",");
            w.write("label\n");
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < d.size(); i++) {
                line.setLength(0);
                for (int j = 0; j < d.features(); j++)
                    line.append(d.pixel(i, j)).append(',');
                w.append(line).append(Integer.toString(d.label(i))).append('\n');
            }
        }
    }

    /** metrics.csv without its timing columns. */
    private static String lossesAndAccuracies(Path metrics) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String line : Files.readAllLines(metrics)) {
            String[] cells = line.split(",", -1);
            sb.append(String.join(",", java.util.Arrays.copyOf(cells, 8))).append('\n');
        }
        return sb.toString();
    }
}
