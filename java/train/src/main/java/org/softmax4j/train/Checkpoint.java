package org.softmax4j.train;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import org.softmax4j.data.Dataset;
import org.softmax4j.data.Scaler;
import org.softmax4j.data.TextFeatures;

/**
 * A saved model, optionally with everything needed to resume its training
 * bit-identically: the softmax4j model file ({@code .s4j}).
 *
 * <h2>File format, version 4</h2>
 * All numbers big-endian; floats IEEE 754. The header and trailer keep this
 * layout in every version, so any version's checksum can be verified:
 * <pre>
 * offset    size  field
 * 0         8     magic "S4JMODEL" (ASCII)
 * 8         4     format version, u32 (4; 1 to 3 are read too)
 * 12        8     payload length L, u64
 * 20        L     payload (below)
 * 20+L      4     CRC-32C of bytes [0, 20+L)
 * </pre>
 * Payload of version 4 (version 3 lacks the fields marked v4 and reads as no
 * text features, dense weights; versions 1 and 2, written for Fashion-MNIST only,
 * lack the fields marked v3 and read as feature names none, scaler
 * divide:255, stratify off; version 1 also lacks those marked v2):
 * <pre>
 * u32 features F, u32 classes C
 * u32 class-name count (0 or C), then each name: u16 length + modified UTF-8 (DataOutput.writeUTF)
 * v3: u32 feature-name count (0 or F), then each name as the class names
 * v3: the scaler: u8 kind (0 none, 1 divide, 2 standard, 3 minmax), f32 scale,
 *     u8 has shift; when 1: f32[F] shift; u8 has column scale; when 1: f32[F]
 * v4: u8 has text features; when 1: {@link TextFeatures#write}: u8 hash scheme, u8 hash bits,
 *     u8 n-grams, u8 flags (1 idf, 2 L2-normalised); with idf: f32[F] weights
 * v4: u8 weight encoding: 0 dense, 1 non-zero rows (u32 R, i32[R] increasing rows of W,
 *     f32[R*C] their values; every other row is 0), chosen when smaller
 * f32[F*C] W (row-major F x C) (dense encoding), f32[C] b   -- the model to predict with
 * u8 has-training-state (0 or 1); when 1:
 *   config: u32 epochs, u32 batch size, f32 lr, f32 momentum, f32 weight decay,
 *           u8 schedule (0 constant, 1 step, 2 cosine), u32 step epochs, f32 gamma (step)
 *           or final fraction (cosine), u64 seed, u8 shuffle, f64 validation fraction,
 *           u32 patience, f64 init std, v3: u8 stratify
 *   state:  u32 epochs done, u64 global step, u8 stopped early,
 *           v2: u32 steps done of the unfinished epoch (0 between epochs),
 *           v2: f64 its loss sum (mean loss x rows), v2: f64 its right guesses,
 *           f32[F*C] current W, f32[C] current b,
 *           u8 has momentum; when 1: f32[F*C] velocity of W, f32[C] velocity of b,
 *           f64 best validation loss, u32 best epoch, u32 epochs without improvement,
 *           u8 has best; when 1: f32[F*C] best W, f32[C] best b,
 *           u32 history length H, then H x (u32 epoch, f32 lr, f64 train loss,
 *           f64 train accuracy, f64 val loss, f64 val accuracy, f64 test loss,
 *           f64 test accuracy, f64 train seconds, f64 samples/s)
 * </pre>
 * The shuffling needs no saved RNG state: each epoch's order is derived from
 * the seed and the epoch number (see {@link Trainer}).
 *
 * Every float of the parameters and momentum buffers is finite: a file with
 * NaN or infinity there is refused, naming the field.
 *
 * <p>{@link #save} writes {@code .NAME.PID.tmp} in the same directory, forces
 * it to disk and renames it over the target, so a crash never leaves a
 * partial model file; what a killed process left behind is removed by the
 * next save to that directory. The file gets the permissions of any new file
 * (the umask). {@link #load} checks magic, length, checksum and version, in
 * that order, and throws {@link CheckpointException} naming the file and the problem.
 *
 * @param model        the parameters to predict with
 * @param classNames   the class names (empty when unknown)
 * @param featureNames the input columns' names (empty when unknown)
 * @param scaler       how stored features become inputs (fitted on the training set)
 * @param config       the training settings, or null for a model-only file
 * @param state        the training state to resume, or null for a model-only file
 */
public record Checkpoint(
        SoftmaxRegression model,
        List<String> classNames,
        List<String> featureNames,
        Scaler scaler,
        TrainConfig config,
        TrainingState state,
        TextFeatures text) {
    /** The format version this code writes and reads. */
    public static final int VERSION = 4;
    /** The oldest format version this code reads. */
    private static final int OLDEST = 1;

    private static final byte[] MAGIC = "S4JMODEL".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = 20;
    private static final int TRAILER = 4;

    public Checkpoint {
        if (model == null) throw new IllegalArgumentException("model is null");
        classNames = List.copyOf(classNames);
        if (!classNames.isEmpty() && classNames.size() != model.classes()) {
            throw new IllegalArgumentException(classNames.size() + " class names for " + model.classes() + " classes");
        }
        if ((config == null) != (state == null)) {
            throw new IllegalArgumentException("config and state go together");
        }
        featureNames = List.copyOf(featureNames);
        if (!featureNames.isEmpty() && featureNames.size() != model.features()) {
            throw new IllegalArgumentException(
                    featureNames.size() + " feature names for " + model.features() + " features");
        }
        if (scaler == null) throw new IllegalArgumentException("scaler is null");
        if (text != null && text.dimension() != model.features()) {
            throw new IllegalArgumentException(
                    "text features of " + text.dimension() + " buckets for " + model.features() + " features");
        }
        for (float[] a : new float[][] {scaler.shift(), scaler.colScale()}) {
            if (a != null && a.length != model.features()) {
                throw new IllegalArgumentException(
                        "a scaler of " + a.length + " columns for " + model.features() + " features");
            }
        }
    }

    /** A checkpoint without text features. */
    public Checkpoint(
            SoftmaxRegression model,
            List<String> classNames,
            List<String> featureNames,
            Scaler scaler,
            TrainConfig config,
            TrainingState state) {
        this(model, classNames, featureNames, scaler, config, state, null);
    }

    /** A text model without training state: raw text in, through {@code text}'s features. */
    public static Checkpoint textModel(SoftmaxRegression model, List<String> classNames, TextFeatures text) {
        return new Checkpoint(model, classNames, List.of(), Scaler.none(), null, null, text);
    }

    /**
     * A resumable checkpoint of a run (copies the state; the model is its
     * {@link TrainingState#inferenceModel()}), with the training data's
     * class and feature names and scaler.
     */
    public static Checkpoint of(TrainingState state, TrainConfig config, Dataset data) {
        TrainingState copy = state.copy();
        return new Checkpoint(
                copy.inferenceModel().copy(), data.classNames(), data.featureNames(), data.scaler(), config, copy);
    }

    /** A model without training state. */
    public static Checkpoint modelOnly(
            SoftmaxRegression model, List<String> classNames, List<String> featureNames, Scaler scaler) {
        return new Checkpoint(model, classNames, featureNames, scaler, null, null);
    }

    /** Whether training can resume from this file. */
    public boolean resumable() {
        return state != null;
    }

    // ---- writing ------------------------------------------------------------

    /**
     * Writes this checkpoint to {@code path} atomically (temporary file, fsync,
     * rename), streamed: a model of any size (4 GB of weights: 10^6 hashed
     * features x 1000 classes) needs no second copy in memory.
     */
    public void save(Path path) throws IOException {
        Path abs = path.toAbsolutePath();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        String prefix = "." + abs.getFileName() + ".";
        Path tmp = dir.resolve(prefix + ProcessHandle.current().pid() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(
                    tmp,
                    StandardOpenOption.READ,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                DataOutputStream out =
                        new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20));
                out.write(MAGIC);
                out.writeInt(VERSION);
                out.writeLong(0); // the payload's length, known once it is written
                writePayload(out);
                out.flush();
                long length = ch.size() - HEADER;
                writeFully(ch, ByteBuffer.allocate(8).putLong(0, length), 12);
                writeFully(ch, ByteBuffer.allocate(4).putInt(0, crc(ch, HEADER + length)), HEADER + length);
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        removeOrphans(dir, prefix);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) at += ch.write(b, at);
    }

    /** CRC-32C of the channel's first {@code bytes} bytes. */
    private static int crc(FileChannel ch, long bytes) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        for (long at = 0; at < bytes; ) {
            buf.clear().limit((int) Math.min(buf.capacity(), bytes - at));
            int n = ch.read(buf, at);
            if (n < 0) throw new EOFException("the file ends at " + at + " of " + bytes + " bytes");
            buf.flip();
            crc.update(buf);
            at += n;
        }
        return (int) crc.getValue();
    }

    /** Deletes {@code .NAME.PID.tmp} files of processes that no longer run (killed mid-save). */
    private static void removeOrphans(Path dir, String prefix) {
        try (var files = Files.newDirectoryStream(
                dir,
                f -> f.getFileName().toString().startsWith(prefix)
                        && f.getFileName().toString().endsWith(".tmp"))) {
            for (Path f : files) {
                String pid = f.getFileName().toString();
                pid = pid.substring(prefix.length(), pid.length() - ".tmp".length());
                try {
                    if (ProcessHandle.of(Long.parseLong(pid)).isEmpty()) Files.deleteIfExists(f);
                } catch (NumberFormatException | IOException e) {
                    // not ours, or gone already
                }
            }
        } catch (IOException e) {
            // the model is saved; leftovers are only clutter
        }
    }

    /** The file's bytes. */
    public byte[] toBytes() {
        try {
            ByteArrayOutputStream payload = new ByteArrayOutputStream(1 << 16);
            writePayload(new DataOutputStream(payload));
            ByteArrayOutputStream file = new ByteArrayOutputStream(payload.size() + HEADER + TRAILER);
            DataOutputStream out = new DataOutputStream(file);
            out.write(MAGIC);
            out.writeInt(VERSION);
            out.writeLong(payload.size());
            payload.writeTo(out);
            CRC32C crc = new CRC32C();
            crc.update(file.toByteArray());
            out.writeInt((int) crc.getValue());
            out.flush();
            return file.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in-memory streams do not fail
        }
    }

    private void writePayload(DataOutputStream out) throws IOException {
        out.writeInt(model.features());
        out.writeInt(model.classes());
        out.writeInt(classNames.size());
        for (String name : classNames) out.writeUTF(name);
        out.writeInt(featureNames.size());
        for (String name : featureNames) out.writeUTF(name);
        out.writeByte(scaler.kind().ordinal());
        out.writeFloat(scaler.scale());
        for (float[] a : new float[][] {scaler.shift(), scaler.colScale()}) {
            out.writeByte(a == null ? 0 : 1);
            if (a != null) writeFloats(out, a);
        }
        out.writeByte(text == null ? 0 : 1);
        if (text != null) text.write(out);
        writeWeights(out, model);
        writeFloats(out, model.bias());
        out.writeByte(state == null ? 0 : 1);
        if (state == null) return;
        TrainConfig c = config;
        out.writeInt(c.epochs());
        out.writeInt(c.batchSize());
        out.writeFloat(c.lr());
        out.writeFloat(c.momentum());
        out.writeFloat(c.weightDecay());
        switch (c.schedule()) {
            case LrSchedule.Constant k -> {
                out.writeByte(0);
                out.writeInt(0);
                out.writeFloat(0f);
            }
            case LrSchedule.Step s -> {
                out.writeByte(1);
                out.writeInt(s.everyEpochs());
                out.writeFloat(s.gamma());
            }
            case LrSchedule.Cosine s -> {
                out.writeByte(2);
                out.writeInt(0);
                out.writeFloat(s.minFraction());
            }
        }
        out.writeLong(c.seed());
        out.writeByte(c.shuffle() ? 1 : 0);
        out.writeDouble(c.valFraction());
        out.writeInt(c.patience());
        out.writeDouble(c.initStd());
        out.writeByte(c.stratify() ? 1 : 0);

        TrainingState s = state;
        out.writeInt(s.epochsDone);
        out.writeLong(s.step);
        out.writeByte(s.stoppedEarly ? 1 : 0);
        out.writeInt(s.batchesInEpoch);
        out.writeDouble(s.epochLossSum);
        out.writeDouble(s.epochCorrect);
        writeFloats(out, s.model.weights());
        writeFloats(out, s.model.bias());
        out.writeByte(s.velocityW == null ? 0 : 1);
        if (s.velocityW != null) {
            writeFloats(out, s.velocityW);
            writeFloats(out, s.velocityB);
        }
        out.writeDouble(s.bestValLoss);
        out.writeInt(s.bestEpoch);
        out.writeInt(s.badEpochs);
        out.writeByte(s.best == null ? 0 : 1);
        if (s.best != null) {
            writeFloats(out, s.best.weights());
            writeFloats(out, s.best.bias());
        }
        out.writeInt(s.history.size());
        for (EpochMetrics m : s.history) {
            out.writeInt(m.epoch());
            out.writeFloat(m.lr());
            for (double d : new double[] {
                m.trainLoss(),
                m.trainAccuracy(),
                m.valLoss(),
                m.valAccuracy(),
                m.testLoss(),
                m.testAccuracy(),
                m.trainSeconds(),
                m.samplesPerSecond()
            }) {
                out.writeDouble(d);
            }
        }
    }

    /** W dense, or only its non-zero rows when that is smaller (a sparse model: most hashed rows unused). */
    private static void writeWeights(DataOutputStream out, SoftmaxRegression m) throws IOException {
        int f = m.features(), c = m.classes();
        float[] w = m.weights();
        // one scan of W (hundreds of MB for hashed text features) finds the rows to write
        int[] rows = new int[1024];
        int nonZero = 0;
        for (int i = 0; i < f; i++) {
            if (zeroRow(w, i, c)) continue;
            if (nonZero == rows.length) rows = Arrays.copyOf(rows, 2 * nonZero);
            rows[nonZero++] = i;
        }
        if ((long) nonZero * (4L * c + 4) + 4 >= 4L * f * c) {
            out.writeByte(0);
            writeFloats(out, w);
            return;
        }
        out.writeByte(1);
        out.writeInt(nonZero);
        for (int r = 0; r < nonZero; r++) out.writeInt(rows[r]);
        ByteBuffer buf = ByteBuffer.allocate(Math.max(c, FLOAT_CHUNK) * Float.BYTES); // big-endian
        for (int r = 0; r < nonZero; ) { // runs of rows, a buffer at a time
            buf.clear();
            FloatBuffer floats = buf.asFloatBuffer();
            for (; r < nonZero && floats.remaining() >= c; r++) floats.put(w, rows[r] * c, c);
            out.write(buf.array(), 0, floats.position() * Float.BYTES);
        }
    }

    private static boolean zeroRow(float[] w, int row, int c) {
        for (int j = row * c, end = j + c; j < end; j++) if (w[j] != 0f) return false;
        return true;
    }

    private static void writeFloats(DataOutputStream out, float[] a) throws IOException {
        writeFloats(out, a, 0, a.length);
    }

    /** a[from, from + count) big-endian, through a bounded buffer (arrays of 4 GB). */
    private static void writeFloats(DataOutputStream out, float[] a, int from, int count) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(Math.min(count, FLOAT_CHUNK) * Float.BYTES); // big-endian
        for (int at = from, end = from + count; at < end; ) {
            int n = Math.min(FLOAT_CHUNK, end - at);
            buf.clear();
            buf.asFloatBuffer().put(a, at, n);
            out.write(buf.array(), 0, n * Float.BYTES);
            at += n;
        }
    }

    private static final int FLOAT_CHUNK = 1 << 18;

    // ---- reading ------------------------------------------------------------

    /**
     * Reads a model file.
     *
     * @throws CheckpointException when it is missing, not a model file, truncated,
     *     corrupt (checksum mismatch), of another format version, or inconsistent
     */
    public static Checkpoint load(Path path) {
        try {
            try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
                return parse(new FileSource(ch), path.toString());
            }
        } catch (NoSuchFileException e) {
            throw new CheckpointException(path + ": model file not found");
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot read the model file (" + e + ")", e);
        }
    }

    /** Where a model file's bytes come from: an array, or a file read in pieces (above 2 GB too). */
    private interface Source {
        long size() throws IOException;

        /** n bytes at {@code at}. */
        ByteBuffer read(long at, int n) throws IOException;

        /** The bytes [at, at + n) as a stream. */
        InputStream stream(long at, long n) throws IOException;
    }

    private record ArraySource(byte[] bytes) implements Source {
        public long size() {
            return bytes.length;
        }

        public ByteBuffer read(long at, int n) {
            return ByteBuffer.wrap(Arrays.copyOfRange(bytes, (int) at, (int) at + n));
        }

        public InputStream stream(long at, long n) {
            return new ByteArrayInputStream(bytes, (int) at, (int) n);
        }
    }

    private record FileSource(FileChannel ch) implements Source {
        public long size() throws IOException {
            return ch.size();
        }

        public ByteBuffer read(long at, int n) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(n);
            while (b.hasRemaining()) {
                if (ch.read(b, at + b.position()) < 0) throw new EOFException();
            }
            return b.flip();
        }

        public InputStream stream(long at, long n) {
            return new BufferedInputStream(
                    new InputStream() {
                        long pos = at, end = at + n;

                        @Override
                        public int read() throws IOException {
                            byte[] one = new byte[1];
                            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                        }

                        @Override
                        public int read(byte[] b, int off, int len) throws IOException {
                            if (pos >= end) return -1;
                            int r = ch.read(ByteBuffer.wrap(b, off, (int) Math.min(len, end - pos)), pos);
                            if (r > 0) pos += r;
                            return r;
                        }
                    },
                    1 << 20);
        }
    }

    /** Parses a model file's bytes; {@code name} names it in messages. */
    public static Checkpoint fromBytes(byte[] bytes, String name) {
        try {
            return parse(new ArraySource(bytes), name);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // arrays do not fail
        }
    }

    /** The checks in order (magic, length, checksum, version), then the payload. */
    private static Checkpoint parse(Source src, String name) throws IOException {
        long size = src.size();
        if (size < MAGIC.length || !Arrays.equals(src.read(0, MAGIC.length).array(), MAGIC)) {
            throw new CheckpointException(name + ": not a softmax4j model file (no S4JMODEL magic)");
        }
        if (size < HEADER + TRAILER) {
            throw new CheckpointException(name + ": truncated model file (" + size + " bytes)");
        }
        ByteBuffer buf = src.read(0, HEADER);
        int version = buf.getInt(8);
        long length = buf.getLong(12);
        long expected = HEADER + length + TRAILER;
        if (length < 0 || expected != size) {
            throw new CheckpointException(name + ": "
                    + (length >= 0 && size < expected ? "truncated model file" : "corrupt model file (wrong length)")
                    + ": the header "
                    + "announces " + (length >= 0 ? expected : "an invalid number of") + " bytes, the file has "
                    + size);
        }
        CRC32C crc = new CRC32C();
        try (InputStream all = src.stream(0, HEADER + length)) {
            byte[] chunk = new byte[1 << 16];
            for (int n; (n = all.read(chunk)) > 0; ) crc.update(chunk, 0, n);
        }
        int stored = src.read(HEADER + length, TRAILER).getInt(0);
        if ((int) crc.getValue() != stored) {
            throw new CheckpointException(name + ": corrupt model file: checksum mismatch (CRC-32C "
                    + String.format("%08x, stored %08x", (int) crc.getValue(), stored) + ")");
        }
        if (version < OLDEST || version > VERSION) {
            throw new CheckpointException(name + ": model format version " + version
                    + " is not supported (this softmax4j reads versions " + OLDEST + " to " + VERSION + ")");
        }
        try (InputStream payload = src.stream(HEADER, length)) {
            DataInputStream in = new DataInputStream(payload);
            Checkpoint c = readPayload(in, length, version);
            long left = 0;
            byte[] rest = new byte[4096];
            for (int n; (n = in.read(rest)) > 0; ) left += n;
            if (left != 0) {
                throw new CheckpointException(
                        name + ": corrupt model file: " + left + " unexpected bytes at the end of the payload");
            }
            return c;
        } catch (EOFException e) {
            throw new CheckpointException(name + ": corrupt model file: the payload ends early", e);
        } catch (IOException | IllegalArgumentException e) {
            throw new CheckpointException(name + ": corrupt model file: " + e.getMessage(), e);
        }
    }

    private static Checkpoint readPayload(DataInputStream in, long length, int version) throws IOException {
        int features = in.readInt(), classes = in.readInt();
        // dense weights must fit in the payload; rows-encoded ones (v4) in an array
        long limit = version >= 4 ? Integer.MAX_VALUE - 8 : length / Float.BYTES;
        if (features < 1 || classes < 1 || (long) features * classes > limit) { // no overflow
            throw new IOException("invalid shape " + features + " x " + classes);
        }
        int names = in.readInt();
        if (names != 0 && names != classes) throw new IOException(names + " class names for " + classes + " classes");
        List<String> classNames = new ArrayList<>(names);
        for (int i = 0; i < names; i++) classNames.add(readName(in, "class name " + i));
        List<String> featureNames = new ArrayList<>();
        Scaler scaler = Scaler.divide(255);
        if (version >= 3) {
            int fn = in.readInt();
            if (fn != 0 && fn != features) throw new IOException(fn + " feature names for " + features + " features");
            for (int i = 0; i < fn; i++) featureNames.add(readName(in, "feature name " + i));
            int kind = in.readUnsignedByte();
            if (kind >= Scaler.Kind.values().length) throw new IOException("unknown scaler kind " + kind);
            float scale = in.readFloat();
            float[] shift = readFlag(in) ? readFloats(in, features, "scaler shift") : null;
            float[] colScale = readFlag(in) ? readFloats(in, features, "scaler column scale") : null;
            try {
                scaler = new Scaler(Scaler.Kind.values()[kind], scale, shift, colScale);
            } catch (IllegalArgumentException e) {
                throw new IOException("invalid scaler: " + e.getMessage());
            }
        }
        TextFeatures text = null;
        float[] weights;
        if (version >= 4) {
            if (readFlag(in)) {
                text = TextFeatures.read(in);
                if (text.dimension() != features) {
                    throw new IOException(
                            "text features of " + text.dimension() + " buckets for " + features + " features");
                }
            }
            weights = readWeights(in, features, classes, length);
        } else {
            weights = readFloats(in, features * classes, "weights");
        }
        SoftmaxRegression model = new SoftmaxRegression(features, classes, weights, readFloats(in, classes, "bias"));
        int hasState = in.readUnsignedByte();
        if (hasState == 0) return new Checkpoint(model, classNames, featureNames, scaler, null, null, text);
        if (text != null) throw new IOException("a text model with training state (not written by softmax4j)");
        if (hasState != 1) throw new IOException("invalid training-state flag " + hasState);

        int epochs = in.readInt(), batchSize = in.readInt();
        float lr = in.readFloat(), momentum = in.readFloat(), weightDecay = in.readFloat();
        int kind = in.readUnsignedByte();
        int stepEpochs = in.readInt();
        float param = in.readFloat();
        LrSchedule schedule = switch (kind) {
            case 0 -> LrSchedule.constant();
            case 1 -> LrSchedule.step(stepEpochs, param);
            case 2 -> LrSchedule.cosine(param);
            default -> throw new IOException("unknown learning-rate schedule " + kind);
        };
        long seed = in.readLong();
        boolean shuffle = readFlag(in);
        double valFraction = in.readDouble();
        int patience = in.readInt();
        double initStd = in.readDouble();
        boolean stratify = version >= 3 && readFlag(in);
        TrainConfig config = new TrainConfig(
                epochs,
                batchSize,
                lr,
                momentum,
                weightDecay,
                schedule,
                seed,
                shuffle,
                valFraction,
                patience,
                initStd,
                stratify);

        int epochsDone = in.readInt();
        long step = in.readLong();
        boolean stoppedEarly = readFlag(in);
        int batchesInEpoch = version >= 2 ? in.readInt() : 0;
        double epochLossSum = version >= 2 ? in.readDouble() : 0;
        double epochCorrect = version >= 2 ? in.readDouble() : 0;
        SoftmaxRegression current = new SoftmaxRegression(
                features,
                classes,
                readFloats(in, features * classes, "training state: weights"),
                readFloats(in, classes, "training state: bias"));
        boolean hasVelocity = readFlag(in);
        float[] vw = hasVelocity ? readFloats(in, features * classes, "momentum of the weights") : null;
        float[] vb = hasVelocity ? readFloats(in, classes, "momentum of the bias") : null;
        if (hasVelocity != (momentum != 0)) throw new IOException("momentum buffers do not match momentum " + momentum);
        TrainingState s = new TrainingState(current, vw, vb);
        s.epochsDone = epochsDone;
        s.step = step;
        s.stoppedEarly = stoppedEarly;
        s.batchesInEpoch = batchesInEpoch;
        s.epochLossSum = epochLossSum;
        s.epochCorrect = epochCorrect;
        s.bestValLoss = in.readDouble();
        s.bestEpoch = in.readInt();
        s.badEpochs = in.readInt();
        if (readFlag(in)) {
            s.best = new SoftmaxRegression(
                    features,
                    classes,
                    readFloats(in, features * classes, "best weights"),
                    readFloats(in, classes, "best bias"));
        }
        int history = in.readInt();
        if (history < 0
                || epochsDone < 0
                || step < 0
                || history > epochsDone
                || batchesInEpoch < 0
                || !Double.isFinite(epochLossSum)
                || !(epochCorrect >= 0)) {
            throw new IOException("invalid progress: " + epochsDone + " epochs, step " + step + ", " + history
                    + " history entries, " + batchesInEpoch + " steps into the next");
        }
        for (int i = 0; i < history; i++) {
            int epoch = in.readInt();
            float elr = in.readFloat();
            double[] d = new double[8];
            for (int j = 0; j < d.length; j++) d[j] = in.readDouble();
            s.history.add(new EpochMetrics(epoch, elr, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]));
        }
        return new Checkpoint(model, classNames, featureNames, scaler, config, s);
    }

    /** What {@link #writeWeights} wrote. */
    private static float[] readWeights(DataInputStream in, int f, int c, long length) throws IOException {
        int encoding = in.readUnsignedByte();
        if (encoding == 0) {
            if ((long) f * c > length / Float.BYTES) throw new IOException("invalid shape " + f + " x " + c);
            return readFloats(in, f * c, "weights");
        }
        if (encoding != 1) throw new IOException("unknown weight encoding " + encoding);
        int rows = in.readInt();
        if (rows < 0 || rows > f || (long) rows * c > length / Float.BYTES) {
            throw new IOException(rows + " non-zero weight rows of " + f);
        }
        int[] index = new int[rows];
        for (int r = 0; r < rows; r++) {
            index[r] = in.readInt();
            if (index[r] < 0 || index[r] >= f || (r > 0 && index[r] <= index[r - 1])) {
                throw new IOException("weight row " + index[r] + " (entry " + r + ") is out of order or range");
            }
        }
        float[] w = new float[f * c];
        for (int r = 0; r < rows; r++) readFloats(in, w, index[r] * c, c, "weights of row " + index[r]);
        return w;
    }

    /** A name that can be written back: readUTF takes a NUL as one byte, writeUTF writes two. */
    private static String readName(DataInputStream in, String what) throws IOException {
        String name = in.readUTF();
        if (utfLength(name) > 0xffff) throw new IOException(what + " is too long");
        return name;
    }

    /** The bytes {@link DataOutputStream#writeUTF} takes for s (modified UTF-8). */
    private static long utfLength(String s) {
        long bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            bytes += ch >= 1 && ch <= 0x7f ? 1 : ch <= 0x7ff ? 2 : 3;
        }
        return bytes;
    }

    private static boolean readFlag(DataInputStream in) throws IOException {
        int b = in.readUnsignedByte();
        if (b > 1) throw new IOException("invalid flag byte " + b);
        return b == 1;
    }

    /** count floats, all finite: {@code what} names the field in the error. */
    private static float[] readFloats(DataInputStream in, int count, String what) throws IOException {
        float[] a = new float[count];
        readFloats(in, a, 0, count, what);
        return a;
    }

    /** count floats into a[from, from + count), through a bounded buffer (arrays of 4 GB). */
    private static void readFloats(DataInputStream in, float[] a, int from, int count, String what) throws IOException {
        byte[] raw = new byte[Math.min(count, FLOAT_CHUNK) * Float.BYTES];
        for (int at = from, end = from + count; at < end; ) {
            int n = Math.min(FLOAT_CHUNK, end - at);
            in.readFully(raw, 0, n * Float.BYTES);
            ByteBuffer.wrap(raw, 0, n * Float.BYTES).asFloatBuffer().get(a, at, n);
            at += n;
        }
        for (int i = from; i < from + count; i++) {
            if (!Float.isFinite(a[i])) throw new IOException(what + "[" + (i - from) + "] is " + a[i]);
        }
    }
}
