package org.softmax4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Labelled documents as sparse feature rows ({@link SparseDataset}): a file
 * of one document per line, either delimited (TSV by default: a label column
 * and a text column, no quoting; the text column may hold the delimiter only
 * when it is the last) or fastText's supervised format ({@code __label__NAME
 * words...}; the first label of a line counts, further ones are an error).
 * UTF-8; bytes that are not UTF-8 are an error naming the line, nothing is
 * guessed. Empty lines are skipped; an empty text is a row with no features
 * (the bias alone).
 */
public final class TextCorpus {
    private TextCorpus() {}

    /** The label prefix of fastText's format. */
    public static final String FASTTEXT_LABEL = "__label__";

    /** Where the label and text are in a line. */
    public sealed interface Layout {
        /** Delimited fields: the 0-based columns of label (-1: none) and text. */
        record Columns(int label, int text, char delimiter, boolean header) implements Layout {
            public Columns {
                if (text < 0) throw new IllegalArgumentException("the text column " + text + " is negative");
                if (label < -1 || label == text) {
                    throw new IllegalArgumentException("label column " + label + " with text column " + text);
                }
            }
        }

        /** fastText's {@code __label__} prefix. */
        record FastText() implements Layout {}
    }

    /** fastText's format when the first non-empty line starts with {@code __label__}, else {@code fallback}. */
    public static Layout detect(Path file, Layout fallback) {
        try (Utf8Lines in = new Utf8Lines(file)) {
            for (String line; (line = in.readLine()) != null; ) {
                if (!line.isBlank()) return line.startsWith(FASTTEXT_LABEL) ? new Layout.FastText() : fallback;
            }
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": file not found");
        } catch (CharacterCodingException e) {
            return fallback; // read() reports it with the line
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e + ")");
        }
        return fallback;
    }

    /**
     * Reads and featurizes a file.
     *
     * @param classes        null: the classes found (sorted); else exactly these (an unknown label is an error)
     * @param labelsRequired whether a line without a label is an error
     * @throws DataException naming the file and line of any problem
     */
    public static SparseDataset read(
            Path file, Layout layout, TextFeatures features, List<String> classes, boolean labelsRequired) {
        LabelCoder coder = new LabelCoder(classes);
        LabelCoder.Ints labels = new LabelCoder.Ints();
        SparseRows rows = new SparseRows(features.dimension());
        TextFeatures.Row row = new TextFeatures.Row();
        boolean raw = features.idf() != null; // idf weighting happens after the counts (fitted or given)
        boolean[] any = {false};
        forEachDocument(file, layout, coder, labelsRequired, (label, text) -> {
            labels.add(Math.max(label, 0));
            if (label >= 0) any[0] = true;
            features.featurize(text, row, raw);
            rows.add(row.columns(), row.values(), row.size());
        });
        if (rows.rows() == 0) throw new DataException(file + ": no documents in the file");
        if (raw) rows.reweight(features.idf(), features.normalize());
        int[] y = labels.toArray();
        coder.remap(y);
        List<String> names = coder.classes();
        if (names.isEmpty()) names = classes != null ? classes : List.of("0");
        return new SparseDataset(file.getFileName().toString(), rows, y, names, any[0]);
    }

    /** What {@link #forEachDocument} hands over: the label's provisional id (-1: none) and the text. */
    private interface DocumentSink {
        void accept(int label, String text);
    }

    /** Parses the lines of a file; every problem is a DataException naming file and line. */
    private static void forEachDocument(
            Path file, Layout layout, LabelCoder coder, boolean labelsRequired, DocumentSink sink) {
        long line = 0;
        try (Utf8Lines in = new Utf8Lines(file)) {
            String s;
            boolean header = layout instanceof Layout.Columns c && c.header();
            while (true) {
                try {
                    s = in.readLine();
                } catch (CharacterCodingException e) {
                    throw new DataException(file + ":" + (line + 1) + ": not UTF-8 text (" + e.getMessage()
                            + "); convert the file, e.g. iconv -f LATIN1 -t UTF-8");
                }
                if (s == null) break;
                line++;
                if (header) {
                    header = false;
                    continue;
                }
                if (s.isBlank()) continue;
                String label, text;
                if (layout instanceof Layout.Columns c) {
                    String[] f = split(s, c.delimiter(), Math.max(c.label(), c.text()) + 1, c.text());
                    if (f.length <= Math.max(c.label(), c.text())) {
                        throw new DataException(file + ":" + line + ": " + f.length + " fields, the "
                                + (f.length <= c.text() ? "text" : "label") + " column is "
                                + (f.length <= c.text() ? c.text() : c.label()) + " (0-based)");
                    }
                    label = c.label() >= 0 ? f[c.label()].strip() : null;
                    text = f[c.text()];
                } else {
                    String t = s.stripLeading();
                    if (t.startsWith(FASTTEXT_LABEL)) {
                        int end = firstSpace(t);
                        label = t.substring(FASTTEXT_LABEL.length(), end);
                        text = t.substring(end);
                        if (text.stripLeading().startsWith(FASTTEXT_LABEL)) {
                            throw new DataException(
                                    file + ":" + line + ": more than one __label__: one class per line");
                        }
                    } else {
                        label = null;
                        text = t;
                    }
                }
                int id = -1;
                if (label != null && !label.isEmpty()) {
                    Integer k = coder.id(label);
                    if (k == null) {
                        throw new DataException(file + ":" + line + ": label '" + label + "' is not one of the model's "
                                + coder.size() + " classes");
                    }
                    id = k;
                } else if (labelsRequired) {
                    throw new DataException(file + ":" + line + ": no label");
                }
                sink.accept(id, text);
            }
        } catch (NoSuchFileException e) {
            throw new DataException(file + ": file not found");
        } catch (IOException e) {
            throw new DataException(file + ": cannot read (" + e + ")");
        }
    }

    /**
     * Reads a training file: the classes found there and, with {@code tfidf},
     * idf weights fitted on its documents. Returns the corpus and the features
     * as fitted (what the model keeps).
     */
    public static Fitted fit(Path file, Layout layout, TextFeatures features, boolean tfidf) {
        TextFeatures base = new TextFeatures(features.hashBits(), features.ngrams(), null, features.normalize());
        if (!tfidf) return new Fitted(read(file, layout, base, null, true), base);
        // counts first (no weighting), idf from them, then the same rows reweighted
        SparseDataset c = read(file, layout, new TextFeatures(base.hashBits(), base.ngrams(), null, false), null, true);
        TextFeatures fitted = base.withIdf(c.rows());
        c.rows().reweight(fitted.idf(), fitted.normalize());
        return new Fitted(c, fitted);
    }

    /** The raw documents of a file and their labels (for prediction: the model featurizes them). */
    public record Lines(List<String> texts, int[] labels, boolean labelled) {}

    /** The documents and labels of a file, not featurized; {@code classes}: the model's. */
    public static Lines lines(Path file, Layout layout, List<String> classes) {
        List<String> texts = new ArrayList<>();
        LabelCoder coder = new LabelCoder(classes);
        LabelCoder.Ints labels = new LabelCoder.Ints();
        boolean[] any = {false};
        forEachDocument(file, layout, coder, false, (label, text) -> {
            texts.add(text);
            labels.add(label);
            if (label >= 0) any[0] = true;
        });
        if (texts.isEmpty()) throw new DataException(file + ": no documents in the file");
        int[] y = labels.toArray();
        if (any[0]) {
            for (int i = 0; i < y.length; i++) {
                if (y[i] < 0) throw new DataException(file + ": document " + i + " has no label, others have");
            }
        }
        return new Lines(List.copyOf(texts), y, any[0]);
    }

    /** A training corpus and the text features fitted on it. */
    public record Fitted(SparseDataset data, TextFeatures features) {}

    /**
     * Lines of a UTF-8 file, each decoded on its own, so that bytes that are not
     * UTF-8 are reported at their line (a Reader decodes ahead, by buffers).
     * Ends of line: LF or CRLF.
     */
    private static final class Utf8Lines implements AutoCloseable {
        private final InputStream in;
        private final CharsetDecoder decoder = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        private final byte[] buf = new byte[1 << 16];
        private int pos, limit;
        private byte[] line = new byte[256];

        Utf8Lines(Path file) throws IOException {
            in = Files.newInputStream(file);
        }

        /** The next line without its end, or null at the end of the file. */
        String readLine() throws IOException {
            int len = 0;
            boolean any = false;
            while (true) {
                if (pos == limit) {
                    limit = in.read(buf, 0, buf.length);
                    pos = 0;
                    if (limit <= 0) {
                        limit = 0;
                        if (!any) return null;
                        break;
                    }
                }
                any = true;
                byte b = buf[pos++];
                if (b == '\n') break;
                if (len == line.length) line = Arrays.copyOf(line, len * 2);
                line[len++] = b;
            }
            if (len > 0 && line[len - 1] == '\r') len--;
            return decoder.decode(ByteBuffer.wrap(line, 0, len)).toString();
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** Fields of a line; the last wanted column takes the rest of the line when it is the text. */
    private static String[] split(String s, char delimiter, int wanted, int textColumn) {
        List<String> out = new ArrayList<>(wanted);
        int from = 0;
        while (out.size() < wanted) {
            int at = s.indexOf(delimiter, from);
            if (at < 0 || (out.size() == wanted - 1 && out.size() == textColumn)) {
                out.add(s.substring(from));
                break;
            }
            out.add(s.substring(from, at));
            from = at + 1;
        }
        return out.toArray(String[]::new);
    }

    private static int firstSpace(String s) {
        for (int i = 0; i < s.length(); i++) if (Character.isWhitespace(s.charAt(i))) return i;
        return s.length();
    }
}
