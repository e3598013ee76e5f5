package org.softmax4j.data;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
import org.softmax4j.DType;

/**
 * The binary, memory-mapped form of a parsed data set: what a reader
 * writes once, row by row, so that training gathers batches from the
 * mapping ({@link Features} over the file) and never holds the data on the
 * heap, and a later run with the same source and options skips the parsing.
 *
 * <h2>File format, version 1</h2>
 * Numbers little-endian (the layout the kernels read in place):
 * <pre>
 * offset  size  field
 * 0       8     magic "S4JCACHE"
 * 8       4     version (1)
 * 12      4     element type: 0 float32, 3 uint8 (softmax4j.h's S4J_F32, S4J_U8)
 * 16      8     rows R
 * 24      4     columns D
 * 28      4     0 (reserved)
 * 32      8     offset of the labels L
 * 40      8     offset of the metadata M
 * 48      8     length of the metadata
 * 56      4     CRC-32C of every byte from 64 to the end of the metadata
 * 60      4     CRC-32C of bytes [0, 60)
 * 64      R*D   features, row-major, of the element type
 * L       4*R   labels: int32 class indices
 * M             metadata (java.io.DataOutput, big-endian): UTF fingerprint of the
 *               source and reader options; u32 class count and each class name
 *               (UTF); u32 feature-name count (0 or D) and each name (UTF);
 *               a boolean, whether the labels are known (else they read 0)
 * </pre>
 * {@link Writer} writes to a temporary file of the same folder and renames
 * it into place when complete, so a cache file is whole or absent; {@link #open}
 * checks the magic, version, lengths and both checksums and throws a
 * {@link DataException} naming the file and the problem.
 */
public final class FeatureCache {
    private static final byte[] MAGIC = "S4JCACHE".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    private static final int PREFIX = 64;
    private static final ValueLayout.OfFloat LE_FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private FeatureCache() {}

    /** What a cache file holds besides the features. */
    public record Contents(Dataset dataset, String fingerprint) {}

    /**
     * Maps a cache file.
     *
     * @throws DataException when it is missing, not a cache file, truncated or corrupt
     */
    public static Contents open(Path file, String name) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < PREFIX) throw corrupt(file, "truncated (" + size + " bytes)");
            ByteBuffer p = ByteBuffer.allocate(PREFIX).order(ByteOrder.LITTLE_ENDIAN);
            while (p.hasRemaining() && ch.read(p, p.position()) > 0) {}
            p.flip();
            byte[] magic = new byte[8];
            p.get(magic);
            if (!Arrays.equals(magic, MAGIC)) throw corrupt(file, "not a softmax4j cache file");
            CRC32C head = new CRC32C();
            head.update(p.array(), 0, 60);
            if ((int) head.getValue() != p.getInt(60)) throw corrupt(file, "corrupt header (checksum)");
            int version = p.getInt(8), type = p.getInt(12);
            long rows = p.getLong(16);
            int cols = p.getInt(24);
            long labelsAt = p.getLong(32), metaAt = p.getLong(40), metaLength = p.getLong(48);
            if (version != VERSION)
                throw corrupt(file, "version " + version + " (this softmax4j reads " + VERSION + ")");
            DType dtype = type == 0 ? DType.F32 : type == 3 ? DType.U8 : null;
            // exact arithmetic: a row count whose byte sizes wrap around modulo 2^64 is no size
            long featureBytes;
            boolean consistent;
            try {
                featureBytes = dtype == null || rows < 0 || rows > Integer.MAX_VALUE - 8 || cols < 1
                        ? -1
                        : Math.multiplyExact(Math.multiplyExact(rows, cols), dtype.byteSize());
                consistent = featureBytes >= 0
                        && labelsAt == PREFIX + featureBytes
                        && metaAt == Math.addExact(labelsAt, 4 * rows)
                        && metaLength >= 0
                        && Math.addExact(metaAt, metaLength) == size;
            } catch (ArithmeticException e) {
                featureBytes = -1;
                consistent = false;
            }
            if (!consistent) {
                throw corrupt(file, "truncated or inconsistent (" + size + " bytes for " + rows + " x " + cols + ")");
            }
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, Arena.ofAuto());
            CRC32C crc = new CRC32C();
            for (long at = PREFIX; at < size; at += 1 << 30) {
                crc.update(all.asSlice(at, Math.min(1 << 30, size - at)).asByteBuffer());
            }
            if ((int) crc.getValue() != p.getInt(56)) throw corrupt(file, "corrupt data (checksum mismatch)");
            int n = Math.toIntExact(rows);
            int[] labels = new int[n];
            MemorySegment.copy(all, INT_LE, labelsAt, labels, 0, n);
            byte[] meta = all.asSlice(metaAt, metaLength).toArray(ValueLayout.JAVA_BYTE);
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(meta));
            String fingerprint = in.readUTF();
            List<String> classes = readNames(in), features = readNames(in);
            boolean labelled = in.readBoolean();
            Features matrix = new Features(dtype, rows, cols, all.asSlice(PREFIX, featureBytes));
            Dataset d = labelled
                    ? Dataset.of(name, matrix, labels, classes, features, Scaler.none())
                    : Dataset.unlabelled(name, matrix, classes, features, Scaler.none());
            return new Contents(d, fingerprint);
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": cache file not found");
        } catch (IOException | IllegalArgumentException e) {
            throw corrupt(file, e.getMessage());
        }
    }

    private static List<String> readNames(DataInputStream in) throws IOException {
        int count = in.readInt();
        if (count < 0) throw new IOException("negative name count");
        List<String> names = new ArrayList<>(Math.min(count, 1 << 16));
        for (int i = 0; i < count; i++) names.add(in.readUTF());
        return names;
    }

    private static DataException corrupt(Path file, String why) {
        return new DataException(file + ": bad cache file: " + why + " (delete it to have it rebuilt)");
    }

    /**
     * Writes a cache file row by row: {@link #add}, then {@link #finish}.
     * Until then the rows go to {@code .NAME.PID.tmp} beside the target.
     */
    public static final class Writer implements AutoCloseable {
        private final Path target, tmp;
        private final DType type;
        private final int columns;
        private final FileChannel ch;
        private final ByteBuffer buf;
        private final MemorySegment bufSegment; // buf, for bulk copies of float rows
        private long rows;
        private boolean done;

        public Writer(Path target, DType type, int columns) throws IOException {
            if (type != DType.F32 && type != DType.U8) throw new IllegalArgumentException("type " + type);
            this.target = target.toAbsolutePath();
            this.type = type;
            this.columns = columns;
            Files.createDirectories(this.target.getParent());
            tmp = this.target.resolveSibling("." + this.target.getFileName() + "."
                    + ProcessHandle.current().pid() + ".tmp");
            ch = FileChannel.open(
                    tmp,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.READ);
            ch.position(PREFIX);
            buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
            bufSegment = MemorySegment.ofBuffer(buf);
        }

        /** Appends one row of {@code columns} values (uint8 files take values in [0, 255]). */
        public void add(float[] row) throws IOException {
            int bytes = columns * type.byteSize();
            if (buf.remaining() < bytes) flush();
            if (bytes > buf.capacity()) throw new IOException("a row of " + columns + " values is too long");
            if (type == DType.F32) {
                MemorySegment.copy(row, 0, bufSegment, LE_FLOAT, buf.position(), columns);
                buf.position(buf.position() + bytes);
            } else {
                for (int j = 0; j < columns; j++) buf.put((byte) row[j]);
            }
            rows++;
        }

        /** Appends {@code rows} rows of {@code columns} values each, row-major in {@code values}. */
        public void addRows(float[] values, int rows) throws IOException {
            if (type != DType.F32) {
                float[] row = new float[columns];
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(values, r * columns, row, 0, columns);
                    add(row);
                }
                return;
            }
            int perFlush = Math.max(1, buf.capacity() / (columns * Float.BYTES));
            for (int r = 0; r < rows; ) {
                int room = buf.remaining() / (columns * Float.BYTES);
                if (room == 0) {
                    if (columns * Float.BYTES > buf.capacity())
                        throw new IOException("a row of " + columns + " values is too long");
                    flush();
                    continue;
                }
                int n = Math.min(Math.min(room, perFlush), rows - r);
                MemorySegment.copy(values, r * columns, bufSegment, LE_FLOAT, buf.position(), n * columns);
                buf.position(buf.position() + n * columns * Float.BYTES);
                this.rows += n;
                r += n;
            }
        }

        /** Rows added so far. */
        public long rows() {
            return rows;
        }

        private void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) ch.write(buf);
            buf.clear();
        }

        /**
         * Completes the file: replaces NaN in column j by {@code fill[j]} when
         * fill is given (mean imputation), appends labels and metadata,
         * writes the checksums and renames the file into place.
         *
         * @return the file's contents, mapped
         */
        public Contents finish(
                String name,
                int[] labels,
                List<String> classNames,
                List<String> featureNames,
                boolean labelled,
                String fingerprint,
                float[] fill)
                throws IOException {
            if (labels.length != rows)
                throw new IllegalArgumentException(labels.length + " labels for " + rows + " rows");
            flush();
            long featureBytes = rows * columns * type.byteSize();
            if (fill != null && type == DType.F32) fillMissing(featureBytes, fill);
            long labelsAt = PREFIX + featureBytes;
            ch.position(labelsAt);
            for (int y : labels) {
                if (buf.remaining() < 4) flush();
                buf.putInt(y);
            }
            flush();
            ByteArrayOutputStream metaBytes = new ByteArrayOutputStream();
            DataOutputStream meta = new DataOutputStream(metaBytes);
            meta.writeUTF(fingerprint);
            writeNames(meta, classNames);
            writeNames(meta, featureNames);
            meta.writeBoolean(labelled);
            meta.flush();
            long metaAt = labelsAt + 4L * labels.length;
            ch.write(ByteBuffer.wrap(metaBytes.toByteArray()), metaAt);
            long size = metaAt + metaBytes.size();
            CRC32C crc = new CRC32C();
            ByteBuffer chunk = ByteBuffer.allocateDirect(1 << 20);
            for (long at = PREFIX; at < size; ) {
                chunk.clear();
                int r = ch.read(chunk, at);
                chunk.flip();
                crc.update(chunk);
                at += r;
            }
            ByteBuffer p = ByteBuffer.allocate(PREFIX).order(ByteOrder.LITTLE_ENDIAN);
            p.put(MAGIC)
                    .putInt(VERSION)
                    .putInt(type == DType.F32 ? 0 : 3)
                    .putLong(rows)
                    .putInt(columns)
                    .putInt(0)
                    .putLong(labelsAt)
                    .putLong(metaAt)
                    .putLong(metaBytes.size())
                    .putInt((int) crc.getValue());
            CRC32C head = new CRC32C();
            head.update(p.array(), 0, 60);
            p.putInt((int) head.getValue());
            p.flip();
            ch.write(p, 0);
            ch.force(true);
            ch.close();
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
            return open(target, name);
        }

        /** NaN (a missing value) in column j becomes fill[j], in the written features. */
        private void fillMissing(long featureBytes, float[] fill) throws IOException {
            MemorySegment f = ch.map(FileChannel.MapMode.READ_WRITE, PREFIX, featureBytes, Arena.ofAuto());
            ValueLayout.OfFloat le = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            long n = featureBytes / 4;
            for (long i = 0; i < n; i++) {
                if (Float.isNaN(f.getAtIndex(le, i))) f.setAtIndex(le, i, fill[(int) (i % columns)]);
            }
        }

        private static void writeNames(DataOutputStream out, List<String> names) throws IOException {
            out.writeInt(names.size());
            for (String s : names) out.writeUTF(s);
        }

        /** Deletes the temporary file unless {@link #finish} completed. */
        @Override
        public void close() {
            try {
                if (ch.isOpen()) ch.close();
                if (!done) Files.deleteIfExists(tmp);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
