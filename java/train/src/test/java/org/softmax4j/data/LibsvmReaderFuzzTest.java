package org.softmax4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;

/**
 * The LIBSVM reader on any bytes (FUZZING.md): a consistent data set or a {@link DataException}
 * naming the file; anything else is a finding. What it accepts must be what a plain reading of
 * the format gives: per non-blank line (after a #), the label and index:value pairs, each row
 * zero but at its 1-based indexes, qid ignored, as wide as the largest index.
 */
class LibsvmReaderFuzzTest {
    private static final Path DIR = FuzzDir.create("s4j-svm-fuzz");

    @AfterAll
    static void removeFiles() throws IOException {
        FuzzDir.delete(DIR);
    }

    @FuzzTest(maxDuration = "30s")
    void readAnyBytes(byte[] input) throws IOException {
        Path p = DIR.resolve("input.svm");
        FuzzDir.put(p, input);
        Dataset d;
        try {
            d = Table.libsvm(p).cacheDir(DIR.resolve("cache")).read();
        } catch (DataException e) {
            FuzzDir.assertNamesTheFile(e, p);
            return;
        }
        FuzzDir.assertConsistent(d, false);
        assertTrue(d.classes() >= 2, d.toString());
        plain(new String(input, StandardCharsets.UTF_8), d);
    }

    /** The rows and labels of the text as the format describes it, compared with d. */
    private static void plain(String text, Dataset d) {
        List<String> labels = new ArrayList<>();
        List<float[]> rows = new ArrayList<>();
        int width = 0;
        for (String line : text.split("\r\n|\r|\n", -1)) {
            int hash = line.indexOf('#');
            String body = (hash >= 0 ? line.substring(0, hash) : line).strip();
            if (body.isEmpty()) continue;
            String[] tokens = body.split("\\s+");
            labels.add(tokens[0]);
            List<int[]> at = new ArrayList<>();
            List<Float> values = new ArrayList<>();
            for (int k = 1; k < tokens.length; k++) {
                int colon = tokens[k].indexOf(':');
                String key = tokens[k].substring(0, colon);
                if (key.equals("qid")) continue;
                int index = Integer.parseInt(key);
                at.add(new int[] {index});
                values.add(Float.parseFloat(tokens[k].substring(colon + 1)));
                width = Math.max(width, index);
            }
            float[] row = new float[at.size() == 0 ? 0 : at.get(at.size() - 1)[0]];
            for (int k = 0; k < at.size(); k++) row[at.get(k)[0] - 1] = values.get(k);
            rows.add(row);
        }
        assertEquals(width, d.features(), "the largest index");
        assertEquals(rows.size(), d.size(), "examples");
        for (int i = 0; i < rows.size(); i++) {
            float[] r = rows.get(i);
            for (int j = 0; j < width; j++) {
                assertEquals(j < r.length ? r[j] : 0f, d.value(i, j), "row " + i + ", feature " + (j + 1));
            }
            assertEquals(labels.get(i), d.classNames().get(d.label(i)), "label of row " + i);
        }
    }
}
