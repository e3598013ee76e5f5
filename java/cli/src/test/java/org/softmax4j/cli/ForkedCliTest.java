package org.softmax4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.softmax4j.train.Checkpoint;

/**
 * The CLI as a process of its own where it matters. Training is never lost:
 * Ctrl-C or SIGTERM saves a resumable model and prints the command that
 * continues it (a real `softmax4j train` that the test signals); outputs are
 * checked before the first epoch; a run directory is not overwritten by
 * accident. Settings the native library refuses (read once per process) are
 * usage errors.
 */
class ForkedCliTest {
    @TempDir
    static Path work;

    private static CliRunner cli;
    private static Path data;

    @BeforeAll
    static void fakeData() throws IOException {
        data = FakeFashionMnist.write(work.resolve("fake-data"), 2000, 300);
        cli = new CliRunner(work, Map.of("SOFTMAX4J_DATA", data.toString()));
    }

    /** The command line of a forked CLI, with SIGINT at its default (see below). */
    private static ProcessBuilder cli(Map<String, String> env, String... args) {
        // env --default-signal: a JVM started from a background job inherits SIGINT ignored, and
        // keeps it so (as it should under nohup); the tests want the terminal's Ctrl-C
        List<String> cmd = new ArrayList<>(List.of(
                "env",
                "--default-signal=INT",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow"));
        String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (cache != null) cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("S4J_"));
        pb.environment().put("SOFTMAX4J_DATA", data.toString());
        pb.environment().putAll(env);
        return pb;
    }

    @ParameterizedTest
    @ValueSource(strings = {"INT", "TERM"})
    void aSignalSavesAResumableModel(String signal) throws Exception {
        Path out = work.resolve("signalled-" + signal);
        ProcessBuilder pb = cli(
                        Map.of(), "train", "--epochs", "100000000", "--batch-size", "16", "--out", out.toString())
                .redirectErrorStream(true);
        Process p = pb.start();
        Thread watchdog = Thread.ofVirtual()
                .start(
                        () -> { // a signal that is not handled must not hang the test
                            try {
                                if (!p.waitFor(120, TimeUnit.SECONDS)) p.destroyForcibly();
                            } catch (InterruptedException e) {
                                p.destroyForcibly();
                            }
                        });
        StringBuilder output = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            boolean sent = false;
            while ((line = r.readLine()) != null) {
                output.append(line).append('\n');
                if (!sent && line.matches("epoch +3/.*")) { // mid-run, most likely mid-epoch too
                    new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid()))
                            .start()
                            .waitFor();
                    sent = true;
                }
            }
        } finally {
            p.waitFor(120, TimeUnit.SECONDS);
            watchdog.interrupt();
        }
        String text = output.toString();
        assertEquals(signal.equals("INT") ? 130 : 143, p.exitValue(), text);
        assertTrue(text.contains("SIG" + signal + ": stopping after this step"), text);
        assertTrue(text.contains("SIG" + signal + ": stopped after "), text);
        assertTrue(text.contains("continue with: softmax4j train --resume " + out.resolve("model.s4j")), text);
        Checkpoint saved = Checkpoint.load(out.resolve("model.s4j"));
        assertTrue(saved.resumable());
        assertTrue(saved.state().epochsDone() >= 3, text);
        assertTrue(Files.exists(out.resolve("metrics.csv")) && Files.exists(out.resolve("curves.svg")));

        // continue in the same directory (allowed: it is that run) up to a few more epochs
        int target = saved.state().epochsDone() + 2;
        CliRunner.Result more = cli.run(
                "train",
                "--resume",
                out.resolve("model.s4j").toString(),
                "--epochs",
                Integer.toString(target),
                "--out",
                out.toString(),
                "-q");
        assertEquals(0, more.code(), more.toString());
        assertEquals(target, Checkpoint.load(out.resolve("model.s4j")).state().epochsDone());
        try (var files = Files.list(out)) {
            assertFalse(files.anyMatch(f -> f.getFileName().toString().endsWith(".tmp")), "temporary files left");
        }
    }

    @Test
    void refusedSettingsAreUsageErrors() throws Exception {
        for (var c : List.of(
                List.of("S4J_ISA", "bogus", "S4J_ISA=bogus is not scalar, avx2 or avx512; ignored, so: "),
                List.of("S4J_NUM_THREADS", "0", "S4J_NUM_THREADS=0 is not a whole number in [1, 1024]"))) {
            Process p = cli(
                            Map.of(c.get(0), c.get(1)),
                            "train",
                            "--epochs",
                            "1",
                            "--out",
                            work.resolve("refused").toString())
                    .start();
            p.getOutputStream().close();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue(), err);
            assertTrue(err.startsWith("softmax4j train: " + c.get(2)), err);
            assertEquals(1, err.lines().count(), err);
        }
    }

    @Test
    void unwritableOutputFailsBeforeTraining() throws IOException {
        Path file = work.resolve("a-file");
        Files.writeString(file, "x");
        CliRunner.Result r = cli.run("train", "--epochs", "1", "--out", "a-file/run");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("cannot create the output directory"), r.toString());
        assertFalse(r.out().contains("epoch 1/"), "no training before the check: " + r);
    }

    @Test
    void anExistingRunIsNotOverwritten() {
        assertEquals(
                0, cli.run("train", "--epochs", "1", "--out", "taken", "-q").code());
        CliRunner.Result again = cli.run("train", "--epochs", "1", "--out", "taken", "-q");
        assertEquals(2, again.code(), again.toString());
        assertEquals(
                "softmax4j train: taken already holds a run (model.s4j); pass --overwrite to replace it, "
                        + "or choose another --out\n",
                again.err());
        assertEquals(
                0,
                cli.run("train", "--epochs", "1", "--out", "taken", "--overwrite", "-q")
                        .code());
    }
}
