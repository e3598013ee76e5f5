package org.softmax4j.data;

import ch.randelshofer.fastdoubleparser.JavaFloatParser;
import de.siegmar.fastcsv.reader.CsvCallbackHandler;
import de.siegmar.fastcsv.reader.CsvParseException;
import de.siegmar.fastcsv.reader.CsvReader.CsvReaderBuilder;
import de.siegmar.fastcsv.reader.CsvRecord;
import de.siegmar.fastcsv.reader.RecordType;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * CSV and TSV (RFC 4180 quoting) into a {@link FeatureCache}, streaming, with
 * FastCSV splitting the records (its callback API hands over each field as a
 * slice of its buffer: no String per cell) and FastDoubleParser turning
 * cells into floats (correctly rounded, several times faster than
 * Float.parseFloat). Every problem is a {@link DataException} naming the
 * file, line and column.
 */
final class CsvReader {
    /**
     * {@code -Dsoftmax4j.csv.streaming=true}: every file through FastCSV, one thread,
     * instead of {@link CsvBlocks} for files without quotes (the tests compare the two).
     */
    static final String STREAMING_PROPERTY = "softmax4j.csv.streaming";

    private final Path file;
    private final char delimiter;
    private final boolean header;
    /** The label's column, or -1 for none (features only, for predictions). */
    private final int labelColumn;
    /** Per column: the feature it becomes, or -1. */
    private final int[] slot;

    private final List<String> columnNames, featureNames;
    private final Missing missing;

    /**
     * What the first records say: delimiter, header, columns, which is the
     * label. {@code wanted}: the features a model was trained on, by name
     * (picked from a header in that order) or by count; null to take every
     * column but the label and the dropped ones.
     */
    CsvReader(
            Path file,
            Character delimiter,
            Boolean header,
            String label,
            boolean labelRequired,
            Set<String> drop,
            Missing missing,
            List<String> wanted) {
        this.file = file;
        this.missing = missing;
        this.delimiter = delimiter != null ? delimiter : detectDelimiter(file);
        List<List<String>> first = firstRecords(file, this.delimiter, 2);
        if (first.isEmpty()) throw new DataException(file + ": empty file (no records)");
        List<String> r0 = first.get(0);
        this.header = header != null ? header : first.size() > 1 && looksLikeHeader(r0, first.get(1));
        if (this.header && first.size() < 2) throw new DataException(file + ": a header and no data");
        int cols = r0.size();
        columnNames = new ArrayList<>(cols);
        for (int j = 0; j < cols; j++) columnNames.add(this.header ? r0.get(j).strip() : "column " + j);
        this.labelColumn = labelColumn(label, labelRequired);
        slot = new int[cols];
        Arrays.fill(slot, -1);
        featureNames = new ArrayList<>();
        if (wanted != null && this.header && columnNames.containsAll(wanted)) {
            for (String w : wanted) {
                slot[columnNames.indexOf(w)] = featureNames.size();
                featureNames.add(w);
            }
        } else {
            boolean[] out = new boolean[cols];
            if (labelColumn >= 0) out[labelColumn] = true;
            for (String d : drop) out[column(d, "--drop")] = true;
            for (int j = 0; j < cols; j++) {
                if (!out[j]) {
                    slot[j] = featureNames.size();
                    featureNames.add(columnNames.get(j));
                }
            }
            if (wanted != null && featureNames.size() != wanted.size()) {
                List<String> absent = new ArrayList<>(wanted);
                absent.removeAll(columnNames);
                throw new DataException(file + ": " + featureNames.size() + " feature columns, the model has "
                        + wanted.size()
                        + (this.header && !absent.isEmpty() && absent.size() < wanted.size()
                                ? " (missing here: " + String.join(", ", absent.subList(0, Math.min(5, absent.size())))
                                        + (absent.size() > 5 ? ", ..." : "") + ")"
                                : ""));
            }
        }
        if (featureNames.isEmpty()) throw new DataException(file + ": no feature columns left");
    }

    boolean header() {
        return header;
    }

    char delimiter() {
        return delimiter;
    }

    /** The label's column name, or null. */
    String labelName() {
        return labelColumn < 0 ? null : columnNames.get(labelColumn);
    }

    /** The feature columns' names (header names, or "column j"). */
    List<String> featureNames() {
        return featureNames;
    }

    /** The most frequent of , tab ; | in the first line (outside quotes); tab for .tsv. */
    static char detectDelimiter(Path file) {
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".tsv")) return '\t';
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(1 << 16);
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        char[] candidates = {',', '\t', ';', '|'};
        int[] counts = new int[candidates.length];
        boolean quoted = false;
        for (byte b : head) {
            if (b == '"') quoted = !quoted;
            if (quoted) continue;
            if (b == '\n') break;
            for (int k = 0; k < candidates.length; k++) if (b == candidates[k]) counts[k]++;
        }
        int best = 0;
        for (int k = 1; k < counts.length; k++) if (counts[k] > counts[best]) best = k;
        return candidates[best];
    }

    private static CsvReaderBuilder builder(char delimiter) {
        return de.siegmar.fastcsv.reader.CsvReader.builder()
                .fieldSeparator(delimiter)
                .skipEmptyLines(true)
                .allowExtraFields(true)
                .allowMissingFields(true)
                .detectBomHeader(true);
    }

    private static List<List<String>> firstRecords(Path file, char delimiter, int count) {
        List<List<String>> out = new ArrayList<>();
        try (var csv = builder(delimiter).ofCsvRecord(file, StandardCharsets.UTF_8)) {
            for (CsvRecord r : csv) {
                out.add(r.getFields());
                if (out.size() == count) break;
            }
        } catch (IOException | CsvParseException | java.io.UncheckedIOException e) {
            throw new DataException(file + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** A header: a cell that is no number where the next record has one. */
    private static boolean looksLikeHeader(List<String> r0, List<String> r1) {
        for (int j = 0; j < Math.min(r0.size(), r1.size()); j++) {
            if (!isNumber(r0.get(j)) && !r0.get(j).isBlank() && isNumber(r1.get(j))) return true;
        }
        return false;
    }

    private static boolean isNumber(String s) {
        try {
            JavaFloatParser.parseFloat(s.strip());
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The column a name or a 0-based index denotes. */
    private int column(String nameOrIndex, String what) {
        String s = nameOrIndex.strip();
        int i = header ? columnNames.indexOf(s) : -1;
        if (i >= 0) return i;
        if (s.matches("\\d+")) {
            int k = Integer.parseInt(s);
            if (k < columnNames.size()) return k;
            throw new DataException(file + ": " + what + " " + s + ": there are " + columnNames.size()
                    + " columns (0 to " + (columnNames.size() - 1) + ")");
        }
        throw new DataException(file + ": " + what + " '" + s + "': no such column"
                + (header
                        ? " (columns: " + String.join(", ", columnNames) + ")"
                        : " (the file has no header: use a 0-based index)"));
    }

    /** The given label column; else one named label, class, target or y; else the last. */
    private int labelColumn(String label, boolean required) {
        if (label != null) return column(label, "--label");
        if (!required) return -1;
        if (header) {
            for (String n : List.of("label", "class", "target", "y")) {
                for (int j = 0; j < columnNames.size(); j++) {
                    if (columnNames.get(j).equalsIgnoreCase(n)) return j;
                }
            }
        }
        return columnNames.size() - 1;
    }

    /**
     * Streams every data record: features into {@code out}, label ids into
     * {@code labels} (via coder). Returns per-column sums and counts of the
     * values present, for mean imputation.
     */
    double[][] read(FeatureCache.Writer out, LabelCoder coder, LabelCoder.Ints labels) {
        if (!Boolean.getBoolean(STREAMING_PROPERTY) && CsvBlocks.applies(file, delimiter)) {
            return new CsvBlocks(
                            file,
                            delimiter,
                            header,
                            labelColumn,
                            slot,
                            featureNames.size(),
                            missing,
                            this::where,
                            labelName())
                    .read(out, coder, labels);
        }
        return readStreaming(out, coder, labels);
    }

    /** {@link #read} through FastCSV: any file (quoted fields, UTF-16, pipes). */
    double[][] readStreaming(FeatureCache.Writer out, LabelCoder coder, LabelCoder.Ints labels) {
        Rows rows = new Rows();
        try (var csv = builder(delimiter).build(rows, file, StandardCharsets.UTF_8)) {
            boolean skip = header;
            for (Rows r : csv) {
                if (r.type != RecordType.DATA) continue;
                if (skip) {
                    skip = false;
                    rows.inHeader = false;
                    continue;
                }
                r.finishRecord(out, coder, labels);
            }
            if (rows.lastQuoted != null && !endsClosed(rows.lastQuoted)) {
                throw new DataException(file + ":" + rows.line
                        + ": the quoted field that starts here is not closed (an unterminated \")");
            }
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e.getMessage() + ")", e);
        } catch (CsvParseException e) {
            throw new DataException(file + ": " + e.getMessage(), e);
        }
        if (out.rows() == 0) throw new DataException(file + ": no data rows" + (header ? " after the header" : ""));
        return new double[][] {rows.sums, rows.counts};
    }

    /**
     * Whether the file ends with {@code content} as a closed quoted field
     * (then only line breaks). FastCSV ends an unterminated quoted field at the
     * end of the file without complaint, so a quote left open in the last
     * column turns the rest of the file into that cell: a label, when it is
     * the label's column, and the rows after it are gone. Only the final
     * record can be such a field; this reads the file's tail.
     */
    private boolean endsClosed(String content) throws IOException {
        byte[] closed = ('"' + content.replace("\"", "\"\"") + '"').getBytes(StandardCharsets.UTF_8);
        try (var ch = java.nio.channels.FileChannel.open(file)) {
            long size = ch.size();
            java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate(4);
            ch.read(head, 0);
            byte[] h = head.array();
            if ((h[0] == (byte) 0xfe && h[1] == (byte) 0xff)
                    || (h[0] == (byte) 0xff && h[1] == (byte) 0xfe)
                    || (h[0] == 0 && h[1] == 0 && h[2] == (byte) 0xfe && h[3] == (byte) 0xff)) {
                return true; // UTF-16 or UTF-32 (FastCSV's BOM detection): not checked
            }
            int window = (int) Math.min(size, closed.length + (1 << 16));
            java.nio.ByteBuffer tail = java.nio.ByteBuffer.allocate(window);
            while (tail.hasRemaining() && ch.read(tail, size - window + tail.position()) > 0) {}
            byte[] t = tail.array();
            int end = t.length;
            while (end > 0 && (t[end - 1] == '\n' || t[end - 1] == '\r')) end--;
            if (end == 0 && window < size) return true; // a closed field, then 64 KiB of line breaks
            return end >= closed.length && Arrays.equals(t, end - closed.length, end, closed, 0, closed.length);
        }
    }

    /** A column as error messages name it: 'name' (number), or its 1-based number without a header. */
    private String where(int column) {
        return header ? "'" + columnNames.get(column) + "' (" + (column + 1) + ")" : Integer.toString(column + 1);
    }

    /** FastCSV's callback: each record's cells parsed as they come. */
    private final class Rows extends CsvCallbackHandler<Rows> {
        final float[] values = new float[featureNames.size()];
        final double[] sums = new double[values.length], counts = new double[values.length];
        RecordType type;
        long line;
        int field;
        String label;
        String error;
        /** The record's last column as read when it was quoted, else null. */
        String lastQuoted;
        /** Until the header record has gone by: its cells are names, not values for the means. */
        boolean inHeader = header;

        @Override
        protected RecordType getRecordType() {
            return type;
        }

        @Override
        protected int getFieldCount() {
            return field;
        }

        @Override
        protected void beginRecord(long startingLineNumber) {
            type = RecordType.DATA;
            line = startingLineNumber;
            field = 0;
            label = null;
            error = null;
            lastQuoted = null;
        }

        @Override
        protected void addField(char[] buf, int offset, int length, boolean quoted) {
            int j = field++;
            if (j == slot.length - 1) lastQuoted = quoted ? new String(buf, offset, length) : null;
            if (inHeader) return;
            if (error != null || j >= slot.length) return;
            if (j == labelColumn) {
                label = new String(buf, offset, length).strip();
            } else if (slot[j] >= 0) {
                values[slot[j]] = parse(buf, offset, length, j, slot[j]);
            }
        }

        private float parse(char[] buf, int offset, int length, int column, int k) {
            int end = offset + length;
            while (offset < end && buf[offset] <= ' ') offset++; // spaces, tabs, control characters
            while (end > offset && buf[end - 1] <= ' ') end--;
            int n = end - offset;
            float v = smallInteger(buf, offset, n);
            if (v == v) { // an integer of up to 7 digits: exact in float32, the common case
                sums[k] += v;
                counts[k]++;
                return v;
            }
            boolean absent = n == 0
                    || (n == 2 && buf[offset] == 'N' && buf[offset + 1] == 'A')
                    || (n == 1 && buf[offset] == '?');
            if (!absent) {
                try {
                    v = JavaFloatParser.parseFloat(buf, offset, n);
                } catch (NumberFormatException e) {
                    error = "column " + where(column) + ": '" + new String(buf, offset, n) + "' is not a number";
                    return 0f;
                }
                if (Float.isInfinite(v)) {
                    error = "column " + where(column) + ": '" + new String(buf, offset, n)
                            + "' is infinite (or beyond float32)";
                    return 0f;
                }
            }
            if (Float.isNaN(v)) {
                switch (missing) {
                    case ERROR ->
                        error = "column " + where(column) + ": missing value ('" + new String(buf, offset, n)
                                + "'; --missing zero|mean to fill it)";
                    case ZERO -> v = 0f;
                    case MEAN -> {} // NaN until the file's means are known
                }
                return v;
            }
            sums[k] += v;
            counts[k]++;
            return v;
        }

        /** The value of an optionally signed integer of 1 to 7 digits, else NaN. */
        private static float smallInteger(char[] buf, int offset, int n) {
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

        @Override
        protected void setComment(char[] buf, int offset, int length) {
            type = RecordType.COMMENT;
        }

        @Override
        protected void setEmpty() {
            type = RecordType.EMPTY;
        }

        @Override
        protected Rows buildRecord() {
            return this;
        }

        /** The checks that need the whole record, then the row goes out. */
        void finishRecord(FeatureCache.Writer out, LabelCoder coder, LabelCoder.Ints labels) {
            if (field != columnNames.size() || error != null || (labelColumn >= 0 && label.isEmpty())) {
                failRecord();
            }
            if (labelColumn >= 0) {
                Integer id = coder.id(label);
                if (id == null) {
                    throw new DataException(file + ":" + line + ": label '" + label + "' is not one of the model's "
                            + coder.size() + " classes");
                }
                labels.add(id);
            } else {
                labels.add(0);
            }
            try {
                out.add(values);
            } catch (IOException e) {
                throw new DataException(file + ": cannot write its cache (" + e.getMessage() + ")", e);
            }
        }

        /** Throws the error of a record that is ragged, holds a bad cell or lacks its label. */
        private void failRecord() {
            String at = file + ":" + line + ": ";
            if (field != columnNames.size()) {
                throw new DataException(at + field + " fields, expected " + columnNames.size()
                        + (header ? " (as the header)" : " (as the first record)"));
            }
            if (error != null) throw new DataException(at + error);
            throw new DataException(at + "the label ('" + labelName() + "') is empty");
        }
    }
}
