package org.softmax4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.softmax4j.data.CsvReaderTest.assertRows;
import static org.softmax4j.data.CsvReaderTest.labels;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link LibsvmReader} through {@link Table#libsvm}: densified rows, classes, and every error's message. */
class LibsvmReaderTest {
    @TempDir
    Path dir;

    private Path file(String content) throws IOException {
        Path p = dir.resolve("d.svm");
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    private Table svm(Path p) {
        return Table.libsvm(p).cacheDir(dir.resolve("cache"));
    }

    private String error(Path p) {
        return assertThrows(DataException.class, () -> svm(p).read()).getMessage();
    }

    @Test
    void oneBasedIndexesAndAbsentFeaturesAreZero() throws IOException {
        Dataset d = svm(file("1 1:0.5 3:2\n-1 2:1.5\n1 4:-7e-1\n")).read();
        assertEquals(4, d.features(), "the largest index");
        assertEquals(List.of(), d.featureNames());
        assertRows(new float[][] {{0.5f, 0, 2, 0}, {0, 1.5f, 0, 0}, {0, 0, 0, -0.7f}}, d);
        assertEquals(List.of("-1", "1"), d.classNames());
        assertEquals(List.of("1", "-1", "1"), labels(d));
    }

    @Test
    void qidIsIgnoredAndCommentsAndBlankLinesAreSkipped() throws IOException {
        Dataset d = svm(file("# a comment line\n\n2 qid:7 1:1 2:2 # the rest is a comment 3:3\n"
                        + "   \n10 qid:8 2:4\n\t3 1:5\t2:6  \n"))
                .read();
        assertEquals(2, d.features());
        assertRows(new float[][] {{1, 2}, {0, 4}, {5, 6}}, d);
        assertEquals(List.of("2", "3", "10"), d.classNames(), "sorted as numbers");
        assertEquals(List.of("2", "10", "3"), labels(d));
    }

    @Test
    void stringLabels() throws IOException {
        Dataset d = svm(file("spam 1:1\nham 2:1\nspam 3:1\n")).read();
        assertEquals(List.of("ham", "spam"), d.classNames());
        assertEquals(List.of("spam", "ham", "spam"), labels(d));
    }

    @Test
    void randomSparseRowsDensifyToTheirValues() throws IOException {
        long seed = System.nanoTime();
        System.out.println("LibsvmReaderTest.randomSparseRowsDensifyToTheirValues seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 50, f = 30;
        float[][] dense = new float[n][f];
        StringBuilder text = new StringBuilder();
        String[] label = new String[n];
        int maxIndex = 0;
        for (int i = 0; i < n; i++) {
            label[i] = Integer.toString(i % 3);
            text.append(label[i]);
            for (int j = 0; j < f; j++) {
                if (rnd.nextInt(4) != 0) continue;
                float v = (float) (rnd.nextDouble() * 200 - 100);
                dense[i][j] = v;
                maxIndex = Math.max(maxIndex, j + 1);
                text.append(' ').append(j + 1).append(':').append(String.format(Locale.ROOT, "%s", v));
            }
            text.append('\n');
        }
        Dataset d = svm(file(text.toString())).read();
        assertEquals(maxIndex, d.features());
        float[][] expected = new float[n][];
        for (int i = 0; i < n; i++) expected[i] = java.util.Arrays.copyOf(dense[i], maxIndex);
        assertRows(expected, d);
        assertEquals(List.of(label), labels(d));
    }

    @Test
    void forAModelTheFeatureCountIsTheModels() throws IOException {
        Path p = file("1 2:1\n0 1:3\n");
        Dataset d = svm(p).readFor(List.of("0", "1"), List.of(), 4, true);
        assertRows(new float[][] {{0, 1, 0, 0}, {3, 0, 0, 0}}, d);
        String m = assertThrows(
                        DataException.class,
                        () -> svm(file("1 2:1\n0 5:3\n")).readFor(List.of("0", "1"), List.of(), 4, true))
                .getMessage();
        assertEquals(p + ": feature index 5 is beyond the 4 features expected", m);
        m = assertThrows(
                        DataException.class,
                        () -> svm(file("1 2:1\n7 1:3\n")).readFor(List.of("0", "1"), List.of(), 4, true))
                .getMessage();
        assertEquals(p + ":2: label '7' is not one of the model's 2 classes", m);
    }

    // ---- what is refused ------------------------------------------------------------------------

    @Test
    void indexZero() throws IOException {
        Path p = file("1 1:1\n1 0:2\n");
        assertEquals(p + ":2: '0:2': indexes start at 1", error(p));
    }

    @Test
    void aNegativeIndex() throws IOException {
        Path p = file("1 1:1\n\n0 -3:2\n");
        assertEquals(p + ":3: '-3:2': indexes start at 1", error(p));
    }

    @Test
    void anIndexThatIsNoNumber() throws IOException {
        Path p = file("1 x:1\n");
        assertEquals(p + ":1: 'x:1': the index is not a whole number", error(p));
        Path q = file("1 1.5:1\n");
        assertEquals(q + ":1: '1.5:1': the index is not a whole number", error(q));
    }

    @Test
    void aValueThatIsNoNumber() throws IOException {
        Path p = file("1 1:1\n1 1:2 2:abc\n");
        assertEquals(p + ":2: '2:abc': the value is not a number", error(p));
    }

    @Test
    void aValueBeyondFloat32() throws IOException {
        Path p = file("1 1:1e39\n0 1:1\n");
        assertEquals(p + ":1: '1:1e39': the value is not finite", error(p));
        Path q = file("1 1:NaN\n0 1:1\n");
        assertEquals(q + ":1: '1:NaN': the value is not finite", error(q));
    }

    @Test
    void notIndexColonValue() throws IOException {
        for (String bad : List.of("1:", ":1", "7", "abc")) {
            Path p = file("1 1:1\n0 " + bad + "\n");
            assertEquals(p + ":2: '" + bad + "' is not index:value", error(p), bad);
        }
    }

    @Test
    void aLineWithoutItsLabel() throws IOException {
        // the first index:value pair was taken for the label: the row lost a feature, the data set got a class per row
        Path p = file("1 1:1 2:2\n1:3 2:4\n0 2:1\n");
        assertEquals(p + ":2: '1:3' is no label (the line starts with index:value: is its label missing?)", error(p));
    }

    @Test
    void repeatedAndUnsortedIndexes() throws IOException {
        Path p = file("1 1:1 2:1 2:3\n");
        assertEquals(p + ":1: '2:3': index 2 repeats", error(p));
        Path q = file("0 1:1\n1 3:1 2:1\n");
        assertEquals(q + ":2: '2:1': index 2 comes after 3 (indexes must increase)", error(q));
    }

    @Test
    void emptyFiles() throws IOException {
        Path p = file("");
        assertEquals(p + ": empty file (no examples)", error(p));
        Path q = file("# only a comment\n\n");
        assertEquals(q + ": empty file (no examples)", error(q));
        Path r = file("1\n0\n");
        assertEquals(r + ": no feature index in the file", error(r));
    }

    @Test
    void aSingleClass() throws IOException {
        Path p = file("1 1:1\n1 2:1\n");
        assertEquals(p + ": a single class ('1'): a classifier needs at least two", error(p));
    }
}
