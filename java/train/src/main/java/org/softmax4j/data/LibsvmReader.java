package org.softmax4j.data;

import ch.randelshofer.fastdoubleparser.JavaFloatParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * LIBSVM / SVMlight: one example per line, {@code label index:value ...}
 * with 1-based, strictly increasing indexes (absent ones are 0), an optional
 * {@code qid:N} (ignored) and {@code #} comments. Densified: a first pass
 * finds the feature count (the largest index, or the given count), a second
 * writes the rows. Labels may be numbers or strings.
 */
final class LibsvmReader {
    private final Path file;
    private final int features;

    /** {@code features}: the count to use (a test file of a model), or 0 to take the file's largest index. */
    LibsvmReader(Path file, int features) {
        this.file = file;
        int max = scan();
        if (features > 0 && max > features) {
            throw new DataException(
                    file + ": feature index " + max + " is beyond the " + features + " features expected");
        }
        this.features = features > 0 ? features : max;
        if (this.features == 0) throw new DataException(file + ": no feature index in the file");
    }

    int features() {
        return features;
    }

    /** The largest index (and every line's syntax). */
    private int scan() {
        int[] max = {0};
        forEachLine((line, text, label, values) -> {
            for (int k = 0; k < values.count; k++) max[0] = Math.max(max[0], values.index[k]);
        });
        return max[0];
    }

    void read(FeatureCache.Writer out, LabelCoder coder, LabelCoder.Ints labels) {
        float[] row = new float[features];
        long[] rows = {0};
        forEachLine((line, text, label, values) -> {
            Integer id = coder.id(label);
            if (id == null) {
                throw new DataException(file + ":" + line + ": label '" + label + "' is not one of the model's "
                        + coder.size() + " classes");
            }
            Arrays.fill(row, 0f);
            for (int k = 0; k < values.count; k++) {
                if (values.index[k] > features) {
                    throw new DataException(file + ":" + line + ": feature index " + values.index[k] + " is beyond the "
                            + features + " features expected");
                }
                row[values.index[k] - 1] = values.value[k];
            }
            labels.add(id);
            try {
                out.add(row);
            } catch (IOException e) {
                throw new DataException(file + ": cannot write its cache (" + e.getMessage() + ")", e);
            }
            rows[0]++;
        });
        if (rows[0] == 0) throw new DataException(file + ": no examples");
    }

    /** The file as sparse rows (0-based columns), without densifying; {@code classes}: a model's, or null. */
    SparseDataset readSparse(List<String> classes) {
        LabelCoder coder = new LabelCoder(classes);
        LabelCoder.Ints labels = new LabelCoder.Ints();
        SparseRows rows = new SparseRows(features);
        int[] cols = new int[64];
        forEachLine((line, text, label, values) -> {
            Integer id = coder.id(label);
            if (id == null) {
                throw new DataException(file + ":" + line + ": label '" + label + "' is not one of the model's "
                        + coder.size() + " classes");
            }
            int[] c = cols.length >= values.count ? cols : new int[values.count];
            for (int k = 0; k < values.count; k++) {
                if (values.index[k] > features) {
                    throw new DataException(file + ":" + line + ": feature index " + values.index[k] + " is beyond the "
                            + features + " features expected");
                }
                c[k] = values.index[k] - 1;
            }
            labels.add(id);
            rows.add(c, values.value, values.count);
        });
        int[] y = labels.toArray();
        coder.remap(y);
        return new SparseDataset(file.getFileName().toString(), rows, y, coder.classes(), true);
    }

    /** One line's features: the first count entries. */
    private static final class Entries {
        int[] index = new int[64];
        float[] value = new float[64];
        int count;

        void add(int i, float v) {
            if (count == index.length) {
                index = Arrays.copyOf(index, 2 * count);
                value = Arrays.copyOf(value, 2 * count);
            }
            index[count] = i;
            value[count++] = v;
        }
    }

    private interface LineHandler {
        void line(long line, String text, String label, Entries values);
    }

    private void forEachLine(LineHandler h) {
        Entries e = new Entries();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            long lineNo = 0;
            boolean any = false;
            for (String text; (text = in.readLine()) != null; ) {
                lineNo++;
                int hash = text.indexOf('#');
                String body = (hash >= 0 ? text.substring(0, hash) : text).strip();
                if (body.isEmpty()) continue;
                any = true;
                String[] parts = body.split("\\s+");
                if (parts[0].indexOf(':') >= 0) {
                    throw new DataException(file + ":" + lineNo + ": '" + parts[0] + "' is no label (the line starts"
                            + " with index:value: is its label missing?)");
                }
                e.count = 0;
                int last = 0;
                for (int k = 1; k < parts.length; k++) {
                    String p = parts[k];
                    int colon = p.indexOf(':');
                    String at = file + ":" + lineNo + ": '" + p + "'";
                    if (colon <= 0 || colon == p.length() - 1) throw new DataException(at + " is not index:value");
                    String key = p.substring(0, colon);
                    if (key.equals("qid")) continue;
                    int index;
                    try {
                        index = Integer.parseInt(key);
                    } catch (NumberFormatException x) {
                        throw new DataException(at + ": the index is not a whole number");
                    }
                    if (index < 1) throw new DataException(at + ": indexes start at 1");
                    if (index <= last) {
                        throw new DataException(at + ": index " + index
                                + (index == last ? " repeats" : " comes after " + last + " (indexes must increase)"));
                    }
                    float v;
                    try {
                        v = JavaFloatParser.parseFloat(p, colon + 1, p.length() - colon - 1);
                    } catch (NumberFormatException x) {
                        throw new DataException(at + ": the value is not a number");
                    }
                    if (!Float.isFinite(v)) throw new DataException(at + ": the value is not finite");
                    last = index;
                    e.add(index, v);
                }
                h.line(lineNo, text, parts[0], e);
            }
            if (!any) throw new DataException(file + ": empty file (no examples)");
        } catch (IOException x) {
            throw new DataException(file + ": cannot read (" + x.getMessage() + ")", x);
        }
    }
}
