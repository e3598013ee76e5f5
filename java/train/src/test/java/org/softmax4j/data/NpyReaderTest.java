package org.softmax4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softmax4j.data.CsvReaderTest.assertRows;
import static org.softmax4j.data.CsvReaderTest.labels;
import static org.softmax4j.data.NpyFiles.dict;
import static org.softmax4j.data.NpyFiles.encode;
import static org.softmax4j.data.NpyFiles.matrix;
import static org.softmax4j.data.NpyFiles.npy;
import static org.softmax4j.data.NpyFiles.npz;
import static org.softmax4j.data.NpyFiles.vector;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link NpyReader} through {@link Table#npy} and {@link Table#npz}, on files written byte by byte ({@link NpyFiles}). */
class NpyReaderTest {
    @TempDir
    Path dir;

    /** Three rows of two features, exact in every dtype tried (uint8 and int16 included). */
    private static final double[][] X = {{1, 2}, {3, 250}, {0, 7}};

    private static final double[] Y = {2, 0, 2};

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private Dataset read(byte[] x, byte[] y) throws IOException {
        return Table.npy(write("x.npy", x), write("y.npy", y))
                .cacheDir(dir.resolve("cache"))
                .read();
    }

    private String error(byte[] x, byte[] y) throws IOException {
        Table t = Table.npy(write("x.npy", x), write("y.npy", y)).cacheDir(dir.resolve("cache"));
        return assertThrows(DataException.class, t::read).getMessage();
    }

    private static float[][] floats(double[][] m) {
        float[][] f = new float[m.length][];
        for (int i = 0; i < m.length; i++) {
            f[i] = new float[m[i].length];
            for (int j = 0; j < m[i].length; j++) f[i][j] = (float) m[i][j];
        }
        return f;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"<f4", "<f8", "|u1", ">f4", ">f8", "<i4", "<i8", ">i2"})
    void featuresOfEachDtypeInCAndFortranOrder(String descr) throws IOException {
        for (boolean fortran : new boolean[] {false, true}) {
            Dataset d = read(matrix(descr, fortran, X), vector("<i8", Y));
            assertRows(floats(X), d);
            assertEquals(List.of("0", "2"), d.classNames());
            assertEquals(List.of("2", "0", "2"), labels(d));
        }
    }

    @Test
    void fortranOrderOfARandomMatrixIsTheSameMatrix() throws IOException {
        long seed = System.nanoTime();
        System.out.println("NpyReaderTest.fortranOrderOfARandomMatrixIsTheSameMatrix seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        int r = 2 + rnd.nextInt(30), c = 1 + rnd.nextInt(9);
        double[][] m = new double[r][c];
        double[] y = new double[r];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) m[i][j] = (float) (rnd.nextDouble() * 20 - 10);
            y[i] = i % 2;
        }
        Dataset cOrder = read(matrix("<f4", false, m), vector("<i4", y));
        Dataset fOrder = read(matrix("<f4", true, m), vector("<i4", y));
        assertRows(floats(m), cOrder);
        assertRows(floats(m), fOrder);
        // a square matrix read with the wrong order would be its transpose: the layouts really differ
        assertTrue(r == 1 || c == 1 || !Arrays.equals(NpyFiles.order(m, false), NpyFiles.order(m, true)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"<i4", "<i8", "|u1", ">i8", "|i1", "<u2", "<f8", "<f4"})
    void labelsOfEachDtype(String descr) throws IOException {
        double[] y = {5, 1, 5, 3, 1, 5};
        double[][] x = new double[y.length][1];
        for (int i = 0; i < y.length; i++) x[i][0] = i;
        Dataset d = read(matrix("<f4", false, x), vector(descr, y));
        assertEquals(List.of("1", "3", "5"), d.classNames());
        assertEquals(List.of("5", "1", "5", "3", "1", "5"), labels(d));
    }

    @Test
    void negativeAndLargeLabelsSortNumerically() throws IOException {
        double[] y = {-1, 10, 9, -1, 1e12};
        double[][] x = {{0}, {1}, {2}, {3}, {4}};
        Dataset d = read(matrix("<f4", false, x), vector("<i8", y));
        assertEquals(List.of("-1", "9", "10", "1000000000000"), d.classNames());
    }

    @Test
    void labelsOfShapeNBy1() throws IOException {
        byte[] y = npy("<i4", false, new long[] {3, 1}, encode("<i4", Y));
        assertEquals(List.of("2", "0", "2"), labels(read(matrix("<f4", false, X), y)));
    }

    @Test
    void formatVersion2() throws IOException {
        byte[] x = npy(2, dict("<f4", false, 3, 2), encode("<f4", NpyFiles.order(X, false)));
        byte[] y = npy(2, dict("<i8", false, 3), encode("<i8", Y));
        assertEquals(0, (12 + (x[8] & 0xff) + ((x[9] & 0xff) << 8)) % 64, "aligned as numpy writes it");
        assertRows(floats(X), read(x, y));
    }

    @Test
    void headerKeysInAnyOrderAndSpacing() throws IOException {
        byte[] x =
                npy(1, "{'shape':(3,2),'fortran_order':False,'descr':'<f4'}", encode("<f4", NpyFiles.order(X, false)));
        assertRows(floats(X), read(x, vector("<i8", Y)));
    }

    @ParameterizedTest(name = "deflated={0}")
    @ValueSource(booleans = {false, true})
    void npzArchives(boolean deflated) throws IOException {
        Map<String, byte[]> arrays = new LinkedHashMap<>();
        arrays.put("X", matrix("<f8", true, X));
        arrays.put("y", vector("<i8", Y));
        Path p = write("d.npz", npz(deflated, arrays));
        Dataset d = Table.npz(p).cacheDir(dir.resolve("cache")).read();
        assertRows(floats(X), d);
        assertEquals(List.of("2", "0", "2"), labels(d));

        Map<String, byte[]> named = new LinkedHashMap<>();
        named.put("images", matrix("|u1", false, X));
        named.put("targets", vector("|u1", Y));
        named.put("other", vector("<f4", 1, 2, 3));
        Path q = write("named.npz", npz(deflated, named));
        Dataset e = Table.npz(q)
                .arrays("images", "targets")
                .cacheDir(dir.resolve("cache"))
                .read();
        assertRows(floats(X), e);
        String m = assertThrows(
                        DataException.class,
                        () -> Table.npz(q).cacheDir(dir.resolve("cache")).read())
                .getMessage();
        assertEquals(q + ": no array 'X' (it holds: images, targets, other)", m);
        assertNoExtractedArrays();
    }

    private void assertNoExtractedArrays() throws IOException {
        try (var left = Files.list(dir.resolve("cache"))) {
            List<Path> npys = left.filter(f -> f.getFileName().toString().endsWith(".npy"))
                    .toList();
            assertEquals(List.of(), npys, "extracted arrays removed");
        }
    }

    @Test
    void extractedArraysAreRemovedAfterAnErrorToo() throws IOException {
        Map<String, byte[]> onlyX = new LinkedHashMap<>();
        onlyX.put("X", matrix("<f4", false, X));
        Path p = write("onlyx.npz", npz(true, onlyX));
        String m = assertThrows(
                        DataException.class,
                        () -> Table.npz(p).cacheDir(dir.resolve("cache")).read())
                .getMessage();
        assertEquals(p + ": no array 'y' (it holds: X)", m);
        assertNoExtractedArrays();
        Map<String, byte[]> badX = new LinkedHashMap<>();
        badX.put("X", new byte[] {1, 2, 3});
        badX.put("y", vector("<i8", Y));
        Path q = write("badx.npz", npz(false, badX));
        assertThrows(
                DataException.class,
                () -> Table.npz(q).cacheDir(dir.resolve("cache")).read());
        assertNoExtractedArrays();
    }

    // ---- what is refused ------------------------------------------------------------------------

    @Test
    void badMagic() throws IOException {
        byte[] x = matrix("<f4", false, X);
        x[1] = 'n';
        assertEquals(dir.resolve("x.npy") + ": not a .npy file (no \\x93NUMPY magic)", error(x, vector("<i8", Y)));
        assertEquals(
                dir.resolve("x.npy") + ": not a .npy file (no \\x93NUMPY magic)",
                error(new byte[] {(byte) 0x93, 'N'}, vector("<i8", Y)));
    }

    @Test
    void anUnsupportedVersion() throws IOException {
        byte[] x = matrix("<f4", false, X);
        x[6] = 4;
        assertEquals(
                dir.resolve("x.npy") + ": .npy format version 4 is not supported (1 to 3)", error(x, vector("<i8", Y)));
    }

    @Test
    void truncatedData() throws IOException {
        byte[] x = matrix("<f4", false, X);
        byte[] cut = Arrays.copyOf(x, x.length - 4);
        assertEquals(
                dir.resolve("x.npy") + ": truncated: shape (3, 2) needs 24 bytes of data, the file has 20",
                error(cut, vector("<i8", Y)));
        byte[] y = vector("<i8", Y);
        assertEquals(
                dir.resolve("y.npy") + ": truncated: shape (3,) needs 24 bytes of data, the file has 23",
                error(x, Arrays.copyOf(y, y.length - 1)));
    }

    @Test
    void aTruncatedHeader() throws IOException {
        byte[] x = matrix("<f4", false, X);
        assertEquals(dir.resolve("x.npy") + ": truncated .npy header", error(Arrays.copyOf(x, 40), vector("<i8", Y)));
    }

    @Test
    void aHeaderWithoutItsKeys() throws IOException {
        byte[] x = npy(1, "{'descr': '<f4', 'shape': (3, 2), }", encode("<f4", NpyFiles.order(X, false)));
        String m = error(x, vector("<i8", Y));
        assertTrue(
                m.startsWith(dir.resolve("x.npy") + ": bad .npy header (needs 'descr', 'fortran_order' and 'shape')"),
                m);
    }

    @Test
    void xAndYOfDifferentLengths() throws IOException {
        String m = error(matrix("<f4", false, X), vector("<i8", 1, 0, 1, 0));
        assertEquals(dir.resolve("x.npy") + ": shape [3, 2] does not match the 4 labels of " + dir.resolve("y.npy"), m);
    }

    @Test
    void featuresMustBe2D() throws IOException {
        String m = error(vector("<f4", 1, 2, 3), vector("<i8", Y));
        assertEquals(dir.resolve("x.npy") + ": shape [3] does not match the 3 labels of " + dir.resolve("y.npy"), m);
        byte[] y3 = npy("<i8", false, new long[] {3, 2}, encode("<i8", 1, 0, 1, 0, 1, 0));
        m = error(matrix("<f4", false, X), y3);
        assertEquals(dir.resolve("y.npy") + ": labels must be a 1-D array, not shape [3, 2]", m);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"|O", "<U5", "|S3", "|V8"})
    void objectAndStringDtypes(String descr) throws IOException {
        byte[] x = npy(descr, false, new long[] {3, 2}, new byte[6 * 8]);
        String m = error(x, vector("<i8", Y));
        assertTrue(m.startsWith(dir.resolve("x.npy") + ": bad .npy header"), m);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"<c8", "|b1", "<f2", "<m8", "<i3"})
    void unsupportedNumericDtypes(String descr) throws IOException {
        byte[] x = npy(descr, false, new long[] {3, 2}, new byte[6 * 8]);
        assertEquals(
                dir.resolve("x.npy") + ": features of dtype '" + descr + "' (expected float32, float64 or integers)",
                error(x, vector("<i8", Y)));
    }

    @Test
    void labelsThatAreNoWholeNumbers() throws IOException {
        assertEquals(
                dir.resolve("y.npy") + ": label 1.5 of row 1 is not a whole number",
                error(matrix("<f4", false, X), vector("<f8", 0, 1.5, 1)));
        assertEquals(
                dir.resolve("y.npy") + ": label NaN of row 2 is not a whole number",
                error(matrix("<f4", false, X), vector("<f8", 0, 1, Double.NaN)));
        assertEquals(
                dir.resolve("y.npy") + ": label Infinity of row 0 is not a whole number",
                error(matrix("<f4", false, X), vector("<f8", Double.POSITIVE_INFINITY, 1, 0)));
    }

    @Test
    void featuresThatAreNoFiniteFloat32() throws IOException {
        double[][] nan = {{1, 2}, {3, Double.NaN}, {5, 6}};
        assertEquals(
                dir.resolve("x.npy") + ": row 1, column 1: NaN is not a finite float32",
                error(matrix("<f4", false, nan), vector("<i8", Y)));
        double[][] big = {{1, 2}, {3, 4}, {1e300, 6}};
        assertEquals(
                dir.resolve("x.npy") + ": row 2, column 0: 1.0E300 is not a finite float32",
                error(matrix("<f8", true, big), vector("<i8", Y)));
    }

    @Test
    void aNpzThatIsNoZip() throws IOException {
        Path p = write("bad.npz", new byte[] {'P', 'K', 3, 4, 0, 0});
        String m = assertThrows(
                        DataException.class,
                        () -> Table.npz(p).cacheDir(dir.resolve("cache")).read())
                .getMessage();
        assertTrue(m.startsWith(p + ": not a valid .npz (zip) archive"), m);
    }

    @Test
    void errorsInsideANpzNameTheArchiveAndTheArray() throws IOException {
        Map<String, byte[]> arrays = new LinkedHashMap<>();
        arrays.put("X", matrix("<f4", false, X));
        arrays.put("y", vector("<f8", 0, 0.5, 1));
        Path p = write("d.npz", npz(true, arrays));
        String m = assertThrows(
                        DataException.class,
                        () -> Table.npz(p).cacheDir(dir.resolve("cache")).read())
                .getMessage();
        assertEquals(p + " (y): label 0.5 of row 1 is not a whole number", m);
    }

    // ---- headers that announced what the file does not hold (found reading the code; each threw
    // something other than a DataException, or allocated from the header before looking at the file)

    @Test
    void negativeDimensions() throws IOException {
        // (-1, -2) multiplies to 2 elements, which the file holds; (-1,) labels made a NegativeArraySizeException
        byte[] x = npy(1, dict("<f4", false, -1, -2), encode("<f4", 1, 2));
        assertEquals(dir.resolve("x.npy") + ": bad .npy shape (-1, -2)", error(x, vector("<i8", Y)));
        byte[] y = npy(1, dict("<i8", false, -1), new byte[0]);
        assertEquals(dir.resolve("y.npy") + ": bad .npy shape (-1,)", error(matrix("<f4", false, X), y));
    }

    @Test
    void anItemSizeOfTooManyDigits() throws IOException {
        byte[] x = npy(1, dict("<f99999999999", false, 3, 2), new byte[24]);
        assertEquals(
                dir.resolve("x.npy") + ": features of dtype '<f99999999999' (expected float32, float64 or integers)",
                error(x, vector("<i8", Y))); // was a NumberFormatException
    }

    @Test
    void noRowsOfVeryManyColumnsAllocateNothing() throws IOException {
        // 0 x (2^31 - 1) needs no data: a row buffer of 2^31 - 1 floats was an OutOfMemoryError
        byte[] x = npy(1, dict("<f4", false, 0, Integer.MAX_VALUE), new byte[0]);
        byte[] y = npy(1, dict("<i8", false, 0), new byte[0]);
        assertEquals(dir.resolve("x.npy") + ": no rows (shape [0, 2147483647])", error(x, y));
        byte[] wide = npy(1, dict("<f4", false, 0, 1L << 40), new byte[0]);
        assertEquals(
                dir.resolve("x.npy") + ": no rows (shape [0, 1099511627776])",
                error(wide, y)); // was an ArithmeticException
    }

    @Test
    void errorsOfAnArrayInsideANpzNameTheArchiveNotTheExtractedFile() throws IOException {
        Map<String, byte[]> arrays = new LinkedHashMap<>();
        byte[] x = matrix("<f4", false, X);
        arrays.put("X", Arrays.copyOf(x, x.length - 8));
        arrays.put("y", vector("<i8", Y));
        Path p = write("t.npz", npz(false, arrays));
        String m = assertThrows(
                        DataException.class,
                        () -> Table.npz(p).cacheDir(dir.resolve("cache")).read())
                .getMessage();
        assertEquals(p + " (X): truncated: shape (3, 2) needs 24 bytes of data, the file has 16", m);
    }
}
