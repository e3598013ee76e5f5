package org.softmax4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;

/**
 * The IDX reader on any bytes (FUZZING.md): it returns a file whose data is
 * the product of its dimensions, or throws a {@link DataException}; any other
 * throwable (an OutOfMemoryError from a huge declared size included: the fuzz
 * JVM has a 1 GiB heap) is a finding. Each input is read as it is (a gzip
 * stream when it starts with 0x1f 0x8b, which {@link StrictGzipInputStream}
 * then parses) and gzip-wrapped, and both readings must agree; what is
 * accepted must survive {@link IdxWriter} and the JDK's own gzip reader.
 */
class IdxReaderFuzzTest {
    private static final Path DIR;

    static {
        try {
            DIR = Files.createTempDirectory("s4j-idx-fuzz");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @AfterAll
    static void removeFiles() throws IOException {
        try (Stream<Path> files = Files.walk(DIR)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    @FuzzTest(maxDuration = "30s")
    void readAnyBytes(byte[] input) throws IOException {
        boolean gzipMagic = input.length >= 2 && (input[0] & 0xff) == 0x1f && (input[1] & 0xff) == 0x8b;
        int dims = expectedDims(gzipMagic ? peek(input) : input);
        IdxFile raw = read(input, dims);
        if (raw != null && gzipMagic) {
            // the strict reader accepted a gzip stream: the JDK's reader sees the same bytes
            byte[] inflated;
            try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(input))) {
                inflated = in.readAllBytes();
            } catch (IOException e) {
                inflated = null; // e.g. a header CRC (FHCRC), which the strict reader skips
            }
            if (inflated != null) assertArrayEquals(serialize(raw), inflated, "gzip data");
        } else if (raw != null) {
            assertArrayEquals(input, serialize(raw), "the data read is the file");
        }
        if (!gzipMagic) {
            IdxFile gz = read(gzip(input), dims);
            assertEquals(raw == null, gz == null, "raw and gzip-wrapped readings disagree");
            if (raw != null) {
                assertArrayEquals(raw.dimensions(), gz.dimensions());
                assertArrayEquals(raw.data(), gz.data());
            }
        }
        if (raw != null) {
            // what was read writes back and reads again, raw and compressed
            for (boolean z : new boolean[] {false, true}) {
                Path p = DIR.resolve("again");
                IdxWriter.write(p, raw.dimensions(), raw.data(), z);
                IdxFile again = IdxReader.read(p, dims);
                assertArrayEquals(raw.dimensions(), again.dimensions());
                assertArrayEquals(raw.data(), again.data());
            }
            if (dims == 1) {
                int max = 0;
                for (byte b : raw.data()) max = Math.max(max, b & 0xff);
                Path p = DIR.resolve("labels");
                Files.write(p, input);
                assertEquals(raw.count(), IdxReader.readLabels(p, max + 1).count());
            }
        }
    }

    /**
     * The dimension count the caller asks for: what the header says when plausible, so
     * that the fuzzer gets past the magic number.
     */
    private static int expectedDims(byte[] header) {
        int n = header.length >= 4 ? header[3] & 0xff : 0;
        return n >= 1 && n <= 4 ? n : 1;
    }

    /** The first bytes of a gzip stream, as far as the JDK's reader gets. */
    private static byte[] peek(byte[] gzip) {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
            return in.readNBytes(4);
        } catch (IOException e) {
            return new byte[0];
        }
    }

    /** The file read, or null for a DataException; anything else propagates (a finding). */
    private static IdxFile read(byte[] content, int dims) throws IOException {
        Path p = DIR.resolve("input");
        Files.write(p, content);
        try {
            IdxFile f = IdxReader.read(p, dims);
            int[] d = f.dimensions();
            assertEquals(dims, d.length);
            long product = 1;
            for (int x : d) {
                assertTrue(x > 0, Arrays.toString(d));
                product *= x;
            }
            assertEquals(product, f.data().length, "data length of dimensions " + Arrays.toString(d));
            return f;
        } catch (DataException e) {
            assertTrue(e.getMessage().startsWith(p.toString()), "the message names the file: " + e.getMessage());
            return null;
        }
    }

    /** The raw IDX bytes of f. */
    private static byte[] serialize(IdxFile f) {
        int[] d = f.dimensions();
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + 4 * d.length + f.data().length);
        b.putInt((IdxReader.TYPE_UBYTE << 8) | d.length);
        for (int x : d) b.putInt(x);
        b.put(f.data());
        return b.array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            gz.write(raw);
        }
        return bytes.toByteArray();
    }
}
