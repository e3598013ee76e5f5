package org.softmax4j.data;

import ch.randelshofer.fastdoubleparser.JavaFloatParser;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;

/**
 * The fast path of {@link CsvReader} for files without a quote character (the
 * common case of numeric tables): the file is mapped, cut into blocks of about
 * 1 MiB at line ends, and the blocks are parsed from bytes on all cores while
 * the reader's thread appends their rows, in file order, to the feature cache.
 * Same results and errors as the FastCSV path (line numbers included), which
 * every file with a quote, a UTF-16/32 byte order mark or a multi-byte
 * delimiter keeps.
 */
final class CsvBlocks {
    private static final int BLOCK = 1 << 20;
    private static final byte[] UTF8_BOM = {(byte) 0xef, (byte) 0xbb, (byte) 0xbf};

    private final Path file;
    private final byte delimiter;
    private final boolean header;
    private final int labelColumn, columns;
    private final int[] slot;
    private final int features;
    private final Missing missing;
    /** A column as error messages name it; the label column's name. */
    private final IntFunction<String> where;

    private final String labelName;

    CsvBlocks(
            Path file,
            char delimiter,
            boolean header,
            int labelColumn,
            int[] slot,
            int features,
            Missing missing,
            IntFunction<String> where,
            String labelName) {
        this.file = file;
        this.delimiter = (byte) delimiter;
        this.header = header;
        this.labelColumn = labelColumn;
        this.slot = slot;
        this.columns = slot.length;
        this.features = features;
        this.missing = missing;
        this.where = where;
        this.labelName = labelName;
    }

    /**
     * Whether the fast path applies: a one-byte delimiter and no quote or
     * UTF-16/32 byte order mark anywhere in the file (scanned here, at memory speed).
     */
    static boolean applies(Path file, char delimiter) {
        if (delimiter >= 0x80 || delimiter == '"' || delimiter == '\n' || delimiter == '\r') return false;
        try (FileChannel ch = FileChannel.open(file);
                Arena arena = Arena.ofConfined()) {
            long size = ch.size();
            if (size == 0) return false;
            MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            if (size >= 2) {
                int b0 = m.get(ValueLayout.JAVA_BYTE, 0) & 0xff, b1 = m.get(ValueLayout.JAVA_BYTE, 1) & 0xff;
                if ((b0 == 0xfe && b1 == 0xff) || (b0 == 0xff && b1 == 0xfe) || b0 == 0) return false;
            }
            // eight bytes at a time: a quote is a zero byte in (word ^ 0x2222...)
            long i = 0, quotes = 0x2222222222222222L;
            for (; i + 8 <= size; i += 8) {
                long x = m.get(ValueLayout.JAVA_LONG_UNALIGNED, i) ^ quotes;
                if (((x - 0x0101010101010101L) & ~x & 0x8080808080808080L) != 0) return false;
            }
            for (; i < size; i++) if (m.get(ValueLayout.JAVA_BYTE, i) == '"') return false;
            return true;
        } catch (IOException | UnsupportedOperationException e) {
            return false; // not mappable (a pipe, say): the streaming path reads it
        }
    }

    /** A parsed block: its rows' features and labels, or the first error and its line within the block. */
    private record Block(
            float[] values,
            String[] labels,
            int[] labelLines,
            int rows,
            long lines,
            double[] sums,
            double[] counts,
            long errorLine,
            String error) {}

    /** Parses every record into out, labels and (for mean imputation) per-feature sums and counts. */
    double[][] read(FeatureCache.Writer out, LabelCoder coder, LabelCoder.Ints labels) {
        double[] sums = new double[features], counts = new double[features];
        int threads = Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors()));
        try (FileChannel ch = FileChannel.open(file);
                Arena arena = Arena.ofShared();
                ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
                    Thread t = new Thread(r, "softmax4j-csv");
                    t.setDaemon(true);
                    return t;
                })) {
            long size = ch.size();
            MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long start = startsWithBom(m) ? UTF8_BOM.length : 0;
            ArrayDeque<Future<Block>> inFlight = new ArrayDeque<>();
            long linesBefore = 0;
            boolean first = true;
            while (start < size || !inFlight.isEmpty()) {
                while (start < size && inFlight.size() < 2 * threads) {
                    long end = blockEnd(m, start, size);
                    long from = start;
                    boolean skipHeader = first && header;
                    inFlight.add(pool.submit(() -> parse(m, from, end, skipHeader)));
                    start = end;
                    first = false;
                }
                Block b = inFlight.removeFirst().get();
                if (b.error != null) {
                    for (Future<Block> f : inFlight) f.cancel(true);
                    throw new DataException(file + ":" + (linesBefore + b.errorLine) + ": " + b.error);
                }
                for (int r = 0; r < b.rows; r++) {
                    if (labelColumn >= 0) {
                        Integer id = coder.id(b.labels[r]);
                        if (id == null) {
                            throw new DataException(file + ":" + (linesBefore + b.labelLines[r]) + ": label '"
                                    + b.labels[r] + "' is not one of the model's "
                                    + coder.size() + " classes");
                        }
                        labels.add(id);
                    } else {
                        labels.add(0);
                    }
                }
                out.addRows(b.values, b.rows);
                for (int k = 0; k < features; k++) {
                    sums[k] += b.sums[k];
                    counts[k] += b.counts[k];
                }
                linesBefore += b.lines;
            }
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e.getMessage() + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DataException(file + ": interrupted while reading", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new DataException(file + ": " + e.getCause(), e.getCause());
        }
        if (out.rows() == 0) throw new DataException(file + ": no data rows" + (header ? " after the header" : ""));
        return new double[][] {sums, counts};
    }

    private static boolean startsWithBom(MemorySegment m) {
        if (m.byteSize() < 3) return false;
        for (int i = 0; i < 3; i++) if (m.get(ValueLayout.JAVA_BYTE, i) != UTF8_BOM[i]) return false;
        return true;
    }

    /** The end of the block from start: after the first line end at or beyond start + BLOCK, or the file's end. */
    private static long blockEnd(MemorySegment m, long start, long size) {
        long i = Math.min(size, start + BLOCK);
        while (i < size) {
            byte b = m.get(ValueLayout.JAVA_BYTE, i++);
            if (b == '\n') return i;
            if (b == '\r') return i < size && m.get(ValueLayout.JAVA_BYTE, i) == '\n' ? i + 1 : i;
        }
        return size;
    }

    /** Parses the records of bytes [from, end), which ends at a line end or at the end of the file. */
    private Block parse(MemorySegment m, long from, long end, boolean skipFirst) {
        int length = (int) (end - from);
        byte[] buf = new byte[length];
        MemorySegment.copy(m, ValueLayout.JAVA_BYTE, from, buf, 0, length);
        float[] values = new float[Math.max(features, (length / (2 * columns) + 1) * features)];
        String[] rowLabels = new String[labelColumn >= 0 ? Math.max(1, length / (2 * columns) + 1) : 0];
        int[] labelLines = new int[rowLabels.length];
        double[] sums = new double[features], counts = new double[features];
        float[] row = new float[features];
        int rows = 0;
        long line = 0;
        boolean skip = skipFirst;
        int i = 0;
        while (i < length) {
            line++;
            int lineEnd = i;
            while (lineEnd < length && buf[lineEnd] != '\n' && buf[lineEnd] != '\r') lineEnd++;
            int next = lineEnd < length && buf[lineEnd] == '\r' && lineEnd + 1 < length && buf[lineEnd + 1] == '\n'
                    ? lineEnd + 2
                    : lineEnd + 1;
            if (lineEnd == i) { // an empty line
                i = next;
                continue;
            }
            if (skip) {
                skip = false;
                i = next;
                continue;
            }
            // the fields of one record; its errors in the FastCSV path's order: ragged, cell, label
            int field = 0;
            String label = null, error = null;
            int cell = i;
            while (true) {
                // The common cell, 1 to 7 plain digits, parsed while it is scanned;
                // anything else is scanned to its end and parsed by cell().
                int cellEnd = cell, value = 0;
                while (cellEnd < lineEnd) {
                    int digit = buf[cellEnd] - '0';
                    if (digit < 0 || digit > 9) break;
                    value = value * 10 + digit;
                    cellEnd++;
                }
                int digits = cellEnd - cell;
                boolean plain = digits > 0 && digits <= 7 && (cellEnd == lineEnd || buf[cellEnd] == delimiter);
                if (!plain) while (cellEnd < lineEnd && buf[cellEnd] != delimiter) cellEnd++;
                if (plain && field < columns && error == null && field != labelColumn && slot[field] >= 0) {
                    int k = slot[field];
                    row[k] = value;
                    sums[k] += value;
                    counts[k]++;
                } else if (field < columns && error == null) {
                    if (field == labelColumn) {
                        label = new String(buf, cell, cellEnd - cell, StandardCharsets.UTF_8).strip();
                    } else if (slot[field] >= 0) {
                        error = cell(buf, cell, cellEnd, field, slot[field], row, sums, counts);
                    }
                }
                field++;
                if (cellEnd >= lineEnd) break;
                cell = cellEnd + 1;
            }
            if (field != columns) {
                return failed(
                        line,
                        field + " fields, expected " + columns
                                + (header ? " (as the header)" : " (as the first record)"));
            }
            if (error != null) return failed(line, error);
            if (labelColumn >= 0 && label.isEmpty()) return failed(line, "the label ('" + labelName + "') is empty");
            if ((long) (rows + 1) * features > values.length)
                values = java.util.Arrays.copyOf(values, values.length * 2);
            System.arraycopy(row, 0, values, rows * features, features);
            if (labelColumn >= 0) {
                if (rows == rowLabels.length) {
                    rowLabels = java.util.Arrays.copyOf(rowLabels, rowLabels.length * 2);
                    labelLines = java.util.Arrays.copyOf(labelLines, rowLabels.length);
                }
                rowLabels[rows] = label;
                labelLines[rows] = (int) line;
            }
            rows++;
            i = next;
        }
        return new Block(values, rowLabels, labelLines, rows, line, sums, counts, 0, null);
    }

    private static Block failed(long line, String error) {
        return new Block(null, null, null, 0, line, null, null, line, error);
    }

    /** Parses one feature cell into row[k]; returns an error message, or null. */
    private String cell(byte[] buf, int from, int to, int column, int k, float[] row, double[] sums, double[] counts) {
        while (from < to && (buf[from] & 0xff) <= ' ') from++; // spaces, tabs, control characters
        while (to > from && (buf[to - 1] & 0xff) <= ' ') to--;
        int n = to - from;
        float v = smallInteger(buf, from, n);
        if (v == v) { // an integer of up to 7 digits: exact in float32, the common case
            row[k] = v;
            sums[k] += v;
            counts[k]++;
            return null;
        }
        boolean absent = n == 0 || (n == 2 && buf[from] == 'N' && buf[from + 1] == 'A') || (n == 1 && buf[from] == '?');
        if (!absent) {
            try {
                v = JavaFloatParser.parseFloat(buf, from, n);
            } catch (NumberFormatException e) {
                return "column " + where.apply(column) + ": '" + text(buf, from, n) + "' is not a number";
            }
            if (Float.isInfinite(v)) {
                return "column " + where.apply(column) + ": '" + text(buf, from, n)
                        + "' is infinite (or beyond float32)";
            }
        }
        if (Float.isNaN(v)) {
            switch (missing) {
                case ERROR -> {
                    return "column " + where.apply(column) + ": missing value ('" + text(buf, from, n)
                            + "'; --missing zero|mean to fill it)";
                }
                case ZERO -> v = 0f;
                case MEAN -> {} // NaN until the file's means are known
            }
            row[k] = v;
            return null;
        }
        row[k] = v;
        sums[k] += v;
        counts[k]++;
        return null;
    }

    private static String text(byte[] buf, int from, int n) {
        return new String(buf, from, n, StandardCharsets.UTF_8);
    }

    /** The value of an optionally signed integer of 1 to 7 digits, else NaN. */
    private static float smallInteger(byte[] buf, int offset, int n) {
        int i = offset, end = offset + n;
        boolean negative = n > 1 && buf[i] == '-';
        if (negative || (n > 1 && buf[i] == '+')) i++;
        if (end - i < 1 || end - i > 7) return Float.NaN;
        int value = 0;
        for (; i < end; i++) {
            int digit = buf[i] - '0';
            if (digit < 0 || digit > 9) return Float.NaN;
            value = value * 10 + digit;
        }
        return negative ? -(float) value : value; // "-0" is -0.0f, as parseFloat has it
    }
}
