package org.softmax4j.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.ZipException;

/**
 * Reads IDX files of unsigned bytes (the format of MNIST and Fashion-MNIST),
 * gzip-compressed or raw (told apart by the gzip magic bytes, not the name),
 * with strict validation. An IDX file is a big-endian header
 * {@code 0x00 0x00 <type> <ndims>}, then ndims int32 sizes, then the data;
 * this reader accepts type 0x08 (unsigned byte) only.
 *
 * <p>Every problem gives a {@link DataException} whose message starts with
 * the file's path and says what is wrong: a missing file, a bad magic number,
 * the wrong number or size of dimensions, a truncated file, trailing bytes,
 * corrupt gzip data (a CRC or length mismatch, bytes after the gzip data),
 * or a label out of range.
 */
public final class IdxReader {
    /** The IDX type code of unsigned bytes. */
    public static final int TYPE_UBYTE = 0x08;
    /** Largest data size read (a Java array's limit). */
    private static final long MAX_BYTES = Integer.MAX_VALUE - 16;

    private IdxReader() {}

    /**
     * Reads an IDX file of unsigned bytes with {@code expectedDims} dimensions.
     *
     * @throws DataException when the file is missing, unreadable or invalid
     */
    public static IdxFile read(Path path, int expectedDims) {
        try (InputStream in = open(path)) {
            return read(path, in, expectedDims);
        } catch (NoSuchFileException e) {
            throw new DataException(path + ": file not found");
        } catch (AccessDeniedException e) {
            throw new DataException(path + ": permission denied");
        } catch (ZipException e) {
            throw new DataException(path + ": corrupt gzip data (" + e.getMessage() + ")", e);
        } catch (EOFException e) {
            throw new DataException(path + ": truncated gzip stream (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new DataException(path + ": cannot read (" + e + ")", e);
        }
    }

    /**
     * Reads images: an IDX file of dimensions {@code [n, rows, cols]}.
     *
     * @throws DataException when invalid or when the image size is not rows x cols
     */
    public static IdxFile readImages(Path path, int rows, int cols) {
        IdxFile f = read(path, 3);
        int[] d = f.dimensions();
        if (d[1] != rows || d[2] != cols) {
            throw new DataException(path + ": images are " + d[1] + "x" + d[2] + ", expected " + rows + "x" + cols);
        }
        return f;
    }

    /**
     * Reads labels: a one-dimensional IDX file whose every value is in [0, classes).
     *
     * @throws DataException when invalid or when a label is out of range
     */
    public static IdxFile readLabels(Path path, int classes) {
        IdxFile f = read(path, 1);
        byte[] data = f.data();
        for (int i = 0; i < data.length; i++) {
            int label = data[i] & 0xff;
            if (label >= classes) {
                throw new DataException(
                        path + ": label " + label + " at index " + i + " is out of range [0, " + classes + ")");
            }
        }
        return f;
    }

    /** The file's bytes, decompressed when it starts with the gzip magic 0x1f 0x8b. */
    private static InputStream open(Path path) throws IOException {
        InputStream raw = new BufferedInputStream(Files.newInputStream(path), 1 << 16);
        raw.mark(2);
        int b0 = raw.read(), b1 = raw.read();
        raw.reset();
        if (b0 == 0x1f && b1 == 0x8b) {
            try {
                return new StrictGzipInputStream(raw);
            } catch (IOException e) {
                raw.close();
                throw e;
            }
        }
        return raw;
    }

    private static IdxFile read(Path path, InputStream in, int expectedDims) throws IOException {
        byte[] header = in.readNBytes(4);
        if (header.length < 4) {
            throw new DataException(path + ": truncated: " + header.length + " bytes, too short for an IDX header");
        }
        int magic = ((header[0] & 0xff) << 24)
                | ((header[1] & 0xff) << 16)
                | ((header[2] & 0xff) << 8)
                | (header[3] & 0xff);
        int expectedMagic = (TYPE_UBYTE << 8) | expectedDims;
        if (header[0] != 0 || header[1] != 0) {
            throw new DataException(path + ": not an IDX file: bad magic number 0x" + hex(magic) + " (expected 0x"
                    + hex(expectedMagic) + ")");
        }
        if ((header[2] & 0xff) != TYPE_UBYTE) {
            throw new DataException(path + ": bad magic number 0x" + hex(magic)
                    + ": element type 0x" + Integer.toHexString(header[2] & 0xff)
                    + ", expected unsigned bytes (0x08)");
        }
        int ndims = header[3] & 0xff;
        if (ndims != expectedDims) {
            throw new DataException(path + ": bad magic number 0x" + hex(magic) + ": " + ndims
                    + " dimensions, expected " + expectedDims);
        }
        byte[] sizes = in.readNBytes(4 * ndims);
        if (sizes.length < 4 * ndims) {
            throw new DataException(
                    path + ": truncated in the header (" + (4 + sizes.length) + " of " + (4 + 4 * ndims) + " bytes)");
        }
        int[] dims = new int[ndims];
        long total = 1;
        for (int i = 0; i < ndims; i++) {
            dims[i] = ((sizes[4 * i] & 0xff) << 24)
                    | ((sizes[4 * i + 1] & 0xff) << 16)
                    | ((sizes[4 * i + 2] & 0xff) << 8)
                    | (sizes[4 * i + 3] & 0xff);
            if (dims[i] <= 0) {
                throw new DataException(path + ": dimension " + i + " is " + dims[i]
                        + " (dimensions " + Arrays.toString(Arrays.copyOf(dims, i + 1))
                        + "...), must be positive");
            }
            total *= dims[i];
            if (total > MAX_BYTES) {
                throw new DataException(
                        path + ": dimensions " + Arrays.toString(dims) + " are too large (over 2 GiB of data)");
            }
        }
        // In chunks, as far as the file goes: a short file must not cost what its header claims.
        byte[] data = in.readNBytes((int) total);
        if (data.length < total) {
            throw new DataException(path + ": truncated: dimensions " + Arrays.toString(dims) + " need " + total
                    + " bytes of data, the file has " + data.length);
        }
        // Reading to the end also makes GZIPInputStream check the CRC and length trailer.
        long extra = 0;
        byte[] rest = new byte[8192];
        for (int r; extra <= 1 << 20 && (r = in.read(rest)) >= 0; ) extra += r;
        if (extra > 0) {
            throw new DataException(path + ": " + (extra > 1 << 20 ? "over 1 MiB of" : extra)
                    + " unexpected bytes after the data of dimensions " + Arrays.toString(dims)
                    + " (wrong dimensions or a corrupt file)");
        }
        return new IdxFile(path, dims, data);
    }

    private static String hex(int v) {
        return String.format("%08x", v);
    }
}
