package org.softmax4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The IDX reader on small files written here: valid ones and every kind of broken one. */
class IdxReaderTest {
    @TempDir
    Path dir;

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    /** The raw bytes of an IDX file: magic, sizes, data. */
    private static byte[] idx(int type, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length);
        b.putInt((type << 8) | dims.length);
        for (int d : dims) b.putInt(d);
        b.put(data);
        return b.array();
    }

    private static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(raw);
        }
        return bytes.toByteArray();
    }

    private Path file(String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, content);
        return p;
    }

    private static String error(Runnable r) {
        return assertThrows(DataException.class, r::run).getMessage();
    }

    @ParameterizedTest(name = "gzip={0}")
    @ValueSource(booleans = {false, true})
    void readsImagesAndLabels(boolean gzip) throws IOException {
        byte[] pixels = random(5 * 4 * 3, 1);
        Path images = dir.resolve("img" + (gzip ? ".gz" : ""));
        IdxWriter.write(images, new int[] {5, 4, 3}, pixels, gzip);
        IdxFile f = IdxReader.readImages(images, 4, 3);
        assertArrayEquals(new int[] {5, 4, 3}, f.dimensions());
        assertEquals(5, f.count());
        assertEquals(12, f.itemSize());
        assertArrayEquals(pixels, f.data());

        byte[] labels = {0, 9, 3, 3, 7};
        Path lab = dir.resolve("lab" + (gzip ? ".gz" : ""));
        IdxWriter.write(lab, new int[] {5}, labels, gzip);
        assertArrayEquals(labels, IdxReader.readLabels(lab, 10).data());
    }

    @Test
    void gzipIsDetectedByContentNotName() throws IOException {
        byte[] raw = idx(8, new int[] {2}, new byte[] {1, 2});
        assertArrayEquals(
                new byte[] {1, 2}, IdxReader.read(file("plain.gz", raw), 1).data());
        assertArrayEquals(
                new byte[] {1, 2}, IdxReader.read(file("packed", gzip(raw)), 1).data());
    }

    @Test
    void badMagic() throws IOException {
        Path p = file("bad", new byte[] {0x12, 0x34, 0x08, 0x01, 0, 0, 0, 1, 5});
        String m = error(() -> IdxReader.read(p, 1));
        assertTrue(m.startsWith(p.toString()), m);
        assertTrue(m.contains("bad magic number 0x12340801"), m);
        assertTrue(m.contains("expected 0x00000801"), m);
    }

    @Test
    void wrongElementType() throws IOException {
        Path p = file("floats", idx(0x0D, new int[] {1}, new byte[4]));
        String m = error(() -> IdxReader.read(p, 1));
        assertTrue(m.contains("element type 0xd") && m.contains("unsigned bytes"), m);
    }

    @Test
    void wrongNumberOfDimensions() throws IOException {
        Path p = file("labels-as-images", idx(8, new int[] {6}, new byte[6]));
        String m = error(() -> IdxReader.readImages(p, 2, 3));
        assertTrue(m.contains("1 dimensions, expected 3"), m);
    }

    @Test
    void wrongImageSize() throws IOException {
        Path p = file("small", idx(8, new int[] {2, 3, 3}, new byte[18]));
        String m = error(() -> IdxReader.readImages(p, 28, 28));
        assertTrue(m.contains("images are 3x3, expected 28x28"), m);
    }

    @Test
    void zeroOrNegativeDimension() throws IOException {
        Path p = file("zero", idx(8, new int[] {0, 28, 28}, new byte[0]));
        assertTrue(error(() -> IdxReader.read(p, 3)).contains("dimension 0 is 0"));
        Path q = file("negative", idx(8, new int[] {-1}, new byte[0]));
        assertTrue(error(() -> IdxReader.read(q, 1)).contains("dimension 0 is -1"));
    }

    @Test
    void hugeDimensions() throws IOException {
        Path p = file("huge", idx(8, new int[] {100000, 100000, 1}, new byte[0]));
        assertTrue(error(() -> IdxReader.read(p, 3)).contains("too large"));
    }

    @ParameterizedTest(name = "gzip={0}")
    @ValueSource(booleans = {false, true})
    void truncatedData(boolean gzip) throws IOException {
        byte[] raw = idx(8, new int[] {10, 2, 2}, random(40, 2));
        byte[] cut = Arrays.copyOf(raw, raw.length - 7);
        Path p = file("cut", gzip ? gzip(cut) : cut);
        String m = error(() -> IdxReader.read(p, 3));
        assertTrue(m.startsWith(p.toString()), m);
        assertTrue(m.contains("truncated") && m.contains("need 40 bytes") && m.contains("has 33"), m);
    }

    @Test
    void truncatedHeader() throws IOException {
        Path p = file("stub", new byte[] {0, 0, 8});
        assertTrue(error(() -> IdxReader.read(p, 1)).contains("too short for an IDX header"));
        Path q = file("stub2", new byte[] {0, 0, 8, 3, 0, 0, 0, 5});
        assertTrue(error(() -> IdxReader.read(q, 3)).contains("truncated in the header"));
    }

    @Test
    void truncatedGzipStream() throws IOException {
        byte[] gz = gzip(idx(8, new int[] {64, 8, 8}, random(64 * 64, 3)));
        Path p = file("cut.gz", Arrays.copyOf(gz, gz.length / 2));
        String m = error(() -> IdxReader.read(p, 3));
        assertTrue(m.startsWith(p.toString()), m);
        assertTrue(m.contains("truncated"), m);
    }

    @Test
    void corruptGzipData() throws IOException {
        byte[] gz = gzip(idx(8, new int[] {64, 8, 8}, random(64 * 64, 4)));
        gz[gz.length / 2] ^= 0x55;
        Path p = file("corrupt.gz", gz);
        String m = error(() -> IdxReader.read(p, 3));
        assertTrue(m.startsWith(p.toString()), m);
        assertTrue(m.contains("corrupt gzip") || m.contains("truncated"), m);
    }

    @Test
    void gzipChecksumMismatch() throws IOException {
        byte[] gz = gzip(idx(8, new int[] {4}, new byte[] {1, 2, 3, 4}));
        gz[gz.length - 8] ^= 1; // the CRC-32 of the trailer
        Path p = file("crc.gz", gz);
        String m = error(() -> IdxReader.read(p, 1));
        assertTrue(m.contains("corrupt gzip") && m.contains("trailer"), m);
    }

    /** GZIPInputStream stops silently at bytes after the gzip data; this reader does not. */
    @Test
    void garbageAfterTheGzipStream() throws IOException {
        byte[] gz = gzip(idx(8, new int[] {4}, new byte[] {1, 2, 3, 4}));
        for (byte[] tail : new byte[][] {{0}, {'x', 'y', 'z'}, {0x1f}, {0x1f, (byte) 0x8b, 8}}) {
            byte[] bad = Arrays.copyOf(gz, gz.length + tail.length);
            System.arraycopy(tail, 0, bad, gz.length, tail.length);
            Path p = file("tail.gz", bad);
            String m = error(() -> IdxReader.read(p, 1));
            assertTrue(
                    m.startsWith(p + ": corrupt gzip data (unexpected bytes after the gzip data, at byte " + gz.length
                            + ")"),
                    m);
        }
    }

    /** Concatenated gzip members (gzip -c a b > ab) are one stream, as gzip -d reads them. */
    @Test
    void concatenatedGzipMembers() throws IOException {
        byte[] raw = idx(8, new int[] {6}, new byte[] {1, 2, 3, 4, 5, 6});
        byte[] a = gzip(Arrays.copyOf(raw, 10)), b = gzip(Arrays.copyOfRange(raw, 10, raw.length));
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        assertArrayEquals(
                new byte[] {1, 2, 3, 4, 5, 6},
                IdxReader.read(file("two.gz", both), 1).data());
    }

    @Test
    void trailingBytes() throws IOException {
        byte[] raw = idx(8, new int[] {3}, new byte[] {1, 2, 3});
        Path p = file("long", Arrays.copyOf(raw, raw.length + 5));
        String m = error(() -> IdxReader.read(p, 1));
        assertTrue(m.contains("5 unexpected bytes after the data"), m);
    }

    @Test
    void labelOutOfRange() throws IOException {
        Path p = file("labels", idx(8, new int[] {4}, new byte[] {1, 2, 10, 3}));
        String m = error(() -> IdxReader.readLabels(p, 10));
        assertTrue(m.startsWith(p.toString()), m);
        assertTrue(m.contains("label 10 at index 2 is out of range [0, 10)"), m);
        // unsigned: 0xff is 255, not -1
        Path q = file("labels255", idx(8, new int[] {1}, new byte[] {(byte) 0xff}));
        assertTrue(error(() -> IdxReader.readLabels(q, 10)).contains("label 255"));
    }

    @Test
    void missingFile() {
        Path p = dir.resolve("nope");
        assertEquals(p + ": file not found", error(() -> IdxReader.read(p, 1)));
    }
}
