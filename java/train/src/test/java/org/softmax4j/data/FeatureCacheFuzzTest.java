package org.softmax4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;

/**
 * The feature cache on damaged bytes (FUZZING.md). A reference cache is built once from a small
 * CSV. An input with an odd first byte is a whole cache file (the magic starts with 'S', 0x53);
 * one with an even first byte is a list of damages to the reference file (3 bytes each: offset u16, xor mask; a remainder of one
 * or two bytes cuts the file there), so the mutations hit a real cache. Each input is:
 * <ol>
 *   <li>opened as it is: a {@link DataException} naming the file, or contents that are consistent,
 *       and, when they carry the reference's fingerprint, the reference's data (damage the
 *       checksums missed would be wrong data);
 *   <li>opened with both checksums recomputed, so that mutations reach the header and metadata
 *       checks: a DataException naming the file or consistent contents;
 *   <li>put in the reference cache's place and read through {@link Table}: always the source's
 *       data, reused or rebuilt.
 * </ol>
 * Any other throwable (OutOfMemoryError, IndexOutOfBoundsException, ...) is a finding.
 */
class FeatureCacheFuzzTest {
    private static final Path DIR = FuzzDir.create("s4j-cache-fuzz");
    private static final Path SOURCE = DIR.resolve("d.csv");
    private static final Path CACHE_DIR = DIR.resolve("cache");
    private static final Path CACHE;
    private static final byte[] GOOD;
    private static final String FINGERPRINT;
    private static final float[][] ROWS = {{1, 2, 0.5f}, {3, 4, -1}, {5, 6, 1e-3f}, {7, 8, 9}, {-2, 0, 3}};
    private static final String[] LABELS = {"x", "y", "x", "zz", "y"};

    /**
     * A damaged cache is logged as a warning and rebuilt: thousands of lines a second here. The
     * java.util.logging logger behind it, silenced (by reflection: this module does not read
     * java.logging) and held, since loggers are kept weakly and their level with them.
     */
    private static final Object QUIET = quiet();

    private static Object quiet() {
        try {
            Class<?> logger = Class.forName("java.util.logging.Logger"),
                    level = Class.forName("java.util.logging.Level");
            Object l = logger.getMethod("getLogger", String.class).invoke(null, "org.softmax4j");
            logger.getMethod("setLevel", level).invoke(l, level.getField("OFF").get(null));
            return l;
        } catch (ReflectiveOperationException e) {
            return null; // the warnings then go to stderr
        }
    }

    static {
        try {
            StringBuilder csv = new StringBuilder("a,b,c,label\n");
            for (int i = 0; i < ROWS.length; i++) {
                for (float v : ROWS[i]) csv.append(v).append(',');
                csv.append(LABELS[i]).append('\n');
            }
            Files.writeString(SOURCE, csv);
            table().read();
            try (var s = Files.list(CACHE_DIR)) {
                CACHE = s.filter(p -> p.toString().endsWith(".s4jcache"))
                        .findFirst()
                        .orElseThrow();
            }
            GOOD = Files.readAllBytes(CACHE);
            FINGERPRINT = FeatureCache.open(CACHE, "d.csv").fingerprint();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void removeFiles() throws IOException {
        FuzzDir.delete(DIR);
    }

    private static Table table() {
        return Table.csv(SOURCE).cacheDir(CACHE_DIR);
    }

    @FuzzTest(maxDuration = "30s")
    void readDamagedCaches(byte[] input) throws IOException {
        byte[] file = input.length > 0 && (input[0] & 1) == 0 ? damage(input) : input;
        Path p = DIR.resolve("input.s4jcache");
        FuzzDir.put(p, file);
        FeatureCache.Contents c = open(p);
        if (c != null && c.fingerprint().equals(FINGERPRINT)) assertReference(c.dataset());

        byte[] resealed = FeatureCacheTest.reseal(file.clone());
        FuzzDir.put(p, resealed);
        open(p);

        FuzzDir.put(CACHE, file);
        assertReference(table().read());
        if (!Arrays.equals(Files.readAllBytes(CACHE), GOOD)) {
            FuzzDir.put(CACHE, GOOD); // the next input starts from the real cache
        }
    }

    /** The reference file with input[1..]'s damages applied. */
    private static byte[] damage(byte[] input) {
        byte[] f = GOOD.clone();
        int k = 1;
        for (; k + 3 <= input.length; k += 3) {
            int at = ((input[k] & 0xff) | (input[k + 1] & 0xff) << 8) % f.length;
            f[at] ^= input[k + 2];
        }
        if (k < input.length) f = Arrays.copyOf(f, (input[k] & 0xff) % f.length);
        return f;
    }

    /** The contents, or null for a DataException naming the file; checks what it returns. */
    private static FeatureCache.Contents open(Path p) {
        FeatureCache.Contents c;
        try {
            c = FeatureCache.open(p, "fuzz");
        } catch (DataException e) {
            FuzzDir.assertNamesTheFile(e, p);
            return null;
        }
        FuzzDir.assertConsistent(c.dataset(), true, 0);
        return c;
    }

    private static void assertReference(Dataset d) {
        assertEquals(ROWS.length, d.size());
        for (int i = 0; i < ROWS.length; i++) {
            float[] row = new float[d.features()];
            for (int j = 0; j < row.length; j++) row[j] = d.value(i, j);
            assertArrayEquals(ROWS[i], row, "row " + i);
            assertEquals(LABELS[i], d.classNames().get(d.label(i)), "label " + i);
        }
        assertEquals(List.of("a", "b", "c"), d.featureNames());
        assertTrue(d.isLabelled());
    }
}
