package org.softmax4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.softmax4j.Kernels;
import org.softmax4j.data.Dataset;

class CheckpointTest {
    private static final Dataset DATA = Synthetic.clusters("train", 1200, 32, 4, 80, 3);
    private static final List<String> NAMES = List.of("a", "b", "c", "d");

    @TempDir
    Path dir;

    /** Settings that exercise every piece of state: momentum, a schedule, early stopping, a split. */
    private static TrainConfig config() {
        return TrainConfig.builder().epochs(6).batchSize(50).lr(0.05f).momentum(0.9f)
                .weightDecay(1e-3f).schedule(LrSchedule.cosine(0.1f)).seed(42).valFraction(0.2)
                .patience(100).build();
    }

    private static TrainResult uninterrupted() {
        return new Trainer(Kernels.cpu(), config()).fit(DATA, null, null);
    }

    @Test
    void roundTripKeepsEverything() throws IOException {
        TrainResult r = uninterrupted();
        Path file = dir.resolve("m.s4j");
        Checkpoint.of(r.state(), config(), NAMES).save(file);
        Checkpoint c = Checkpoint.load(file);
        assertEquals(config(), c.config());
        assertEquals(NAMES, c.classNames());
        assertTrue(c.model().sameParameters(r.model()));
        TrainingState a = r.state(), b = c.state();
        assertTrue(a.model().sameParameters(b.model()));
        assertArrayEquals(a.velocityW, b.velocityW);
        assertArrayEquals(a.velocityB, b.velocityB);
        assertTrue(a.bestModel().sameParameters(b.bestModel()));
        assertEquals(a.bestValLoss(), b.bestValLoss());
        assertEquals(a.bestEpoch(), b.bestEpoch());
        assertEquals(a.badEpochs, b.badEpochs);
        assertEquals(a.epochsDone(), b.epochsDone());
        assertEquals(a.step(), b.step());
        assertEquals(a.history(), b.history());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file left behind");
        }
    }

    @Test
    void modelOnlyFile() {
        SoftmaxRegression m = SoftmaxRegression.gaussian(3, 2, 1, 1);
        Checkpoint c = Checkpoint.fromBytes(Checkpoint.modelOnly(m, List.of()).toBytes(), "x");
        assertTrue(c.model().sameParameters(m));
        assertFalse(c.resumable());
        assertNull(c.config());
        assertEquals(List.of(), c.classNames());
    }

    @Test
    void resumeEqualsUninterrupted() throws IOException {
        TrainResult full = uninterrupted();
        Path file = dir.resolve("ckpt.s4j");
        TrainConfig c = config();
        new Trainer(Kernels.cpu(), c).fit(DATA, null, new TrainingListener() {
            @Override
            public void onEpoch(EpochMetrics m, TrainingState s) {
                if (m.epoch() == 2) {
                    try {
                        Checkpoint.of(s, c, NAMES).save(file);
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                    s.requestStop();
                }
            }
        });
        Checkpoint saved = Checkpoint.load(file);
        assertEquals(2, saved.state().epochsDone());
        TrainResult resumed = new Trainer(Kernels.cpu(), saved.config()).resume(saved.state(), DATA, null, null);
        assertTrue(resumed.model().sameParameters(full.model()), "best weights differ");
        assertTrue(resumed.state().model().sameParameters(full.state().model()), "final weights differ");
        assertArrayEquals(full.state().velocityW, resumed.state().velocityW);
        assertEquals(full.state().step(), resumed.state().step());
        assertEquals(6, resumed.history().size());
        for (int i = 0; i < 6; i++) {
            assertEquals(full.history().get(i).trainLoss(), resumed.history().get(i).trainLoss());
            assertEquals(full.history().get(i).valLoss(), resumed.history().get(i).valLoss());
        }
    }

    @Test
    void everyFlippedByteIsDetected() {
        SoftmaxRegression m = SoftmaxRegression.gaussian(5, 3, 1, 1);
        TrainConfig c = config();
        TrainingState s = TrainingState.start(c, 5, 3);
        byte[] good = Checkpoint.of(s, c, List.of("x", "y", "z")).toBytes();
        Checkpoint.fromBytes(good, "good");
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x10;
            String msg = assertThrows(CheckpointException.class, () -> Checkpoint.fromBytes(bad, "f.s4j"),
                    "flipped byte " + i).getMessage();
            assertTrue(msg.startsWith("f.s4j: "), msg);
            assertTrue(msg.contains("not a softmax4j model file") || msg.contains("checksum mismatch")
                    || msg.contains("wrong length") || msg.contains("truncated"), msg);
        }
        assertTrue(Checkpoint.modelOnly(m, List.of()).toBytes().length < good.length);
    }

    @Test
    void flippedByteInAFile() throws IOException {
        Path file = dir.resolve("model.s4j");
        Checkpoint.modelOnly(SoftmaxRegression.gaussian(784, 10, 0.01, 1), List.of()).save(file);
        byte[] bytes = Files.readAllBytes(file);
        bytes[1000] ^= 1;
        Files.write(file, bytes);
        String msg = assertThrows(CheckpointException.class, () -> Checkpoint.load(file)).getMessage();
        assertEquals(file + ": corrupt model file: checksum mismatch", msg.substring(0, msg.indexOf(" (CRC")));
    }

    /** Rewrites the checksum after a test edited the bytes, so that only the edit is wrong. */
    private static byte[] resealed(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        ByteBuffer.wrap(bytes).putInt(bytes.length - 4, (int) crc.getValue());
        return bytes;
    }

    @Test
    void wrongVersionIsNamed() {
        byte[] bytes = Checkpoint.modelOnly(SoftmaxRegression.gaussian(4, 2, 1, 1), List.of()).toBytes();
        ByteBuffer.wrap(bytes).putInt(8, 3);
        String msg = assertThrows(CheckpointException.class,
                () -> Checkpoint.fromBytes(resealed(bytes), "v3.s4j")).getMessage();
        assertEquals("v3.s4j: model format version 3 is not supported (this softmax4j reads versions 1 to 2)", msg);
    }

    /** A version-1 file (as written before mid-epoch stops existed) still loads and resumes. */
    @Test
    void versionOneStillLoads() {
        TrainResult r = uninterrupted();
        byte[] v2 = Checkpoint.of(r.state(), config(), List.of()).toBytes();
        int f = 32, c = 4;
        // header, shape, no names, W, b, state flag, config (58 bytes), epochs, step, stopped early
        int at = 20 + 12 + 4 * f * c + 4 * c + 1 + 58 + 4 + 8 + 1;
        assertEquals(0, ByteBuffer.wrap(v2).getInt(at), "the v2 field: steps into the next epoch");
        byte[] v1 = new byte[v2.length - 20];
        System.arraycopy(v2, 0, v1, 0, at);
        System.arraycopy(v2, at + 20, v1, at, v2.length - at - 20);
        ByteBuffer.wrap(v1).putInt(8, 1).putLong(12, v1.length - 24);
        Checkpoint old = Checkpoint.fromBytes(resealed(v1), "v1.s4j");
        assertTrue(old.state().model().sameParameters(r.state().model()));
        assertEquals(r.state().history(), old.state().history());
        assertEquals(0, old.state().batchesInEpoch());
    }

    /** A file whose checksum is right but whose parameters are not finite is refused, naming the field. */
    @Test
    void nonFiniteParametersAreRefused() {
        SoftmaxRegression m = SoftmaxRegression.gaussian(3, 2, 1, 1);
        m.weights()[4] = Float.NaN;
        byte[] nan = Checkpoint.modelOnly(m, List.of()).toBytes();
        assertEquals("nan.s4j: corrupt model file: weights[4] is NaN", assertThrows(CheckpointException.class,
                () -> Checkpoint.fromBytes(nan, "nan.s4j")).getMessage());
        m.weights()[4] = 0;
        m.bias()[1] = Float.NEGATIVE_INFINITY;
        byte[] inf = Checkpoint.modelOnly(m, List.of()).toBytes();
        assertEquals("inf.s4j: corrupt model file: bias[1] is -Infinity", assertThrows(CheckpointException.class,
                () -> Checkpoint.fromBytes(inf, "inf.s4j")).getMessage());
    }

    /** A stop at any step (Ctrl-C) saves a position mid-epoch; the resumed run ends bit-identical. */
    @Test
    void resumeMidEpochEqualsUninterrupted() throws IOException {
        TrainResult full = uninterrupted();
        TrainConfig c = config();
        TrainingState state = TrainingState.start(c, DATA.features(), DATA.classes());
        new Trainer(Kernels.cpu(), c).resume(state, DATA, null, new TrainingListener() {
            @Override
            public void onBatch(int epoch, int batch, int batches) {
                if (epoch == 2 && batch == 6) state.requestStop();
            }
        });
        assertEquals(2, state.epochsDone());
        assertEquals(7, state.batchesInEpoch());
        Path file = dir.resolve("interrupted.s4j");
        Checkpoint.of(state, c, NAMES).save(file);
        Checkpoint saved = Checkpoint.load(file);
        assertEquals(7, saved.state().batchesInEpoch());
        TrainResult resumed = new Trainer(Kernels.cpu(), saved.config()).resume(saved.state(), DATA, null, null);
        assertTrue(resumed.state().model().sameParameters(full.state().model()), "final weights differ");
        assertTrue(resumed.model().sameParameters(full.model()), "best weights differ");
        assertEquals(full.state().step(), resumed.state().step());
        assertEquals(0, resumed.state().batchesInEpoch());
        for (int i = 0; i < 6; i++) {
            assertEquals(full.history().get(i).trainLoss(), resumed.history().get(i).trainLoss(), 1e-12);
            assertEquals(full.history().get(i).valLoss(), resumed.history().get(i).valLoss());
        }
    }

    /** Temporary files of a killed save are removed by the next save; new files get the umask's permissions. */
    @Test
    void orphanedTemporaryFilesAreRemoved() throws IOException {
        Path file = dir.resolve("model.s4j");
        Path orphan = dir.resolve(".model.s4j.999999999.tmp"); // no such process
        Files.writeString(orphan, "half a model");
        Path other = dir.resolve(".other.s4j.999999999.tmp");
        Files.writeString(other, "not ours");
        Checkpoint.modelOnly(SoftmaxRegression.gaussian(4, 2, 1, 1), List.of()).save(file);
        assertFalse(Files.exists(orphan));
        assertTrue(Files.exists(other), "another file's leftovers are its own save's business");
        Path plain = dir.resolve("plain");
        Files.writeString(plain, "x");
        if (Files.getFileStore(dir).supportsFileAttributeView("posix")) {
            assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(file));
        }
    }

    @Test
    void truncatedAndForeignFiles() throws IOException {
        byte[] bytes = Checkpoint.modelOnly(SoftmaxRegression.gaussian(4, 2, 1, 1), List.of()).toBytes();
        String msg = assertThrows(CheckpointException.class,
                () -> Checkpoint.fromBytes(Arrays.copyOf(bytes, bytes.length - 10), "t")).getMessage();
        assertTrue(msg.startsWith("t: truncated model file"), msg);
        Path png = dir.resolve("picture.png");
        Files.write(png, new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3, 4, 5, 6, 7, 8, 9});
        assertEquals(png + ": not a softmax4j model file (no S4JMODEL magic)",
                assertThrows(CheckpointException.class, () -> Checkpoint.load(png)).getMessage());
        Path missing = dir.resolve("missing.s4j");
        assertEquals(missing + ": model file not found",
                assertThrows(CheckpointException.class, () -> Checkpoint.load(missing)).getMessage());
    }

    @Test
    void savingReplacesAnExistingFile() throws IOException {
        Path file = dir.resolve("m.s4j");
        Files.writeString(file, "old");
        SoftmaxRegression m = SoftmaxRegression.gaussian(4, 2, 1, 1);
        Checkpoint.modelOnly(m, List.of()).save(file);
        assertTrue(Checkpoint.load(file).model().sameParameters(m));
    }
}
