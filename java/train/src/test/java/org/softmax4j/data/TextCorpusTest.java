package org.softmax4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tokenizing, hashing and weighting of {@link TextFeatures}; the file formats and errors of {@link TextCorpus}. */
class TextCorpusTest {
    @TempDir
    Path dir;

    private static final TextFeatures WORDS = new TextFeatures(16, 1, null, false);

    private static TextFeatures.Row row(TextFeatures f, String text) {
        TextFeatures.Row r = new TextFeatures.Row();
        f.featurize(text, r, false);
        return r;
    }

    @Test
    void wordsAreLowerCasedUnicodeRunsAndCounted() {
        TextFeatures.Row a = row(WORDS, "Über-fast, ÜBER fast! naïve l'été 42");
        TextFeatures.Row b = row(WORDS, "über fast über FAST naïve l'été 42");
        assertEquals(a.size(), b.size());
        for (int k = 0; k < a.size(); k++) {
            assertEquals(a.columns()[k], b.columns()[k]);
            assertEquals(a.values()[k], b.values()[k]);
        }
        // "über" and "fast" twice, "naïve", "l'été", "42" once: five distinct words
        assertEquals(5, a.size());
        float sum = 0;
        for (int k = 0; k < a.size(); k++) sum += a.values()[k];
        assertEquals(7f, sum);
        for (int k = 1; k < a.size(); k++) assertTrue(a.columns()[k] > a.columns()[k - 1], "sorted, distinct");
        assertEquals(0, row(WORDS, "  ,;!? ").size(), "no words: an empty row");
    }

    @Test
    void bigramsAddOrderedPairsAndNormalisationGivesUnitRows() {
        TextFeatures bi = new TextFeatures(20, 2, null, true);
        TextFeatures.Row ab = row(bi, "alpha beta"), ba = row(bi, "beta alpha");
        assertEquals(3, ab.size(), "two words and one pair");
        assertNotEquals(
                java.util.Arrays.toString(java.util.Arrays.copyOf(ab.columns(), 3)),
                java.util.Arrays.toString(java.util.Arrays.copyOf(ba.columns(), 3)),
                "pairs are ordered");
        double norm = 0;
        for (int k = 0; k < ab.size(); k++) norm += ab.values()[k] * ab.values()[k];
        assertEquals(1.0, norm, 1e-6);
    }

    /** The hash is part of the model format: a model saved today must featurize the same tomorrow. */
    @Test
    void hashSchemeOneIsStable() {
        TextFeatures.Row r = row(new TextFeatures(20, 2, null, false), "hello world");
        int[] cols = java.util.Arrays.copyOf(r.columns(), r.size());
        assertArrayEquals(new int[] {HELLO_WORLD[0], HELLO_WORLD[1], HELLO_WORLD[2]}, cols);
    }

    // computed once with scheme 1 (FNV-1a over UTF-16, murmur3 finalizer, top 20 bits)
    private static final int[] HELLO_WORLD = {547901, 713696, 957526};

    @Test
    void idfFollowsTheSmoothFormulaAndSurvivesTheModelFile() throws IOException {
        Path f = dir.resolve("t.tsv");
        Files.writeString(f, "a\tcommon rare\nb\tcommon\nb\tcommon other\n");
        TextCorpus.Fitted fit = TextCorpus.fit(f, new TextCorpus.Layout.Columns(0, 1, '\t', false), WORDS, true);
        TextFeatures t = fit.features();
        int common = row(WORDS, "common").columns()[0],
                rare = row(WORDS, "rare").columns()[0];
        assertEquals(Math.log(4.0 / 4.0) + 1, t.idf()[common], 1e-6);
        assertEquals(Math.log(4.0 / 2.0) + 1, t.idf()[rare], 1e-6);
        assertEquals(List.of("a", "b"), fit.data().classNames());
        assertArrayEquals(new int[] {0, 1, 1}, fit.data().labels());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        t.write(new DataOutputStream(bytes));
        assertEquals(t, TextFeatures.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))));
        byte[] bad = bytes.toByteArray();
        bad[0] = 9; // unknown scheme
        var e = assertThrows(
                IOException.class, () -> TextFeatures.read(new DataInputStream(new ByteArrayInputStream(bad))));
        assertTrue(e.getMessage().contains("scheme 9"), e.getMessage());
    }

    @Test
    void fastTextFormatIsDetectedAndRead() throws IOException {
        Path f = dir.resolve("t.ft");
        Files.writeString(f, "__label__games a strategy game\n\n__label__net  a web server\n__label__games\n");
        assertTrue(TextCorpus.detect(f, null) instanceof TextCorpus.Layout.FastText);
        SparseDataset c = TextCorpus.read(f, new TextCorpus.Layout.FastText(), WORDS, null, true);
        assertEquals(3, c.size(), "blank lines skipped; an empty text is a row");
        assertEquals(List.of("games", "net"), c.classNames());
        assertEquals(0, c.rows().end(2) - c.rows().start(2));
        Path two = dir.resolve("two.ft");
        Files.writeString(two, "__label__a x\n__label__a __label__b y\n");
        var e = assertThrows(
                DataException.class, () -> TextCorpus.read(two, new TextCorpus.Layout.FastText(), WORDS, null, true));
        assertEquals(two + ":2: more than one __label__: one class per line", e.getMessage());
    }

    @Test
    void badLinesNameTheFileAndLine() throws IOException {
        var cols = new TextCorpus.Layout.Columns(0, 1, '\t', false);
        Path few = dir.resolve("few.tsv");
        Files.writeString(few, "a\tok\nonly-one-field\n");
        var e = assertThrows(DataException.class, () -> TextCorpus.read(few, cols, WORDS, null, true));
        assertEquals(few + ":2: 1 fields, the text column is 1 (0-based)", e.getMessage());

        Path latin1 = dir.resolve("latin1.tsv");
        Files.write(latin1, "a\tok\nb\tcaf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        e = assertThrows(DataException.class, () -> TextCorpus.read(latin1, cols, WORDS, null, true));
        assertTrue(e.getMessage().startsWith(latin1 + ":2: not UTF-8 text"), e.getMessage());

        Path unknown = dir.resolve("unknown.tsv");
        Files.writeString(unknown, "a\tx\nz\ty\n");
        e = assertThrows(DataException.class, () -> TextCorpus.read(unknown, cols, WORDS, List.of("a", "b"), true));
        assertEquals(unknown + ":2: label 'z' is not one of the model's 2 classes", e.getMessage());

        Path nolabel = dir.resolve("nolabel.tsv");
        Files.writeString(nolabel, "a\tx\n\ty\n");
        e = assertThrows(DataException.class, () -> TextCorpus.read(nolabel, cols, WORDS, null, true));
        assertEquals(nolabel + ":2: no label", e.getMessage());

        Path empty = dir.resolve("empty.tsv");
        Files.writeString(empty, "\n \n");
        e = assertThrows(DataException.class, () -> TextCorpus.read(empty, cols, WORDS, null, true));
        assertEquals(empty + ": no documents in the file", e.getMessage());

        e = assertThrows(
                DataException.class, () -> TextCorpus.read(dir.resolve("missing.tsv"), cols, WORDS, null, true));
        assertEquals(dir.resolve("missing.tsv") + ": file not found", e.getMessage());
    }

    @Test
    void headerIsSkippedAndTheLastTextColumnKeepsItsTabs() throws IOException {
        Path f = dir.resolve("h.tsv");
        Files.writeString(f, "label\ttext\nx\tone\ttwo\n");
        TextCorpus.Lines lines = TextCorpus.lines(f, new TextCorpus.Layout.Columns(0, 1, '\t', true), null);
        assertEquals(List.of("one\ttwo"), lines.texts());
        assertTrue(lines.labelled());
        TextCorpus.Lines bare = TextCorpus.lines(f, new TextCorpus.Layout.Columns(-1, 0, '\t', false), List.of("x"));
        assertFalse(bare.labelled());
        assertEquals(2, bare.texts().size());
    }

    @Test
    void libsvmStaysSparse() throws IOException {
        Path f = dir.resolve("big.svm");
        Files.writeString(f, "b 3:1.5 1000000:2\na 7:-1\nb\n");
        SparseDataset d = SparseDataset.libsvm(f, 0, null);
        assertEquals(1_000_000, d.rows().columns());
        assertEquals(3, d.size());
        assertEquals(List.of("a", "b"), d.classNames());
        assertArrayEquals(new int[] {1, 0, 1}, d.labels());
        assertEquals(2, d.rows().column(0));
        assertEquals(999_999, d.rows().column(1));
        assertEquals(2f, d.rows().value(1));
        assertEquals(0, d.rows().end(2) - d.rows().start(2), "a line without features is an empty row");
        var e = assertThrows(DataException.class, () -> SparseDataset.libsvm(f, 100, null));
        assertEquals(f + ": feature index 1000000 is beyond the 100 features expected", e.getMessage());
        e = assertThrows(DataException.class, () -> SparseDataset.libsvm(f, 0, List.of("a")));
        assertEquals(f + ":1: label 'b' is not one of the model's 1 classes", e.getMessage());
    }

    @Test
    void sparseRowsRejectBadRows() {
        SparseRows r = new SparseRows(10);
        var e = assertThrows(IllegalArgumentException.class, () -> r.add(new int[] {3, 3}, new float[] {1, 1}, 2));
        assertEquals("row 0: columns must be strictly increasing: 3 follows 3", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> r.add(new int[] {10}, new float[] {1}, 1));
        assertEquals("row 0: column 10 is outside [0, 10)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> r.add(new int[] {1}, new float[] {Float.NaN}, 1));
        assertEquals("row 0: the value of column 1 is NaN", e.getMessage());
        r.add(new int[0], new float[0], 0);
        assertEquals(1, r.rows());
    }
}
