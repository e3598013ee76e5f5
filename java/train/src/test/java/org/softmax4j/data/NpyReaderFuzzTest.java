package org.softmax4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.softmax4j.DType;

/**
 * The NumPy reader on any bytes (FUZZING.md). Input starting "PK" is a .npz archive, read with
 * {@link Table#npz}; any other is a .npy, opened as an array and then read both as the features
 * (with as many labels as it has rows) and as the labels (with as many one-column rows). Each
 * must give a consistent result or a {@link DataException} naming the file; anything else
 * (an OutOfMemoryError from a declared shape included: the fuzz JVM has a 1 GiB heap) is a
 * finding. An array that opens holds its declared elements; its elements read through the
 * reader equal an independent decoding of the bytes.
 */
class NpyReaderFuzzTest {
    private static final Path DIR = FuzzDir.create("s4j-npy-fuzz");
    /** At most this many rows get a partner file (the other array of a pair). */
    private static final long PARTNER_ROWS = 1 << 16;

    @AfterAll
    static void removeFiles() throws IOException {
        FuzzDir.delete(DIR);
    }

    @FuzzTest(maxDuration = "30s")
    void readAnyBytes(byte[] input) throws IOException {
        if (input.length >= 2 && input[0] == 'P' && input[1] == 'K') {
            Path p = DIR.resolve("input.npz");
            FuzzDir.put(p, input);
            try {
                FuzzDir.assertConsistent(
                        Table.npz(p).cacheDir(DIR.resolve("cache")).read(), false);
            } catch (DataException e) {
                FuzzDir.assertNamesTheFile(e, p);
            }
            return;
        }
        Path p = DIR.resolve("input.npy");
        FuzzDir.put(p, input);
        NpyReader.Array a;
        try {
            a = NpyReader.open(p, "features");
        } catch (DataException e) {
            FuzzDir.assertNamesTheFile(e, p);
            return;
        }
        long count = 1;
        for (long s : a.shape()) {
            assertTrue(s >= 0, "shape");
            count = Math.multiplyExact(count, s);
        }
        assertTrue(count * a.itemSize() <= a.data().byteSize(), "the data is in the file");
        long rows = a.shape().length == 0 ? 0 : a.shape()[0];
        for (long i = 0; i < Math.min(count, 64); i++) {
            // element i in storage order, decoded here and read through the reader
            long r = a.shape().length == 1
                    ? i
                    : a.shape().length == 2 && a.shape()[1] > 0
                            ? (a.fortran() ? i % a.shape()[0] : i / a.shape()[1])
                            : -1;
            long c =
                    a.shape().length == 2 && a.shape()[1] > 0 ? (a.fortran() ? i / a.shape()[0] : i % a.shape()[1]) : 0;
            if (r < 0) break;
            double got = a.get(r, c),
                    want =
                            decode(
                                    input,
                                    input.length - a.data().byteSize() + i * a.itemSize(),
                                    a.kind(),
                                    a.itemSize(),
                                    a.order());
            assertEquals(Double.doubleToLongBits(want), Double.doubleToLongBits(got), "element " + i);
        }
        if (rows >= 1 && rows <= PARTNER_ROWS) {
            // as features, with labels 0, 1, 0, ...
            Path y = DIR.resolve("y.npy");
            double[] labels = new double[(int) rows];
            for (int i = 0; i < labels.length; i++) labels[i] = i % 2;
            FuzzDir.put(y, NpyFiles.vector("<i4", labels));
            read(Table.npy(p, y), p);
            // as labels, with one feature per row
            Path x = DIR.resolve("x.npy");
            double[][] features = new double[(int) rows][1];
            FuzzDir.put(x, NpyFiles.matrix("<f4", false, features));
            read(Table.npy(x, p), p);
        } else if (rows == 0 || rows > PARTNER_ROWS) {
            // the reading steps by themselves, without a partner
            try {
                NpyReader.readLabels(a, new LabelCoder(null), p.toString());
            } catch (DataException e) {
                FuzzDir.assertNamesTheFile(e, p);
            }
            if (a.shape().length == 2 && a.shape()[1] >= 1 && a.shape()[1] <= 4096 && rows <= PARTNER_ROWS) {
                try (var w = new FeatureCache.Writer(DIR.resolve("w.s4jcache"), DType.F32, (int) a.shape()[1])) {
                    NpyReader.readFeatures(a, w, p.toString());
                    assertEquals(rows, w.rows());
                } catch (DataException e) {
                    FuzzDir.assertNamesTheFile(e, p);
                }
            }
        }
    }

    private static void read(Table t, Path input) {
        try {
            FuzzDir.assertConsistent(t.cacheDir(DIR.resolve("cache")).read(), false);
        } catch (DataException e) {
            FuzzDir.assertNamesTheFile(e, input.getParent()); // the features' or the labels' file
        }
    }

    /** The element at {@code at} of the file's bytes, decoded from the dtype's definition. */
    private static double decode(byte[] file, long at, char kind, int size, ByteOrder order) {
        ByteBuffer b = ByteBuffer.wrap(file, (int) at, size).order(order);
        return switch (kind) {
            case 'f' -> size == 4 ? b.getFloat() : b.getDouble();
            case 'u' ->
                switch (size) {
                    case 1 -> b.get() & 0xff;
                    case 2 -> b.getShort() & 0xffff;
                    case 4 -> b.getInt() & 0xffffffffL;
                    default -> (double) b.getLong(); // as the reader: a signed long
                };
            default ->
                switch (size) {
                    case 1 -> b.get();
                    case 2 -> b.getShort();
                    case 4 -> b.getInt();
                    default -> (double) b.getLong();
                };
        };
    }
}
