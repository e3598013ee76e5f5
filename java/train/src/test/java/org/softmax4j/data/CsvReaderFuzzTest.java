package org.softmax4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;

/**
 * The CSV reader on any bytes (FUZZING.md). The first byte picks the options (missing-value
 * policy, header, delimiter, label column, a dropped column), the rest is the file. It must give a
 * consistent data set or a {@link DataException} naming the file; anything else is a finding.
 * For files a naive reader understands too (printable ASCII, no quotes, no CR, no header, the
 * default label, missing values an error) the values and labels must be what that reader sees:
 * one record per non-empty line, fields split at the delimiter, the last one the label.
 */
class CsvReaderFuzzTest {
    private static final Path DIR = FuzzDir.create("s4j-csv-fuzz");
    private static final char[] DELIMITERS = {0, ',', ';', '\t'};

    @AfterAll
    static void removeFiles() throws IOException {
        FuzzDir.delete(DIR);
    }

    @FuzzTest(maxDuration = "30s")
    void readAnyBytes(byte[] input) throws IOException {
        if (input.length == 0) return;
        int options = input[0] & 0xff;
        byte[] content = Arrays.copyOfRange(input, 1, input.length);
        Path p = DIR.resolve("input.csv");
        FuzzDir.put(p, content);
        Missing missing = Missing.values()[(options & 3) % 3];
        Boolean header = switch ((options >> 2) & 3) {
            case 1 -> true;
            case 2 -> false;
            default -> null;
        };
        char delimiter = DELIMITERS[(options >> 4) & 3];
        boolean labelFirst = (options & 0x40) != 0, dropFirst = (options & 0x80) != 0;
        Table t = Table.csv(p).cacheDir(DIR.resolve("cache")).missing(missing);
        if (header != null) t.header(header);
        if (delimiter != 0) t.delimiter(delimiter);
        if (labelFirst) t.label("0");
        if (dropFirst) t.drop("1");
        Dataset d;
        try {
            d = t.read();
        } catch (DataException e) {
            FuzzDir.assertNamesTheFile(e, p);
            return;
        }
        FuzzDir.assertConsistent(d, false);
        assertTrue(d.classes() >= 2, d.toString());
        if (missing == Missing.ERROR
                && header == null
                && !labelFirst
                && !dropFirst
                && d.featureNames().isEmpty()) {
            naive(content, delimiter != 0 ? delimiter : CsvReader.detectDelimiter(p), d);
        }
    }

    /** Compares d with a line-by-line split of plain files (see the class comment). */
    private static void naive(byte[] content, char delimiter, Dataset d) {
        for (byte b : content) {
            if (b != '\n' && b != '\t' && (b < 0x20 || b > 0x7e || b == '"')) return;
        }
        List<String[]> records = new ArrayList<>();
        for (String line : new String(content, StandardCharsets.US_ASCII).split("\n")) {
            if (!line.isEmpty()) records.add(line.split(java.util.regex.Pattern.quote(String.valueOf(delimiter)), -1));
        }
        assertEquals(records.size(), d.size(), "records");
        for (int i = 0; i < records.size(); i++) {
            String[] f = records.get(i);
            assertEquals(d.features() + 1, f.length, "fields of record " + i);
            for (int j = 0; j < d.features(); j++) {
                String cell = f[j].strip();
                assertEquals(
                        Float.parseFloat(cell), d.value(i, j), "record " + i + ", field " + j + ": '" + cell + "'");
            }
            assertEquals(f[f.length - 1].strip(), d.classNames().get(d.label(i)), "label of record " + i);
        }
    }
}
