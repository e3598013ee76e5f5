package org.softmax4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 16 in-process: train on a TSV or fastText file of raw text, predict raw text; the errors. */
class TextCliTest {
    @TempDir
    static Path work;

    private static CliRunner cli;
    private static final String[][] TOPICS = {
        {"games", "strategy", "puzzle", "arcade", "tanks", "board"},
        {"net", "server", "proxy", "mail", "http", "dns"},
        {"python", "python", "bindings", "module", "parse", "pip"}
    };

    @BeforeAll
    static void data() throws IOException {
        cli = new CliRunner(
                work, Map.of("SOFTMAX4J_DATA", work.resolve("no-fashion-mnist").toString()));
        SplittableRandom rnd = new SplittableRandom(System.nanoTime());
        Files.writeString(work.resolve("train.tsv"), corpus(rnd, 300, false));
        Files.writeString(work.resolve("test.tsv"), corpus(rnd, 60, false));
        Files.writeString(work.resolve("train.ft"), corpus(rnd, 300, true));
    }

    /** Documents of three topics: one or more topic words among common ones. */
    private static String corpus(SplittableRandom rnd, int n, boolean fastText) {
        String[] common = {"a", "the", "for", "with", "tool", "data", "and", "of"};
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int k = rnd.nextInt(TOPICS.length);
            StringBuilder text = new StringBuilder();
            // One topic word at least, so the topics are separable (without it about 9% of documents
            // carry no topic word, and a 60-document test set can fall to 0.9 by chance).
            int forced = rnd.nextInt(6);
            for (int w = 0; w < 6; w++) {
                text.append(w == 0 ? "" : " ")
                        .append(
                                w == forced || rnd.nextInt(3) == 0
                                        ? TOPICS[k][1 + rnd.nextInt(5)].toUpperCase(java.util.Locale.ROOT)
                                        : common[rnd.nextInt(common.length)]);
            }
            b.append(fastText ? "__label__" + TOPICS[k][0] + " " + text : TOPICS[k][0] + "\t" + text)
                    .append('\n');
        }
        return b.toString();
    }

    @Test
    void trainOnTsvThenPredictRawText() throws IOException {
        var r = cli.run(
                "train",
                "--data",
                "train.tsv",
                "--text-column",
                "1",
                "--label",
                "0",
                "--test",
                "test.tsv",
                "--out",
                "tsv-run",
                "--epochs",
                "5");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("300 documents, 3 classes"), r.out());
        assertTrue(r.out().contains("text features: words + bigrams hashed into 2^20 buckets"), r.out());
        double acc = Double.parseDouble(r.out().replaceAll("(?s).*test accuracy: ([0-9.]+).*", "$1"));
        assertTrue(acc > 0.9, "separable topics: " + acc + "\n" + r.out());
        assertTrue(Files.isRegularFile(work.resolve("tsv-run/model.s4j")));
        assertTrue(Files.readString(work.resolve("tsv-run/metrics.json")).contains("\"text_features\""));

        var p = cli.run("predict", "tsv-run/model.s4j", "--text", "an http proxy server", "--text", "Strategy TANKS");
        assertEquals(0, p.code(), p.toString());
        String[] lines = p.out().split("\n");
        assertTrue(lines[2].contains("net "), p.out());
        assertTrue(lines[3].contains("games "), p.out());

        var d = cli.run(
                "predict", "tsv-run/model.s4j", "--data", "test.tsv", "--text-column", "1", "--output", "pred.csv");
        assertEquals(0, d.code(), d.toString());
        assertTrue(d.out().contains("accuracy on test.tsv: "), d.out());
        assertEquals(61, Files.readAllLines(work.resolve("pred.csv")).size());

        var e = cli.run("eval", "tsv-run/model.s4j", "--data", "test.tsv", "--out", "tsv-eval");
        assertEquals(0, e.code(), e.toString());
        assertTrue(e.out().contains("test.tsv accuracy: "), e.out());
        assertTrue(Files.isRegularFile(work.resolve("tsv-eval/confusion.csv")));
        var noData = cli.run("eval", "tsv-run/model.s4j");
        assertEquals(2, noData.code(), noData.toString());
        assertTrue(noData.err().contains("is judged on --data FILE"), noData.err());
    }

    @Test
    void fastTextFilesNeedNoColumns() {
        var r = cli.run("train", "--data", "train.ft", "--out", "ft-run", "--epochs", "3", "--tfidf", "-q");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("test accuracy: "), r.out());
    }

    /** A LIBSVM file of more than 65,536 features trains and predicts sparse (never densified). */
    @Test
    void wideLibsvmStaysSparse() throws IOException {
        SplittableRandom rnd = new SplittableRandom(System.nanoTime());
        StringBuilder svm = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            int k = rnd.nextInt(3);
            svm.append(TOPICS[k][0]);
            // each class owns a block of 1,000 of the 500,000 features
            java.util.TreeSet<Integer> idx = new java.util.TreeSet<>();
            while (idx.size() < 5) idx.add(1 + k * 100_000 + rnd.nextInt(1000));
            for (int j : idx) svm.append(' ').append(j).append(":1");
            svm.append(" 500000:0.5\n");
        }
        Files.writeString(work.resolve("wide.svm"), svm);
        var r = cli.run("train", "--data", "wide.svm", "--out", "wide-run", "--epochs", "4");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("of 500,000; "), r.out());
        assertTrue(r.out().contains("sparse rows: more than 65,536 features are not densified"), r.out());
        var p = cli.run("predict", "wide-run/model.s4j", "--data", "wide.svm", "--count", "3");
        assertEquals(0, p.code(), p.toString());
        assertTrue(p.out().contains("accuracy on wide.svm: "), p.out());
    }

    @Test
    void badTextInputIsAClearError() throws IOException {
        Files.write(
                work.resolve("latin1.tsv"), "games\tok\nnet\tcaf\u00e9 server\n".getBytes(StandardCharsets.ISO_8859_1));
        var r = cli.run("train", "--data", "latin1.tsv", "--text-column", "1", "--out", "bad1");
        assertEquals(2, r.code(), r.toString());
        assertTrue(r.err().contains("latin1.tsv:2: not UTF-8 text"), r.err());
        assertFalse(Files.exists(work.resolve("bad1/model.s4j")));

        r = cli.run("train", "--data", "train.tsv", "--out", "bad2");
        assertTrue(r.err().contains("train on it with --text-column N"), r.err());
        r = cli.run(
                "train",
                "--data",
                "train.tsv",
                "--text-column",
                "1",
                "--momentum",
                "0.9",
                "--weight-decay",
                "1e-4",
                "--out",
                "bad3");
        assertTrue(r.err().contains("take one or the other"), r.err());
        r = cli.run("train", "--data", "train.tsv", "--text-column", "1", "--hash-bits", "40", "--out", "bad4");
        assertTrue(r.err().contains("hash bits 40 is outside [10, 26]"), r.err());
        r = cli.run("train", "--data", "train.tsv", "--text-column", "5", "--out", "bad5");
        assertTrue(r.err().contains("train.tsv:1: 2 fields, the text column is 5 (0-based)"), r.err());
        r = cli.run("predict", "missing.s4j", "--text", "x");
        assertTrue(r.err().contains("missing.s4j"), r.err());
    }
}
