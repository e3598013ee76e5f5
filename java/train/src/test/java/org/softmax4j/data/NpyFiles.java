package org.softmax4j.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * NumPy files written byte by byte, after the format's description
 * (numpy.lib.format): magic \x93NUMPY, major and minor version, the header
 * length (u16 for 1.0, u32 for 2.0), the header: a Python dict literal
 * padded with spaces and ended by a newline so that the data starts at a
 * multiple of 64; then the data.
 */
final class NpyFiles {
    private NpyFiles() {}

    /** The shape as Python writes a tuple: (3,) or (3, 2). */
    static String tuple(long... shape) {
        if (shape.length == 1) return "(" + shape[0] + ",)";
        StringBuilder b = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) b.append(i == 0 ? "" : ", ").append(shape[i]);
        return b.append(')').toString();
    }

    /** The standard header dict of numpy.lib.format. */
    static String dict(String descr, boolean fortran, long... shape) {
        return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': "
                + tuple(shape) + ", }";
    }

    /** A .npy file of version major.0 with this header dict and data. */
    static byte[] npy(int major, String dict, byte[] data) {
        int prefix = major == 1 ? 10 : 12;
        byte[] text = dict.getBytes(StandardCharsets.ISO_8859_1);
        int length = text.length + 1;
        length += (64 - (prefix + length) % 64) % 64;
        ByteBuffer b = ByteBuffer.allocate(prefix + length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93)
                .put("NUMPY".getBytes(StandardCharsets.US_ASCII))
                .put((byte) major)
                .put((byte) 0);
        if (major == 1) b.putShort((short) length);
        else b.putInt(length);
        b.put(text);
        for (int i = text.length; i < length - 1; i++) b.put((byte) ' ');
        b.put((byte) '\n');
        b.put(data);
        return b.array();
    }

    static byte[] npy(String descr, boolean fortran, long[] shape, byte[] data) {
        return npy(1, dict(descr, fortran, shape), data);
    }

    /** The elements of m in C (row-major) or Fortran (column-major) order. */
    static double[] order(double[][] m, boolean fortran) {
        int r = m.length, c = m[0].length;
        double[] flat = new double[r * c];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) flat[fortran ? j * r + i : i * c + j] = m[i][j];
        }
        return flat;
    }

    /**
     * Values as dtype {@code descr} ('<f4', '>f8', '|u1', '<i4', '<i8', ...):
     * byte order from its first character, kind and size from the rest.
     */
    static byte[] encode(String descr, double... values) {
        ByteOrder order = descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        char kind = descr.charAt(1);
        int size = Integer.parseInt(descr.substring(2));
        ByteBuffer b = ByteBuffer.allocate(values.length * size).order(order);
        for (double v : values) {
            if (kind == 'f' && size == 4) b.putFloat((float) v);
            else if (kind == 'f') b.putDouble(v);
            else if (size == 1) b.put((byte) (long) v);
            else if (size == 2) b.putShort((short) (long) v);
            else if (size == 4) b.putInt((int) (long) v);
            else b.putLong((long) v);
        }
        return b.array();
    }

    /** A 2-D array file of m. */
    static byte[] matrix(String descr, boolean fortran, double[][] m) {
        return npy(descr, fortran, new long[] {m.length, m[0].length}, encode(descr, order(m, fortran)));
    }

    /** A 1-D array file. */
    static byte[] vector(String descr, double... v) {
        return npy(descr, false, new long[] {v.length}, encode(descr, v));
    }

    /** A .npz archive of these entries (name without .npy), stored or deflated. */
    static byte[] npz(boolean deflated, Map<String, byte[]> arrays) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> a : arrays.entrySet()) {
                ZipEntry e = new ZipEntry(a.getKey() + ".npy");
                if (!deflated) {
                    e.setMethod(ZipEntry.STORED);
                    e.setSize(a.getValue().length);
                    CRC32 crc = new CRC32();
                    crc.update(a.getValue());
                    e.setCrc(crc.getValue());
                }
                zip.putNextEntry(e);
                zip.write(a.getValue());
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }
}
