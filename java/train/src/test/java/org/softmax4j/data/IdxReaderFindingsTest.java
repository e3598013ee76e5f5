package org.softmax4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What {@link IdxReaderFuzzTest} found in the IDX reader, minimized (FUZZING.md). */
class IdxReaderFindingsTest {
    @TempDir
    Path dir;

    /** Bytes this thread has allocated (by reflection: this module does not read java.management). */
    private static long allocatedBytes() throws ReflectiveOperationException {
        Object bean = Class.forName("java.lang.management.ManagementFactory")
                .getMethod("getThreadMXBean")
                .invoke(null);
        return (long) Class.forName("com.sun.management.ThreadMXBean")
                .getMethod("getCurrentThreadAllocatedBytes")
                .invoke(bean);
    }

    /**
     * An 8-byte file whose header announces 2^31 - 17 labels (00000801 7fffffef) made the
     * reader allocate the announced 2 GiB before it found the file short: an
     * OutOfMemoryError under a smaller heap. It reads what is there, then says truncated.
     */
    @ParameterizedTest(name = "gzip={0}")
    @ValueSource(booleans = {false, true})
    void aHugeDeclaredSizeCostsOnlyTheFile(boolean gzip) throws Exception {
        byte[] raw = HexFormat.of().parseHex("000008017fffffef");
        Path p = dir.resolve("huge");
        Files.write(p, gzip ? IdxReaderFuzzTest.gzip(raw) : raw);
        long before = allocatedBytes();
        String m = assertThrows(DataException.class, () -> IdxReader.read(p, 1)).getMessage();
        long allocated = allocatedBytes() - before;
        assertEquals(p + ": truncated: dimensions [2147483631] need 2147483631 bytes of data, the file has 0", m);
        assertTrue(allocated < 16 << 20, allocated + " bytes allocated to read an 8-byte file");
    }
}
