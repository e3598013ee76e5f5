package org.softmax4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.softmax4j.Softmax4j;
import org.softmax4j.train.Checkpoint;

/** The CLI in-process: help, errors, and every command on a small fake data set. */
class MainTest {
    @TempDir
    static Path work;

    private static CliRunner cli;
    private static Path data;

    /** The CLI sets the native thread count for training; give the other tests theirs back. */
    private static int threads;

    @AfterAll
    static void restoreThreads() {
        Softmax4j.setThreads(threads);
    }

    @BeforeAll
    static void fakeData() throws IOException {
        threads = Softmax4j.threads();
        data = FakeFashionMnist.write(work.resolve("fake-data"), 1000, 300);
        cli = new CliRunner(work, Map.of("SOFTMAX4J_DATA", data.toString()));
    }

    private static void assertOneLineError(CliRunner.Result r, int code) {
        assertEquals(code, r.code(), r.toString());
        assertEquals(1, r.err().lines().count(), r.toString());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r);
    }

    @Test
    void helpListsTheCommands() {
        CliRunner.Result r = cli.run("--help");
        assertEquals(0, r.code(), r.toString());
        for (String c : List.of("train", "eval", "predict", "sweep", "misclassified", "quantize", "formats")) {
            assertTrue(r.out().contains("\n  " + c + " "), c + " in\n" + r.out());
        }
        assertTrue(r.out().contains("Exit codes"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"train", "eval", "predict", "sweep", "misclassified", "quantize", "formats"})
    void everyCommandHasHelp(String command) {
        CliRunner.Result r = cli.run(command, "--help");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith(""), r.out());
        assertTrue(r.out().contains("Usage: softmax4j " + command), r.out());
        if (!command.equals("formats")) assertTrue(r.out().contains("default"), r.out());
    }

    @Test
    void version() {
        CliRunner.Result r = cli.run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("softmax4j "), r.out());
    }

    @Test
    void wrongArgumentsAreOneLineUsageErrors() {
        CliRunner.Result r = cli.run("train", "--epochs", "ten");
        assertOneLineError(r, 2);
        assertTrue(r.err().startsWith("softmax4j train: "), r.err());
        assertTrue(r.err().contains("--epochs") && r.err().contains("--help"), r.err());
        assertOneLineError(cli.run("train", "--frobnicate"), 2);
        assertOneLineError(cli.run("frobnicate"), 2);
        assertOneLineError(cli.run(), 2);
        assertOneLineError(cli.run("train", "--schedule", "linear"), 2);
        assertOneLineError(cli.run("train", "--epochs", "0", "--out", "x"), 2);
        assertOneLineError(cli.run("train", "--momentum", "1.5", "--out", "x"), 2);
        assertOneLineError(cli.run("train", "--step-size", "2", "--out", "x"), 2);
        assertOneLineError(cli.run("predict", "--top-k", "11"), 2);
    }

    @Test
    void mistypedCommandsAndOptionsGetSuggestions() {
        CliRunner.Result r = cli.run("trian");
        assertOneLineError(r, 2);
        assertTrue(r.err().contains("did you mean train"), r.err());
        r = cli.run("train", "--bach-size", "8");
        assertTrue(r.err().contains("did you mean --batch-size?"), r.err());
        r = cli.run("predict", "--tp", "3");
        assertTrue(r.err().contains("did you mean --top?"), r.err());
        r = cli.run("train", "--frobnicate");
        assertFalse(r.err().contains("did you mean"), r.err());
        assertEquals(1, Main.distance("--epoch", "--epochs"));
    }

    @Test
    void floatsAreWrittenAsTheirShortestDecimal() {
        assertEquals("0.1", Reports.num(0.1f)); // not 0.10000000149011612, the float widened
        assertEquals("7.74E-5", Reports.num(7.74e-5f));
        assertEquals("", Reports.num(Float.NaN));
        assertEquals("null", Reports.jsonNum(Float.POSITIVE_INFINITY));
    }

    @Test
    void missingDataSaysHowToInstall() {
        Path missing = work.resolve("no-such-dir");
        CliRunner.Result r = cli.run("train", "--data", missing.toString(), "--out", "x");
        assertOneLineError(r, 2);
        assertTrue(r.err().contains(missing.toString()), r.err());
        assertTrue(r.err().contains("sudo apt-get install dataset-fashion-mnist"), r.err());
        assertTrue(r.err().contains("https://github.com/zalandoresearch/fashion-mnist"), r.err());
        // The environment variable is the fallback for --data.
        CliRunner viaEnv = new CliRunner(work, Map.of("SOFTMAX4J_DATA", missing.toString()));
        assertTrue(viaEnv.run("eval", "--data", missing.toString(), "nope.s4j")
                .err()
                .contains("model file not found"));
        CliRunner.Result e = viaEnv.run("sweep", "--lr", "0.1");
        assertOneLineError(e, 2);
        assertTrue(e.err().contains(missing.toString()) && e.err().contains("apt-get"), e.err());
    }

    @Test
    void cudaIsReportedCleanly() {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                org.softmax4j.cuda.CudaKernels.deviceCount() == 0, "a GPU is present: training on it is not an error");
        CliRunner.Result r = cli.run("train", "--device", "cuda", "--out", "x");
        assertOneLineError(r, 2);
        assertTrue(r.err().startsWith("softmax4j train: no usable NVIDIA GPU: "), r.err());
    }

    @Test
    void verboseShowsTheStackTrace() {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                org.softmax4j.cuda.CudaKernels.deviceCount() == 0, "a GPU is present: training on it is not an error");
        CliRunner.Result r = cli.run("train", "--device", "cuda", "--verbose", "--out", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("\tat "), r.err());
    }

    @Test
    void everyCommandPrintsTheVersion() {
        for (String command : List.of("train", "eval", "sweep")) {
            CliRunner.Result r = cli.run(command, "-V");
            assertEquals(0, r.code(), r.toString());
            assertTrue(r.out().startsWith("softmax4j ") && r.out().contains(" (native 0.1.0, "), r.toString());
        }
    }

    @Test
    void badSweepValuesAreNamed() {
        CliRunner.Result r = cli.run("sweep", "--lr", "0.1,abc");
        assertOneLineError(r, 2);
        assertEquals("softmax4j sweep: --lr: 'abc' is not a number\n", r.err());
        r = cli.run("sweep", "--batch-size", "8,1.5");
        assertOneLineError(r, 2);
        assertEquals("softmax4j sweep: --batch-size: '1.5' is not a whole number\n", r.err());
    }

    @Test
    void badThreadsAreNamed() {
        CliRunner.Result r = cli.run("train", "--threads", "5000", "--epochs", "1", "--out", "threads");
        assertOneLineError(r, 2);
        assertEquals("softmax4j train: --threads: threads = 5000: must be in [1, 1024]\n", r.err());
    }

    @Test
    void trainThenUseTheModel() throws IOException {
        CliRunner.Result r =
                cli.run("train", "--epochs", "3", "--batch-size", "50", "--out", "run1", "--checkpoint-every", "1");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("per split: loss accuracy"), r.out()); // the legend
        List<String> epochLines =
                r.out().lines().filter(l -> l.startsWith("epoch ")).toList();
        assertEquals(3, epochLines.size(), r.out());
        assertTrue(epochLines.get(0).startsWith("epoch 1/3  train "), r.out());
        for (String l : epochLines) assertTrue(l.length() <= 100, l.length() + " characters: " + l);
        assertTrue(r.out().contains("test accuracy: "), r.out());
        assertTrue(r.out().contains("confusion matrix"), r.out());
        assertTrue(r.out().contains("training loop: "), r.out());
        assertTrue(r.out().contains("outputs: run1/"), r.out());
        assertEquals("", r.err());
        Path run = work.resolve("run1");
        for (String f : List.of(
                "model.s4j",
                "metrics.csv",
                "metrics.json",
                "curves.svg",
                "confusion.csv",
                "confusion.svg",
                "checkpoint.s4j")) {
            assertTrue(Files.size(run.resolve(f)) > 0, f);
        }
        assertEquals(4, Files.readAllLines(run.resolve("metrics.csv")).size());
        String json = Files.readString(run.resolve("metrics.json"));
        assertTrue(json.contains("\"confusion_matrix\"") && json.contains("\"training_loop_seconds\""), json);
        assertTrue(Files.readString(run.resolve("curves.svg")).contains("<polyline"));
        double acc = Double.parseDouble(r.out()
                .lines()
                .filter(l -> l.startsWith("test accuracy: "))
                .findFirst()
                .orElseThrow()
                .split(" ")[2]);
        assertTrue(acc > 0.9, "accuracy " + acc);

        Path model = run.resolve("model.s4j");
        CliRunner.Result eval = cli.run("eval", model.toString(), "--out", "eval1");
        assertEquals(0, eval.code(), eval.toString());
        assertTrue(eval.out().contains("outputs: eval1/ (confusion.csv, confusion.svg)"), eval.out());
        String heatmap = Files.readString(work.resolve("eval1/confusion.svg"));
        assertTrue(heatmap.contains("<svg") && heatmap.contains("predicted class"), heatmap);
        assertTrue(eval.out().contains(String.format(java.util.Locale.ROOT, "test accuracy: %.4f", acc)), eval.out());

        CliRunner.Result predict =
                cli.run("predict", model.toString(), "--index", "0,5", "--top-k", "2", "--abstain-below", "0.99");
        assertEquals(0, predict.code(), predict.toString());
        assertTrue(predict.out().contains("abstaining when the top probability is below"), predict.out());
        assertTrue(predict.out().contains("<- --abstain-below"), predict.out());
        assertEquals(2 + 1 + 3 + 11 + 1, predict.out().lines().count(), predict.out());

        CliRunner.Result mis = cli.run("misclassified", model.toString(), "--out", "mis", "--count", "4");
        assertEquals(0, mis.code(), mis.toString());
        String svg = Files.readString(work.resolve("mis/misclassified.svg"));
        assertTrue(svg.contains("data:image/png;base64,"), svg);

        CliRunner.Result q = cli.run("quantize", model.toString());
        assertEquals(0, q.code(), q.toString());
        assertTrue(q.out().contains("int8, one scale per class"), q.out());

        // Resume: more epochs from the final model; other settings are fixed by the file.
        CliRunner.Result more = cli.run("train", "--resume", model.toString(), "--epochs", "4", "--out", "run2");
        assertEquals(0, more.code(), more.toString());
        assertTrue(more.out().contains("resuming after epoch 3"), more.out());
        assertTrue(more.out().contains("epoch 4/4"), more.out());
        assertFalse(more.out().contains("epoch 3/4"), more.out());
        assertOneLineError(cli.run("train", "--resume", model.toString(), "--lr", "0.5", "--out", "x"), 2);
        assertOneLineError(cli.run("train", "--resume", model.toString(), "--out", "x"), 2);
    }

    @Test
    void resumedRunEqualsUninterruptedRun() {
        String[] settings = {
            "--epochs",
            "4",
            "--momentum",
            "0.9",
            "--schedule",
            "cosine",
            "--val-fraction",
            "0.2",
            "--patience",
            "10",
            "-q"
        };
        assertEquals(0, cli.run(concat(settings, "--out", "full")).code());
        CliRunner.Result half = cli.run(concat(settings, "--out", "half", "--stop-after", "2"));
        assertEquals(0, half.code(), half.toString());
        assertTrue(half.out().contains("--resume half/model.s4j"), half.out());
        CliRunner.Result rest = cli.run("train", "--resume", "half/model.s4j", "--out", "rest", "-q");
        assertEquals(0, rest.code(), rest.toString());
        Checkpoint a = Checkpoint.load(work.resolve("full/model.s4j"));
        Checkpoint b = Checkpoint.load(work.resolve("rest/model.s4j"));
        assertTrue(a.model().sameParameters(b.model()));
        assertTrue(a.state().model().sameParameters(b.state().model()));
        assertEquals(a.state().history().size(), b.state().history().size());
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length + 1);
        r[0] = "train";
        System.arraycopy(a, 0, r, 1, a.length);
        System.arraycopy(b, 0, r, 1 + a.length, b.length);
        return r;
    }

    @Test
    void predictOwnImages() throws IOException {
        assertEquals(0, cli.run("train", "--epochs", "1", "--out", "own", "-q").code());
        byte[] pixels = new byte[3 * 784];
        java.util.Arrays.fill(pixels, (byte) 200);
        Path images = work.resolve("three-images.idx");
        Path labels = work.resolve("three-labels.idx.gz");
        org.softmax4j.data.IdxWriter.write(images, new int[] {3, 28, 28}, pixels, false);
        org.softmax4j.data.IdxWriter.write(labels, new int[] {3}, new byte[] {1, 2, 3}, true);
        CliRunner.Result r = cli.run("predict", "own/model.s4j", "--images", images.toString(), "--top-k", "1");
        assertEquals(0, r.code(), r.toString());
        assertEquals(1 + 1 + 3, r.out().lines().count(), r.out());
        assertFalse(r.out().contains("true"), r.out());
        CliRunner.Result l = cli.run(
                "predict",
                "own/model.s4j",
                "--images",
                images.toString(),
                "--labels",
                labels.toString(),
                "--index",
                "2");
        assertEquals(0, l.code(), l.toString());
        assertTrue(l.out().contains("Dress"), l.out()); // the true label of image 2
        CliRunner.Result bad = cli.run("predict", "own/model.s4j", "--images", labels.toString());
        assertOneLineError(bad, 2);
        assertTrue(bad.err().contains("1 dimensions, expected 3"), bad.err());
    }

    @Test
    void noModelGiven() {
        CliRunner empty = new CliRunner(work.resolve("empty"), Map.of("SOFTMAX4J_DATA", data.toString()));
        CliRunner.Result r = empty.run("eval");
        assertOneLineError(r, 2);
        assertTrue(r.err().contains("train one first"), r.err());
    }

    @Test
    void corruptModelIsAUserError() throws IOException {
        Path bad = work.resolve("bad.s4j");
        Files.writeString(bad, "S4JMODEL but not really a model file");
        CliRunner.Result r = cli.run("eval", bad.toString());
        assertOneLineError(r, 2);
        assertTrue(r.err().contains(bad.toString()), r.err());
    }

    @Test
    void sweepWritesTableCsvAndPlot() throws IOException {
        CliRunner.Result r = cli.run("sweep", "--lr", "0.01,0.1", "--epochs", "1", "--out", "sw");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("lowest validation loss: learning rate = "), r.out());
        assertEquals(3, Files.readAllLines(work.resolve("sw/sweep.csv")).size());
        assertTrue(Files.readString(work.resolve("sw/sweep.svg")).contains("log scale"));
        CliRunner.Result b = cli.run("sweep", "--batch-size", "100,1000", "--epochs", "1", "--out", "sw2");
        assertEquals(0, b.code(), b.toString());
        assertTrue(b.out().contains("batch size"), b.out());
        assertOneLineError(cli.run("sweep", "--lr", "0.1", "--batch-size", "8"), 2);
    }

    @Test
    void formats() {
        CliRunner.Result brief = cli.run("formats");
        assertEquals(0, brief.code(), brief.toString());
        assertTrue(brief.out().contains("x < 88.72284"), brief.out()); // fp32's overflow bound, 7 digits
        assertTrue(brief.out().contains("--precise"), brief.out());
        assertTrue(brief.out().lines().allMatch(l -> l.length() <= 100), brief.out());
        CliRunner.Result r = cli.run("formats", "--precise");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("largest fp32: 88.72283172607421875"), r.out());
        assertTrue(r.out().contains("largest fp16: 11.0859375"), r.out());
        assertTrue(r.out().contains("int8"), r.out());
    }

    @Test
    void defaultOutputDirectoryIsUnderRuns() throws IOException {
        CliRunner.Result r = cli.run("train", "--epochs", "1", "-q");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("outputs: runs/train-"), r.out());
        // eval without a model picks the newest run
        CliRunner.Result e = cli.run("eval");
        assertEquals(0, e.code(), e.toString());
        assertTrue(e.out().startsWith("model: runs/train-"), e.out());
    }
}
