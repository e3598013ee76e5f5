package org.softmax4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parallel byte parser for files without quotes ({@link CsvBlocks}) against
 * the FastCSV path on random files, valid and broken, small and spanning many
 * blocks: the same rows, labels and names, or the same error message.
 */
class CsvBlocksTest {
    @TempDir
    Path dir;

    private int caches;

    @Test
    void randomFilesReadAsThroughFastCsv() throws IOException {
        long seed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int round = 0; round < 40; round++) {
            int rows = round % 10 == 9 ? 60_000 + rnd.nextInt(40_000) : 1 + rnd.nextInt(50);
            Path p = write(rnd, "r" + round + ".csv", rows, rnd.nextInt(4) == 0 ? Fault.random(rnd) : Fault.NONE, true);
            Missing missing = rnd.nextBoolean() ? Missing.ZERO : Missing.MEAN;
            compare(() -> Table.csv(p).missing(missing), "seed " + seed + ", round " + round + ", " + p);
        }
    }

    @Test
    void errorsNameTheSameLineAcrossBlocks() throws IOException {
        long seed = System.nanoTime();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (Fault f : Fault.values()) {
            if (f == Fault.NONE) continue;
            Path p = write(rnd, f + ".csv", 400_000, f, false); // 3 to 20 MB: the fault lands beyond the first block
            compare(() -> Table.csv(p), "seed " + seed + ", " + f);
        }
    }

    enum Fault {
        NONE,
        WORD,
        RAGGED,
        EMPTY_LABEL,
        INFINITE,
        MISSING;

        static Fault random(SplittableRandom rnd) {
            return values()[1 + rnd.nextInt(values().length - 1)];
        }
    }

    /**
     * A random numeric CSV: BOM or not, header or not, LF / CRLF / CR, blank lines, spaces, string labels,
     * and where {@code na}, missing values.
     */
    private Path write(SplittableRandom rnd, String name, int rows, Fault fault, boolean na) throws IOException {
        int cols = 1 + rnd.nextInt(6);
        boolean header = rnd.nextBoolean();
        String[] ends = {"\n", "\r\n", "\r"};
        String eol = ends[rnd.nextInt(3)];
        StringBuilder sb = new StringBuilder(rows * cols * 6);
        if (rnd.nextInt(5) == 0) sb.append('\ufeff');
        if (header) {
            for (int j = 0; j < cols; j++) sb.append("f").append(j).append(',');
            sb.append("label").append(eol);
        }
        int faultRow = rows / 2 + rnd.nextInt(Math.max(1, rows / 2));
        for (int i = 0; i < rows; i++) {
            if (rnd.nextInt(50) == 0) sb.append(eol); // a blank line
            int fields = fault == Fault.RAGGED && i == faultRow ? cols - 1 : cols;
            for (int j = 0; j < fields; j++) {
                String cell = switch (rnd.nextInt(6)) {
                    case 0 -> Integer.toString(rnd.nextInt(256));
                    case 1 -> Integer.toString(rnd.nextInt(20_000_000) - 10_000_000);
                    case 2 -> Float.toString((float) rnd.nextGaussian());
                    case 3 -> String.format(java.util.Locale.ROOT, "%.3e", rnd.nextGaussian() * 1e5);
                    case 4 -> " " + rnd.nextInt(100) + "\t";
                    default -> na && rnd.nextInt(20) == 0 ? "NA" : "0.5";
                };
                if (i == faultRow && j == 0) {
                    cell = switch (fault) {
                        case WORD -> "abc";
                        case INFINITE -> "1e99";
                        case MISSING -> "?";
                        default -> cell;
                    };
                }
                sb.append(cell).append(',');
            }
            String label = fault == Fault.EMPTY_LABEL && i == faultRow ? " " : "c" + rnd.nextInt(5);
            sb.append(label).append(eol);
        }
        Path p = dir.resolve(name);
        Files.writeString(p, sb, StandardCharsets.UTF_8);
        return p;
    }

    /** Reads the file both ways, each with a fresh cache, and compares. */
    private void compare(Supplier<Table> table, String what) {
        Object fast = outcome(table.get().cacheDir(dir.resolve("cache" + caches++)));
        String old = System.getProperty(CsvReader.STREAMING_PROPERTY);
        System.setProperty(CsvReader.STREAMING_PROPERTY, "true");
        try {
            Object slow = outcome(table.get().cacheDir(dir.resolve("cache" + caches++)));
            assertEquals(slow, fast, what);
        } finally {
            if (old == null) System.clearProperty(CsvReader.STREAMING_PROPERTY);
            else System.setProperty(CsvReader.STREAMING_PROPERTY, old);
        }
    }

    /** What a read gives, comparable: the error message, or names, labels and every value's bits. */
    private static Object outcome(Table t) {
        Dataset d;
        try {
            d = t.read();
        } catch (DataException e) {
            return "error: " + e.getMessage();
        }
        List<Object> o = new ArrayList<>();
        o.add(d.featureNames());
        o.add(d.classNames());
        o.add(CsvReaderTest.labels(d));
        for (float[] row : CsvReaderTest.rows(d)) {
            int[] bits = new int[row.length];
            for (int j = 0; j < row.length; j++) bits[j] = Float.floatToRawIntBits(row[j]);
            o.add(java.util.Arrays.toString(bits));
        }
        return o;
    }

    @Test
    void aQuoteAnywhereTakesTheFastCsvPath() throws IOException {
        Path p = dir.resolve("q.csv");
        Files.writeString(p, "a,label\n1,x\n2,\"y\"\n");
        assertEquals(false, CsvBlocks.applies(p, ','));
        Files.writeString(p, "a,label\n1,x\n2,y\n");
        assertEquals(true, CsvBlocks.applies(p, ','));
        assertThrows(
                DataException.class, () -> Table.csv(dir.resolve("none.csv")).read());
    }
}
