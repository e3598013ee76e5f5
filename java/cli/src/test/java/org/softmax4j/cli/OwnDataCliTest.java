package org.softmax4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.softmax4j.Softmax4j;

/** Issue 14 end to end in-process: train on a CSV of one's own, predict into a CSV, evaluate; data errors. */
class OwnDataCliTest {
    @TempDir
    static Path work;

    private static CliRunner cli;
    private static int threads;
    private static final String[] CLASSES = {"cat", "dog", "eel"};
    private static final double[][] CENTRES = {{0, 10, -5}, {10, 0, 5}, {-10, -10, 0}};

    @BeforeAll
    static void data() throws IOException {
        threads = Softmax4j.threads();
        // the cache in the test's folder, not the user's; no Fashion-MNIST needed
        cli = new CliRunner(
                work,
                Map.of(
                        "SOFTMAX4J_CACHE",
                        work.resolve("cache").toString(),
                        "SOFTMAX4J_DATA",
                        work.resolve("no-fashion-mnist").toString()));
        long seed = System.nanoTime();
        System.out.println("OwnDataCliTest seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        Files.writeString(work.resolve("tmp.csv"), table(rnd, 300, true));
        Files.writeString(work.resolve("test.csv"), table(rnd, 60, true));
        Files.writeString(work.resolve("new.csv"), table(rnd, 37, false));
    }

    @AfterAll
    static void restoreThreads() {
        Softmax4j.setThreads(threads);
    }

    /** n rows of three features around a class's centre; with the label column y or without. */
    private static String table(SplittableRandom rnd, int n, boolean labelled) {
        StringBuilder b = new StringBuilder(labelled ? "f1,f2,y,f3\n" : "f1,f2,f3\n");
        for (int i = 0; i < n; i++) {
            int k = rnd.nextInt(3);
            double[] x = new double[3];
            for (int j = 0; j < 3; j++) x[j] = CENTRES[k][j] + rnd.nextDouble() * 2 - 1;
            if (labelled) b.append(String.format(Locale.ROOT, "%.4f,%.4f,%s,%.4f%n", x[0], x[1], CLASSES[k], x[2]));
            else b.append(String.format(Locale.ROOT, "%.4f,%.4f,%.4f%n", x[0], x[1], x[2]));
        }
        return b.toString();
    }

    private static void assertOneLineError(CliRunner.Result r, int code) {
        assertEquals(code, r.code(), r.toString());
        assertEquals(1, r.err().lines().count(), r.toString());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r);
    }

    @Test
    void trainPredictEval() throws IOException {
        CliRunner.Result t = cli.run("train", "--data", "tmp.csv", "--label", "y", "--epochs", "3", "--out", "run");
        assertEquals(0, t.code(), t.toString());
        assertTrue(t.out().contains("300 examples of 3 features and 3 classes (cat, dog, eel)"), t.out());
        Path model = work.resolve("run/model.s4j");
        assertTrue(Files.size(model) > 0);

        CliRunner.Result p = cli.run("predict", "run/model.s4j", "--data", "new.csv", "--output", "pred.csv");
        assertEquals(0, p.code(), p.toString());
        List<String> lines = Files.readAllLines(work.resolve("pred.csv"));
        assertEquals("row,predicted,probability,p_cat,p_dog,p_eel,abstained", lines.get(0));
        assertEquals(1 + 37, lines.size(), "a header and a line per row of new.csv");
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",");
            assertEquals(7, f.length, lines.get(i));
            assertEquals(i - 1, Integer.parseInt(f[0]));
            double sum = 0, max = -1;
            int best = -1;
            for (int k = 0; k < 3; k++) {
                double v = Double.parseDouble(f[3 + k]);
                assertTrue(v >= 0 && v <= 1, lines.get(i));
                sum += v;
                if (v > max) {
                    max = v;
                    best = k;
                }
            }
            assertEquals(1, sum, 1e-5, lines.get(i));
            assertEquals(max, Double.parseDouble(f[2]), 0, "the probability is the top one's: " + lines.get(i));
            assertEquals(CLASSES[best], f[1], lines.get(i));
            assertEquals("false", f[6]);
        }

        CliRunner.Result e = cli.run("eval", "run/model.s4j", "--data", "test.csv", "--label", "y");
        assertEquals(0, e.code(), e.toString());
        String line = e.out()
                .lines()
                .filter(l -> l.startsWith("test.csv accuracy: "))
                .findFirst()
                .orElseThrow(() -> new AssertionError(e.out()));
        double acc = Double.parseDouble(line.split(" ")[2]);
        assertTrue(acc > 0.9, "separable clusters: " + e.out());
        assertTrue(e.out().contains("/60)"), "every row of test.csv judged: " + e.out());
    }

    @Test
    void predictOnTheWrongFeatureColumnsIsADataError() throws IOException {
        CliRunner.Result t = cli.run("train", "--data", "tmp.csv", "--epochs", "1", "--out", "run2", "-q");
        assertEquals(0, t.code(), t.toString()); // the label: the column named y
        Files.writeString(work.resolve("two.csv"), "f1,f2\n1,2\n3,4\n");
        CliRunner.Result r = cli.run("predict", "run2/model.s4j", "--data", "two.csv", "--output", "p2.csv");
        assertOneLineError(r, 2);
        assertTrue(r.err().contains(work.resolve("two.csv").toString()), r.err());
        assertTrue(r.err().contains("2 feature columns, the model has 3 (missing here: f3)"), r.err());
        assertFalse(Files.exists(work.resolve("p2.csv")), "nothing written to --output");

        Files.writeString(work.resolve("four.csv"), "1,2,3,4\n5,6,7,8\n");
        r = cli.run("predict", "run2/model.s4j", "--data", "four.csv", "--output", "p4.csv");
        assertOneLineError(r, 2);
        assertTrue(r.err().contains(work.resolve("four.csv") + ": 4 feature columns, the model has 3"), r.err());
        assertFalse(Files.exists(work.resolve("p4.csv")), "nothing written to --output");
        try (var left = Files.list(work)) {
            assertTrue(left.noneMatch(f -> f.getFileName().toString().endsWith(".tmp")), "no temporary file left");
        }
    }

    @Test
    void aBrokenTrainingFileIsADataErrorNamingTheLine() throws IOException {
        Files.writeString(work.resolve("broken.csv"), "a,b,y\n1,2,p\n3,x,q\n");
        CliRunner.Result r = cli.run("train", "--data", "broken.csv", "--epochs", "1", "--out", "run3", "-q");
        assertOneLineError(r, 2);
        assertTrue(r.err().contains(work.resolve("broken.csv") + ":3: column 'b' (2): 'x' is not a number"), r.err());
        assertFalse(Files.exists(work.resolve("run3/model.s4j")));
    }
}
