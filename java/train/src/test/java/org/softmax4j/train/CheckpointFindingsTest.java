package org.softmax4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@link CheckpointFuzzTest} found in the model-file reader, minimized (FUZZING.md). */
class CheckpointFindingsTest {
    private static String error(byte[] file) {
        return assertThrows(CheckpointException.class, () -> Checkpoint.fromBytes(file, "x.s4j"))
                .getMessage();
    }

    /**
     * features x classes x 4 bytes past Long.MAX_VALUE wrapped negative, passed the size
     * check and ended in a NegativeArraySizeException: payload 7e535353 530a3600 00000000.
     */
    @Test
    void shapeWhoseByteCountOverflowsIsRefused() {
        byte[] file = CheckpointFuzzTest.envelope(2, HexFormat.of().parseHex("7e535353530a360000000000"));
        assertEquals("x.s4j: corrupt model file: invalid shape 2119390035 x 1393178112", error(file));
    }

    /**
     * Found by the round trip CheckpointFuzzTest asks of every checkpoint read (the input
     * is above its 4 KB inputs): a class name of 40000 NUL bytes read fine, since readUTF
     * takes NUL as one byte, but writeUTF needs two, so the checkpoint could not be saved
     * again (UncheckedIOException from toBytes, e.g. when a resumed run saves).
     */
    @Test
    void aClassNameThatCannotBeWrittenBackIsRefused() {
        int length = 40000;
        ByteBuffer payload = ByteBuffer.allocate(12 + 2 + length + 8 + 1);
        payload.putInt(1)
                .putInt(1)
                .putInt(1)
                .putShort((short) length)
                .put(new byte[length])
                .putFloat(0f)
                .putFloat(0f)
                .put((byte) 0);
        assertEquals(
                "x.s4j: corrupt model file: class name 0 is too long",
                error(CheckpointFuzzTest.envelope(2, payload.array())));
        // a NUL written by writeUTF (two bytes) still reads back
        Checkpoint c = Checkpoint.modelOnly(
                SoftmaxRegression.gaussian(1, 1, 1, 1), List.of("a\0b"), List.of(), org.softmax4j.data.Scaler.none());
        assertEquals(
                List.of("a\0b"), Checkpoint.fromBytes(c.toBytes(), "nul.s4j").classNames());
    }
}
