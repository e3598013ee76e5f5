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
import org.softmax4j.data.Scaler;

class CheckpointTest {
    private static final Dataset DATA = Synthetic.clusters("train", 1200, 32, 4, 80, 3);
    private static final List<String> NAMES = List.of("a", "b", "c", "d");
    /** DATA with class names, a feature name per column and a fitted scaler: every v3 field. */
    private static final Dataset NAMED = named();

    private static Dataset named() {
        List<String> features = new java.util.ArrayList<>();
        for (int j = 0; j < DATA.features(); j++) features.add("f" + j);
        int[] y = new int[DATA.size()];
        for (int i = 0; i < y.length; i++) y[i] = DATA.label(i);
        Dataset d = Dataset.of("named", DATA.matrix(), y, NAMES, features, DATA.scaler());
        return d.withScaler(org.softmax4j.data.Scaler.parse("standard").fit(d));
    }

    @TempDir
    Path dir;

    /** Settings that exercise every piece of state: momentum, a schedule, early stopping, a split. */
    private static TrainConfig config() {
        return TrainConfig.builder()
                .epochs(6)
                .batchSize(50)
                .lr(0.05f)
                .momentum(0.9f)
                .weightDecay(1e-3f)
                .schedule(LrSchedule.cosine(0.1f))
                .seed(42)
                .valFraction(0.2)
                .patience(100)
                .build();
    }

    private static TrainResult uninterrupted() {
        return new Trainer(Kernels.cpu(), config()).fit(DATA, null, null);
    }

    @Test
    void roundTripKeepsEverything() throws IOException {
        TrainResult r = uninterrupted();
        Path file = dir.resolve("m.s4j");
        Checkpoint.of(r.state(), config(), NAMED).save(file);
        // the streamed file and the in-memory bytes are one format, byte for byte
        assertArrayEquals(Checkpoint.of(r.state(), config(), NAMED).toBytes(), Files.readAllBytes(file));
        Checkpoint c = Checkpoint.load(file);
        assertEquals(config(), c.config());
        assertEquals(NAMES, c.classNames());
        assertEquals(NAMED.featureNames(), c.featureNames());
        assertEquals(NAMED.scaler(), c.scaler());
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
        Checkpoint c = Checkpoint.fromBytes(
                Checkpoint.modelOnly(m, List.of(), List.of(), Scaler.none()).toBytes(), "x");
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
                        Checkpoint.of(s, c, NAMED).save(file);
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
            assertEquals(
                    full.history().get(i).trainLoss(), resumed.history().get(i).trainLoss());
            assertEquals(
                    full.history().get(i).valLoss(), resumed.history().get(i).valLoss());
        }
    }

    @Test
    void everyFlippedByteIsDetected() {
        SoftmaxRegression m = SoftmaxRegression.gaussian(5, 3, 1, 1);
        TrainConfig c = config();
        TrainingState s = TrainingState.start(c, 5, 3);
        byte[] good = new Checkpoint(
                        s.model().copy(),
                        List.of("x", "y", "z"),
                        List.of("a", "b", "c", "d", "e"),
                        Scaler.none(),
                        c,
                        s.copy())
                .toBytes();
        Checkpoint.fromBytes(good, "good");
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x10;
            String msg = assertThrows(
                            CheckpointException.class, () -> Checkpoint.fromBytes(bad, "f.s4j"), "flipped byte " + i)
                    .getMessage();
            assertTrue(msg.startsWith("f.s4j: "), msg);
            assertTrue(
                    msg.contains("not a softmax4j model file")
                            || msg.contains("checksum mismatch")
                            || msg.contains("wrong length")
                            || msg.contains("truncated"),
                    msg);
        }
        assertTrue(Checkpoint.modelOnly(m, List.of(), List.of(), Scaler.none()).toBytes().length < good.length);
    }

    @Test
    void flippedByteInAFile() throws IOException {
        Path file = dir.resolve("model.s4j");
        Checkpoint.modelOnly(SoftmaxRegression.gaussian(784, 10, 0.01, 1), List.of(), List.of(), Scaler.none())
                .save(file);
        byte[] bytes = Files.readAllBytes(file);
        bytes[1000] ^= 1;
        Files.write(file, bytes);
        String msg = assertThrows(CheckpointException.class, () -> Checkpoint.load(file))
                .getMessage();
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
        byte[] bytes = Checkpoint.modelOnly(SoftmaxRegression.gaussian(4, 2, 1, 1), List.of(), List.of(), Scaler.none())
                .toBytes();
        ByteBuffer.wrap(bytes).putInt(8, 5);
        String msg = assertThrows(CheckpointException.class, () -> Checkpoint.fromBytes(resealed(bytes), "v5.s4j"))
                .getMessage();
        assertEquals("v5.s4j: model format version 5 is not supported (this softmax4j reads versions 1 to 4)", msg);
    }

    /**
     * A file of an older version: this version's bytes of a Fashion-MNIST-era
     * model (no names, scaler divide:255) with the newer fields cut out.
     */
    private static byte[] legacy(TrainResult r, int version) {
        byte[] v4 = Checkpoint.of(r.state(), config(), DATA).toBytes();
        int f = DATA.features(), c = DATA.classes();
        int names = 20 + 8 + 4 + 3 * c; // header, shape, class names "0".."3"
        List<int[]> cut = new java.util.ArrayList<>();
        if (version < 3) cut.add(new int[] {names, 4 + 7}); // v3: feature names (none), scaler divide (no arrays)
        cut.add(new int[] {names + 11, 2}); // v4: text flag (none), weight encoding (dense)
        int config = names + 13 + 4 * f * c + 4 * c + 1;
        if (version < 3) cut.add(new int[] {config + 58, 1}); // v3: stratify
        if (version == 1) cut.add(new int[] {config + 59 + 4 + 8 + 1, 20}); // v2: mid-epoch position
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int from = 0;
        for (int[] k : cut) {
            out.write(v4, from, k[0] - from);
            from = k[0] + k[1];
        }
        out.write(v4, from, v4.length - from);
        byte[] old = out.toByteArray();
        ByteBuffer.wrap(old).putInt(8, version).putLong(12, old.length - 24);
        return resealed(old);
    }

    /** Files of versions 1 to 3 (models of earlier releases) still load and resume. */
    @Test
    void olderVersionsStillLoad() {
        TrainResult r = uninterrupted();
        for (int version : new int[] {1, 2, 3}) {
            Checkpoint old = Checkpoint.fromBytes(legacy(r, version), "v" + version + ".s4j");
            assertTrue(old.state().model().sameParameters(r.state().model()), "version " + version);
            assertEquals(r.state().history(), old.state().history());
            assertEquals(0, old.state().batchesInEpoch());
            if (version < 3) {
                assertEquals(Scaler.divide(255), old.scaler());
                assertEquals(List.of(), old.featureNames());
                assertEquals(config(), old.config());
            }
        }
    }

    /** A file whose checksum is right but whose parameters are not finite is refused, naming the field. */
    @Test
    void nonFiniteParametersAreRefused() {
        SoftmaxRegression m = SoftmaxRegression.gaussian(3, 2, 1, 1);
        m.weights()[4] = Float.NaN;
        byte[] nan =
                Checkpoint.modelOnly(m, List.of(), List.of(), Scaler.none()).toBytes();
        assertEquals(
                "nan.s4j: corrupt model file: weights[4] is NaN",
                assertThrows(CheckpointException.class, () -> Checkpoint.fromBytes(nan, "nan.s4j"))
                        .getMessage());
        m.weights()[4] = 0;
        m.bias()[1] = Float.NEGATIVE_INFINITY;
        byte[] inf =
                Checkpoint.modelOnly(m, List.of(), List.of(), Scaler.none()).toBytes();
        assertEquals(
                "inf.s4j: corrupt model file: bias[1] is -Infinity",
                assertThrows(CheckpointException.class, () -> Checkpoint.fromBytes(inf, "inf.s4j"))
                        .getMessage());
    }

    /** A stop at any step (Ctrl-C) saves a position mid-epoch; the resumed run ends bit-identical. */
    @Test
    void resumeMidEpochEqualsUninterrupted() throws IOException {
        TrainResult full = uninterrupted();
        TrainConfig c = config();
        TrainingState state = TrainingState.start(c, DATA.features(), DATA.classes());
        new Trainer(Kernels.cpu(), c).resume(state, DATA, null, new TrainingListener() {
            @Override
            public void onBatch(int epoch, int batch, int batches, double epochLoss) {
                if (epoch == 2 && batch == 6) state.requestStop();
            }
        });
        assertEquals(2, state.epochsDone());
        assertEquals(7, state.batchesInEpoch());
        Path file = dir.resolve("interrupted.s4j");
        Checkpoint.of(state, c, NAMED).save(file);
        Checkpoint saved = Checkpoint.load(file);
        assertEquals(7, saved.state().batchesInEpoch());
        TrainResult resumed = new Trainer(Kernels.cpu(), saved.config()).resume(saved.state(), DATA, null, null);
        assertTrue(resumed.state().model().sameParameters(full.state().model()), "final weights differ");
        assertTrue(resumed.model().sameParameters(full.model()), "best weights differ");
        assertEquals(full.state().step(), resumed.state().step());
        assertEquals(0, resumed.state().batchesInEpoch());
        for (int i = 0; i < 6; i++) {
            assertEquals(
                    full.history().get(i).trainLoss(), resumed.history().get(i).trainLoss(), 1e-12);
            assertEquals(
                    full.history().get(i).valLoss(), resumed.history().get(i).valLoss());
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
        Checkpoint.modelOnly(SoftmaxRegression.gaussian(4, 2, 1, 1), List.of(), List.of(), Scaler.none())
                .save(file);
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
        byte[] bytes = Checkpoint.modelOnly(SoftmaxRegression.gaussian(4, 2, 1, 1), List.of(), List.of(), Scaler.none())
                .toBytes();
        String msg = assertThrows(
                        CheckpointException.class,
                        () -> Checkpoint.fromBytes(Arrays.copyOf(bytes, bytes.length - 10), "t"))
                .getMessage();
        assertTrue(msg.startsWith("t: truncated model file"), msg);
        Path png = dir.resolve("picture.png");
        Files.write(png, new byte[] {(byte) 0x89, 'P', 'N', 'G', 1, 2, 3, 4, 5, 6, 7, 8, 9});
        assertEquals(
                png + ": not a softmax4j model file (no S4JMODEL magic)",
                assertThrows(CheckpointException.class, () -> Checkpoint.load(png))
                        .getMessage());
        Path missing = dir.resolve("missing.s4j");
        assertEquals(
                missing + ": model file not found",
                assertThrows(CheckpointException.class, () -> Checkpoint.load(missing))
                        .getMessage());
    }

    @Test
    void savingReplacesAnExistingFile() throws IOException {
        Path file = dir.resolve("m.s4j");
        Files.writeString(file, "old");
        SoftmaxRegression m = SoftmaxRegression.gaussian(4, 2, 1, 1);
        Checkpoint.modelOnly(m, List.of(), List.of(), Scaler.none()).save(file);
        assertTrue(Checkpoint.load(file).model().sameParameters(m));
    }
}
