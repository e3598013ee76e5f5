package org.softmax4j.data;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Writes IDX files of unsigned bytes, raw or gzip-compressed (the inverse of {@link IdxReader}). */
public final class IdxWriter {
    private IdxWriter() {}

    /**
     * Writes {@code data} with the given dimensions.
     *
     * @throws IllegalArgumentException when the data length is not the product of the dimensions
     */
    public static void write(Path path, int[] dimensions, byte[] data, boolean gzip) throws IOException {
        long total = 1;
        for (int d : dimensions) total *= d;
        if (dimensions.length == 0 || dimensions.length > 255 || total != data.length) {
            throw new IllegalArgumentException(
                    data.length + " bytes do not fill dimensions " + java.util.Arrays.toString(dimensions));
        }
        OutputStream file = new BufferedOutputStream(Files.newOutputStream(path), 1 << 16);
        try (DataOutputStream out = new DataOutputStream(gzip ? new GZIPOutputStream(file, 1 << 16) : file)) {
            out.writeInt((IdxReader.TYPE_UBYTE << 8) | dimensions.length);
            for (int d : dimensions) out.writeInt(d);
            out.write(data);
        }
    }
}
