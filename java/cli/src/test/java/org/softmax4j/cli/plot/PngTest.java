package org.softmax4j.cli.plot;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

/** The PNG encoder's output, decoded by hand: chunk layout, CRCs, header and pixels. */
class PngTest {
    @Test
    void grayscaleRoundTrip() throws Exception {
        byte[] pixels = new byte[7 * 5];
        for (int i = 0; i < pixels.length; i++) pixels[i] = (byte) (i * 7);
        byte[] png = Png.gray(7, 5, pixels, 0);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, Arrays.copyOf(png, 8));
        ByteBuffer b = ByteBuffer.wrap(png, 8, png.length - 8);
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        StringBuilder types = new StringBuilder();
        while (b.hasRemaining()) {
            int len = b.getInt();
            byte[] typeAndData = new byte[4 + len];
            b.get(typeAndData);
            CRC32 crc = new CRC32();
            crc.update(typeAndData);
            assertEquals((int) crc.getValue(), b.getInt());
            String type = new String(typeAndData, 0, 4, java.nio.charset.StandardCharsets.US_ASCII);
            types.append(type).append(' ');
            if (type.equals("IHDR")) {
                ByteBuffer h = ByteBuffer.wrap(typeAndData, 4, len);
                assertEquals(7, h.getInt());
                assertEquals(5, h.getInt());
                assertEquals(8, h.get());
                assertEquals(0, h.get()); // grayscale
            }
            if (type.equals("IDAT")) idat.write(typeAndData, 4, len);
        }
        assertEquals("IHDR IDAT IEND ", types.toString());
        Inflater inf = new Inflater();
        inf.setInput(idat.toByteArray());
        byte[] raw = new byte[(7 + 1) * 5];
        assertEquals(raw.length, inf.inflate(raw));
        for (int y = 0; y < 5; y++) {
            assertEquals(0, raw[y * 8]);
            assertArrayEquals(
                    Arrays.copyOfRange(pixels, y * 7, y * 7 + 7), Arrays.copyOfRange(raw, y * 8 + 1, y * 8 + 8));
        }
    }
}
