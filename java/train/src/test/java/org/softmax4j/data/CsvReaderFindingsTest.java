package org.softmax4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.softmax4j.data.CsvReaderTest.assertRows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link CsvReaderFuzzTest} found, minimized (FUZZING.md). */
class CsvReaderFindingsTest {
    @TempDir
    Path dir;

    private Dataset read(Path p) {
        return Table.csv(p).cacheDir(dir.resolve("cache")).read();
    }

    /**
     * The fuzzer's input 00 '1,2,0\n3,4,,2,5,6,0\n' (ragged: an error) read as the 3 rows of the
     * input before it: the target writes each input to the same path, two inputs of one size
     * within one tick of the file clock (milliseconds) have the same size and time, and the
     * cache's fingerprint (path, size, time) took the old cache for the new file. Now a cache
     * written within 2 s of its source's change is rebuilt, and the fingerprint holds the file's
     * identity (inode), which a file written and renamed into place changes.
     */
    @Test
    void aSourceRewrittenWithinTheTickOfItsTimeIsReadAgain() throws Exception {
        Path p = dir.resolve("input.csv");
        Files.writeString(p, "1,2,0\n3,4,1\n5,6,0\n");
        FileTime t = Files.getLastModifiedTime(p);
        assertRows(new float[][] {{1, 2}, {3, 4}, {5, 6}}, read(p));
        Files.writeString(p, "7,8,0\n3,4,1\n5,6,1\n"); // the same size
        Files.setLastModifiedTime(p, t); // within the same tick
        Dataset d = read(p);
        assertRows(new float[][] {{7, 8}, {3, 4}, {5, 6}}, d);
        assertEquals(List.of("0", "1", "1"), CsvReaderTest.labels(d));
    }

    @Test
    void aSourceReplacedByAFileOfTheSameSizeAndTimeIsReadAgain() throws Exception {
        Path p = dir.resolve("input.csv");
        Files.writeString(p, "1,2,0\n3,4,1\n");
        FileTime old = FileTime.fromMillis(System.currentTimeMillis() - 3_600_000);
        Files.setLastModifiedTime(p, old); // long before the cache: its time is trusted
        assertRows(new float[][] {{1, 2}, {3, 4}}, read(p));
        Path tmp = dir.resolve("new.csv");
        Files.writeString(tmp, "9,9,0\n3,4,1\n");
        Files.setLastModifiedTime(tmp, old); // e.g. cp -p, rsync -t, an unpacked archive
        Files.move(tmp, p, StandardCopyOption.REPLACE_EXISTING);
        assertRows(new float[][] {{9, 9}, {3, 4}}, read(p));
    }
}
