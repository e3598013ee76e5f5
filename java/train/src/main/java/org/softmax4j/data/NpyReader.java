package org.softmax4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * NumPy's {@code .npy} (format versions 1 to 3) and {@code .npz} archives
 * (stored or deflated entries, extracted to a temporary file first). A
 * feature array is 2-D of float32, float64 or uint8; a label array 1-D of
 * integers (int8 to int64, uint8), or of floats with whole values. C and
 * Fortran order, either byte order. The array is memory-mapped and read
 * element by element, so its size is bounded by the disk, not the heap.
 */
final class NpyReader {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=])([a-z])(\\d+)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /** A parsed header and the array's data, mapped. */
    record Array(
            Path file, char kind, int itemSize, ByteOrder order, boolean fortran, long[] shape, MemorySegment data) {
        long count() {
            long n = 1;
            for (long s : shape) n = Math.multiplyExact(n, s);
            return n;
        }

        /** Element (row, col) of a 2-D array, or element row of a 1-D one (col 0), as a double. */
        double get(long row, long col) {
            long i = shape.length == 1 ? row : fortran ? col * shape[0] + row : row * shape[1] + col;
            long at = i * itemSize;
            return switch (kind) {
                case 'f' ->
                    itemSize == 4
                            ? data.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(order), at)
                            : data.get(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(order), at);
                case 'u' ->
                    switch (itemSize) {
                        case 1 -> data.get(ValueLayout.JAVA_BYTE, at) & 0xff;
                        case 2 -> data.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(order), at) & 0xffff;
                        case 4 -> data.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(order), at) & 0xffffffffL;
                        default -> data.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(order), at);
                    };
                default ->
                    switch (itemSize) { // 'i'
                        case 1 -> data.get(ValueLayout.JAVA_BYTE, at);
                        case 2 -> data.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(order), at);
                        case 4 -> data.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(order), at);
                        default -> data.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(order), at);
                    };
            };
        }
    }

    private NpyReader() {}

    /** The array of a .npy file. */
    static Array open(Path file, String what) {
        return open(file, what, file.toString());
    }

    /** The array of a .npy file; {@code name} is what messages call it (e.g. "data.npz (X)"). */
    static Array open(Path file, String what, String name) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, Arena.ofAuto());
            if (size < 10 || mismatch(all)) {
                throw new DataException(name + ": not a .npy file (no \\x93NUMPY magic)");
            }
            int major = all.get(ValueLayout.JAVA_BYTE, 6);
            long headerLength, headerAt;
            if (major == 1) {
                headerLength = all.get(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8) & 0xffff;
                headerAt = 10;
            } else if (major == 2 || major == 3) {
                if (size < 12) throw new DataException(name + ": truncated .npy header");
                headerLength =
                        all.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8) & 0xffffffffL;
                headerAt = 12;
            } else {
                throw new DataException(name + ": .npy format version " + major + " is not supported (1 to 3)");
            }
            if (headerAt + headerLength > size) throw new DataException(name + ": truncated .npy header");
            String header = new String(
                    all.asSlice(headerAt, headerLength).toArray(ValueLayout.JAVA_BYTE),
                    major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            Matcher d = DESCR.matcher(header), f = FORTRAN.matcher(header), s = SHAPE.matcher(header);
            if (!d.find() || !f.find() || !s.find()) {
                throw new DataException(
                        name + ": bad .npy header (needs 'descr', 'fortran_order' and 'shape'): " + header.strip());
            }
            char kind = d.group(2).charAt(0);
            int itemSize;
            try {
                itemSize = Integer.parseInt(d.group(3));
            } catch (NumberFormatException e) {
                itemSize = -1; // too many digits: no dtype
            }
            boolean ok = (kind == 'f' && (itemSize == 4 || itemSize == 8))
                    || ((kind == 'i' || kind == 'u')
                            && (itemSize == 1 || itemSize == 2 || itemSize == 4 || itemSize == 8));
            if (!ok)
                throw new DataException(name + ": " + what + " of dtype '" + d.group(1) + d.group(2) + d.group(3)
                        + "' (expected float32, float64 or integers)");
            ByteOrder order = d.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
            String[] dims = s.group(1).split(",");
            long[] shape = java.util.Arrays.stream(dims)
                    .map(String::strip)
                    .filter(x -> !x.isEmpty())
                    .mapToLong(x -> {
                        try {
                            return Long.parseLong(x);
                        } catch (NumberFormatException e) {
                            throw new DataException(name + ": bad .npy shape (" + s.group(1) + ")");
                        }
                    })
                    .toArray();
            for (long dim : shape) {
                if (dim < 0) throw new DataException(name + ": bad .npy shape (" + s.group(1) + ")");
            }
            long dataAt = headerAt + headerLength;
            Array a = new Array(file, kind, itemSize, order, f.group(1).equals("True"), shape, all.asSlice(dataAt));
            long need = Math.multiplyExact(a.count(), itemSize);
            if (size - dataAt < need) {
                throw new DataException(name + ": truncated: shape ("
                        + s.group(1).strip() + ") needs " + need + " bytes of data, the file has " + (size - dataAt));
            }
            return a;
        } catch (IOException e) {
            throw new DataException(name + ": cannot read (" + e.getMessage() + ")", e);
        } catch (ArithmeticException e) {
            throw new DataException(name + ": the .npy shape is too large");
        }
    }

    private static boolean mismatch(MemorySegment all) {
        for (int i = 0; i < MAGIC.length; i++) if (all.get(ValueLayout.JAVA_BYTE, i) != MAGIC[i]) return true;
        return false;
    }

    /** Entry {@code name} (or name.npy) of a .npz archive, extracted to {@code dir}. */
    static Path extract(Path npz, String name, Path dir) {
        try (ZipFile zip = new ZipFile(npz.toFile())) {
            ZipEntry e = zip.getEntry(name.endsWith(".npy") ? name : name + ".npy");
            if (e == null) {
                StringBuilder names = new StringBuilder();
                zip.stream()
                        .forEach(x -> names.append(names.isEmpty() ? "" : ", ")
                                .append(x.getName().replaceAll("\\.npy$", "")));
                throw new DataException(npz + ": no array '" + name + "' (it holds: " + names + ")");
            }
            Files.createDirectories(dir);
            Path out = Files.createTempFile(dir, ".npz-" + name + "-", ".npy");
            try (InputStream in = zip.getInputStream(e)) {
                Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
            }
            out.toFile().deleteOnExit();
            return out;
        } catch (ZipException e) {
            throw new DataException(npz + ": not a valid .npz (zip) archive (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new DataException(npz + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** The rows of a 2-D feature array into out (finite values only). */
    static void readFeatures(Array x, FeatureCache.Writer out, String name) {
        if (x.shape.length != 2 || x.shape[1] < 1) {
            throw new DataException(
                    name + ": features must be a 2-D array, not shape " + java.util.Arrays.toString(x.shape));
        }
        int d = Math.toIntExact(x.shape[1]);
        float[] row = new float[d];
        // float32 in C order, the common case: a bulk copy per row, not a
        // lookup per element (40x faster on 2M x 50)
        ValueLayout.OfFloat f32 = x.kind == 'f' && x.itemSize == 4 && !x.fortran
                ? ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(x.order)
                : null;
        try {
            for (long i = 0; i < x.shape[0]; i++) {
                if (f32 != null) {
                    MemorySegment.copy(x.data, f32, i * d * 4L, row, 0, d);
                    for (int j = 0; j < d; j++) {
                        if (!Float.isFinite(row[j])) {
                            throw new DataException(
                                    name + ": row " + i + ", column " + j + ": " + row[j] + " is not a finite float32");
                        }
                    }
                    out.add(row);
                    continue;
                }
                for (int j = 0; j < d; j++) {
                    double v = x.get(i, j);
                    if (!Double.isFinite(v) || Math.abs(v) > Float.MAX_VALUE) {
                        throw new DataException(
                                name + ": row " + i + ", column " + j + ": " + v + " is not a finite float32");
                    }
                    row[j] = (float) v;
                }
                out.add(row);
            }
        } catch (IOException e) {
            throw new DataException(name + ": cannot write its cache (" + e.getMessage() + ")", e);
        }
    }

    /** A 1-D label array's labels (whole numbers) as class ids of coder. */
    static int[] readLabels(Array y, LabelCoder coder, String name) {
        if (y.shape.length != 1 && !(y.shape.length == 2 && y.shape[1] == 1)) {
            throw new DataException(
                    name + ": labels must be a 1-D array, not shape " + java.util.Arrays.toString(y.shape));
        }
        if (y.shape[0] > Integer.MAX_VALUE - 8)
            throw new DataException(name + ": " + y.shape[0] + " labels are too many");
        int n = (int) y.shape[0];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            double v = y.get(i, 0);
            if (!Double.isFinite(v) || v != Math.rint(v))
                throw new DataException(name + ": label " + v + " of row " + i + " is not a whole number");
            Integer id = coder.id(v);
            if (id == null)
                throw new DataException(name + ": label " + (long) v + " of row " + i + " is not one of the model's "
                        + coder.size() + " classes");
            labels[i] = id;
        }
        return labels;
    }
}
