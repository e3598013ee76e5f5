package org.softmax4j.cli.plot;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * A minimal PNG encoder for 8-bit grayscale images (no java.desktop/ImageIO):
 * signature, IHDR, one IDAT with the zlib-compressed scanlines (filter type 0),
 * IEND, each chunk with its CRC-32.
 */
public final class Png {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private Png() {}

    /**
     * Encodes a {@code width x height} grayscale image.
     *
     * @param pixels row-major unsigned bytes (0 black, 255 white), at least width x height
     */
    public static byte[] gray(int width, int height, byte[] pixels, int offset) {
        if (width < 1 || height < 1 || pixels.length - offset < (long) width * height) {
            throw new IllegalArgumentException("bad PNG size " + width + "x" + height);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(SIGNATURE);
        ByteBuffer ihdr = ByteBuffer.allocate(13);
        ihdr.putInt(width)
                .putInt(height)
                .put((byte) 8)
                .put((byte) 0) // 8 bits, grayscale
                .put((byte) 0)
                .put((byte) 0)
                .put((byte) 0); // deflate, adaptive filters, no interlace
        chunk(out, "IHDR", ihdr.array());
        byte[] raw = new byte[(width + 1) * height];
        for (int y = 0; y < height; y++) {
            raw[y * (width + 1)] = 0; // filter: none
            System.arraycopy(pixels, offset + y * width, raw, y * (width + 1) + 1, width);
        }
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION); // zlib format, as PNG wants
        deflater.setInput(raw);
        deflater.finish();
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        while (!deflater.finished()) z.write(buf, 0, deflater.deflate(buf));
        deflater.end();
        chunk(out, "IDAT", z.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
