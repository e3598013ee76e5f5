package org.softmax4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.stream.Stream;

/** A fuzz target's scratch folder, and the checks every reader's outcome shares (FUZZING.md). */
final class FuzzDir {
    private FuzzDir() {}

    static Path create(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void delete(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /**
     * Writes {@code bytes} to {@code file} as a new file (written beside it, then renamed), so that
     * a mapping of the previous input stays valid: overwriting a mapped file in place would turn a
     * later read of the old mapping into a SIGBUS.
     */
    static void put(Path file, byte[] bytes) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".new");
        Files.write(tmp, bytes);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** A data set as a reader must return it: every label a class, every stored value finite unless NaN is allowed. */
    static void assertConsistent(Dataset d, boolean nanAllowed) {
        assertConsistent(d, nanAllowed, 1);
    }

    /** As {@link #assertConsistent(Dataset, boolean)}, with at least {@code minRows} rows. */
    static void assertConsistent(Dataset d, boolean nanAllowed, int minRows) {
        assertTrue(d.size() >= minRows, d.toString());
        assertTrue(d.features() >= 1, d.toString());
        assertTrue(d.classes() >= 1, d.toString());
        assertTrue(d.featureNames().isEmpty() || d.featureNames().size() == d.features(), d.toString());
        assertEquals(d.size(), d.sourceRows());
        for (int i = 0; i < d.size(); i++) {
            assertTrue(d.label(i) >= 0 && d.label(i) < d.classes(), "label of row " + i);
            for (int j = 0; j < d.features(); j++) {
                float v = d.value(i, j);
                assertTrue(
                        Float.isFinite(v) || (nanAllowed && Float.isNaN(v)), "row " + i + ", column " + j + ": " + v);
            }
        }
    }

    /** A DataException as the readers must throw it: naming the file first. */
    static void assertNamesTheFile(DataException e, Path file) {
        assertTrue(
                e.getMessage() != null && e.getMessage().startsWith(file.toString()),
                "the message names the file " + file + ": " + e.getMessage());
    }
}
