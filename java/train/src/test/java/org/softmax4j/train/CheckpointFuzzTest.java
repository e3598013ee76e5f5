package org.softmax4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The model-file reader on any bytes (FUZZING.md): {@link Checkpoint#fromBytes}
 * returns a checkpoint or throws a {@link CheckpointException}; anything else
 * is a finding. Each input is read twice: as a whole file, and as the payload
 * of a well-formed envelope (magic, version from the first byte, length,
 * CRC-32C), which gets the fuzzer past the checksum into the payload parser.
 * A checkpoint read must be consistent, write itself back, and read back to
 * the same bytes.
 */
class CheckpointFuzzTest {
    private static final byte[] MAGIC = "S4JMODEL".getBytes(StandardCharsets.US_ASCII);

    @FuzzTest(maxDuration = "30s")
    void readAnyBytes(byte[] input) {
        check(read(input));
        if (input.length > 0) {
            int version = (input[0] & 3) == 3 ? 3 : (input[0] & 1) == 0 ? 2 : 1; // 3: unsupported
            check(read(envelope(version, Arrays.copyOfRange(input, 1, input.length))));
        }
    }

    /** The checkpoint, or null for a CheckpointException; anything else propagates. */
    private static Checkpoint read(byte[] file) {
        try {
            return Checkpoint.fromBytes(file, "fuzz.s4j");
        } catch (CheckpointException e) {
            assertTrue(e.getMessage().startsWith("fuzz.s4j: "), e.getMessage());
            return null;
        }
    }

    private static void check(Checkpoint c) {
        if (c == null) return;
        SoftmaxRegression m = c.model();
        assertEquals(m.features() * m.classes(), m.weights().length);
        assertEquals(m.classes(), m.bias().length);
        assertTrue(c.classNames().isEmpty() || c.classNames().size() == m.classes());
        assertEquals(c.config() == null, c.state() == null);
        if (c.state() != null) {
            TrainingState s = c.state();
            assertEquals(m.features(), s.model().features());
            assertEquals(m.classes(), s.model().classes());
            assertEquals(s.velocityW == null, c.config().momentum() == 0);
            assertTrue(s.history().size() <= s.epochsDone());
        }
        // what was read is a model file: it writes, and reads back to the same bytes
        byte[] again = c.toBytes();
        Checkpoint back = Checkpoint.fromBytes(again, "again.s4j");
        assertArrayEquals(again, back.toBytes(), "a checkpoint read back writes the same bytes");
    }

    /** A file of the given version around payload, with the right length and checksum. */
    static byte[] envelope(int version, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(20 + payload.length + 4);
        b.put(MAGIC).putInt(version).putLong(payload.length).put(payload);
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, 20 + payload.length);
        b.putInt((int) crc.getValue());
        return b.array();
    }
}
