package org.softmax4j.data;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * How raw text becomes a sparse feature row, stored in the model so that
 * prediction takes raw text: lower-cased (Unicode, {@link Character#toLowerCase(int)}),
 * split into words (maximal runs of letters, digits and marks, apostrophes inside
 * a word kept), word n-grams up to {@link #ngrams} (1: words, 2: words and pairs
 * of neighbours) hashed into {@code 2^hashBits} buckets, counted; then optionally
 * weighted by inverse document frequency (fitted on the training set) and scaled
 * to unit L2 norm.
 *
 * <p>The hash (scheme 1): 64-bit FNV-1a over a word's UTF-16 chars; an n-gram's
 * hash combines its words' hashes in order ({@code h = (h * P) ^ w}, then a
 * 64-bit finalizer); the bucket is the top {@code hashBits} bits. It is part of the
 * model format: changing it would need a new scheme number.
 *
 * @param hashBits  log2 of the feature count, in [10, 26]
 * @param ngrams    1, 2 or 3
 * @param idf       null, or one weight per bucket: {@code ln((1 + N) / (1 + df)) + 1}
 * @param normalize scale each row to unit L2 norm
 */
public record TextFeatures(int hashBits, int ngrams, float[] idf, boolean normalize) {
    /** The hash scheme this code implements. */
    public static final int SCHEME = 1;

    private static final long FNV_OFFSET = 0xcbf29ce484222325L, FNV_PRIME = 0x100000001b3L;
    private static final long GRAM_PRIME = 0x9E3779B97F4A7C15L;

    public TextFeatures {
        if (hashBits < 10 || hashBits > 26)
            throw new IllegalArgumentException("hash bits " + hashBits + " is outside [10, 26]");
        if (ngrams < 1 || ngrams > 3) throw new IllegalArgumentException("n-grams " + ngrams + " is outside [1, 3]");
        if (idf != null && idf.length != 1 << hashBits) {
            throw new IllegalArgumentException(idf.length + " idf weights for " + (1 << hashBits) + " buckets");
        }
    }

    /** Counts of hashed word n-grams, without idf; L2-normalised. */
    public static TextFeatures hashed(int hashBits, int ngrams) {
        return new TextFeatures(hashBits, ngrams, null, true);
    }

    /** The number of features (buckets). */
    public int dimension() {
        return 1 << hashBits;
    }

    /** These settings with idf weights fitted on the documents' rows (counts, before any weighting). */
    public TextFeatures withIdf(SparseRows counts) {
        int[] df = new int[dimension()];
        long docs = counts.rows();
        for (long i = 0; i < docs; i++) {
            for (long p = counts.start(i); p < counts.end(i); p++) df[counts.column(p)]++;
        }
        float[] w = new float[df.length];
        for (int j = 0; j < w.length; j++) w[j] = (float) (Math.log((1.0 + docs) / (1.0 + df[j])) + 1.0);
        return new TextFeatures(hashBits, ngrams, w, normalize);
    }

    /**
     * One document's features into {@code out} (reused across calls): sorted
     * distinct buckets with their weights. Counts only when {@code raw} (idf and
     * normalisation are skipped: what {@link #withIdf} fits on).
     */
    public void featurize(CharSequence text, Row out, boolean raw) {
        out.clear();
        long[] recent = out.recent;
        int words = 0;
        int n = text.length(), i = 0;
        while (i < n) {
            int cp = Character.codePointAt(text, i);
            if (!wordChar(cp)) {
                i += Character.charCount(cp);
                continue;
            }
            long h = FNV_OFFSET;
            while (i < n) {
                cp = Character.codePointAt(text, i);
                boolean apostrophe =
                        (cp == '\'' || cp == '\u2019') && i + 1 < n && wordChar(Character.codePointAt(text, i + 1));
                if (!wordChar(cp) && !(apostrophe && h != FNV_OFFSET)) break;
                int lower = Character.toLowerCase(cp);
                if (Character.isBmpCodePoint(lower)) {
                    h = (h ^ lower) * FNV_PRIME;
                } else {
                    h = (h ^ Character.highSurrogate(lower)) * FNV_PRIME;
                    h = (h ^ Character.lowSurrogate(lower)) * FNV_PRIME;
                }
                i += Character.charCount(cp);
            }
            recent[words % 3] = h;
            words++;
            long g = h;
            out.add(bucket(g));
            for (int k = 2; k <= ngrams && k <= words; k++) {
                // the n-gram ending here: its words in order, oldest first
                g = FNV_OFFSET;
                for (int back = k - 1; back >= 0; back--) g = (g * GRAM_PRIME) ^ recent[(words - 1 - back) % 3];
                out.add(bucket(g ^ k));
            }
        }
        out.finish(raw ? null : idf, !raw && normalize);
    }

    private static boolean wordChar(int cp) {
        return Character.isLetterOrDigit(cp) || Character.getType(cp) == Character.NON_SPACING_MARK;
    }

    private int bucket(long h) {
        // murmur3's 64-bit finalizer, so that close hashes spread over the buckets
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int) (h >>> (64 - hashBits));
    }

    /** A reusable buffer of one document's features: sorted distinct columns and their values. */
    public static final class Row {
        private final long[] recent = new long[3];
        private int[] raw = new int[64];
        private int rawCount;
        private int[] columns = new int[64];
        private float[] values = new float[64];
        private int size;

        void clear() {
            rawCount = 0;
            size = 0;
        }

        void add(int bucket) {
            if (rawCount == raw.length) raw = Arrays.copyOf(raw, raw.length * 2);
            raw[rawCount++] = bucket;
        }

        void finish(float[] idf, boolean normalize) {
            Arrays.sort(raw, 0, rawCount);
            if (columns.length < rawCount) {
                columns = new int[raw.length];
                values = new float[raw.length];
            }
            size = 0;
            double norm = 0;
            for (int p = 0; p < rawCount; ) {
                int j = raw[p], q = p;
                while (q < rawCount && raw[q] == j) q++;
                float v = (q - p) * (idf == null ? 1f : idf[j]);
                columns[size] = j;
                values[size++] = v;
                norm += (double) v * v;
                p = q;
            }
            if (normalize && norm > 0) {
                float s = (float) (1 / Math.sqrt(norm));
                for (int k = 0; k < size; k++) values[k] *= s;
            }
        }

        /** The number of distinct features. */
        public int size() {
            return size;
        }

        /** The sorted columns (the first {@link #size} entries). */
        public int[] columns() {
            return columns;
        }

        /** Their values (the first {@link #size} entries). */
        public float[] values() {
            return values;
        }
    }

    // ---- the model file's section ------------------------------------------

    /** Writes these settings (the model file's text section). */
    public void write(DataOutput out) throws IOException {
        out.writeByte(SCHEME);
        out.writeByte(hashBits);
        out.writeByte(ngrams);
        out.writeByte((idf != null ? 1 : 0) | (normalize ? 2 : 0));
        if (idf != null) {
            for (float w : idf) out.writeFloat(w);
        }
    }

    /** Reads what {@link #write} wrote; an IOException says what is wrong. */
    public static TextFeatures read(DataInput in) throws IOException {
        int scheme = in.readUnsignedByte();
        if (scheme != SCHEME)
            throw new IOException("text hash scheme " + scheme + " is not supported (this reads " + SCHEME + ")");
        int bits = in.readUnsignedByte(), grams = in.readUnsignedByte(), flags = in.readUnsignedByte();
        if (bits < 10 || bits > 26 || grams < 1 || grams > 3 || (flags & ~3) != 0) {
            throw new IOException(
                    "invalid text settings: hash bits " + bits + ", n-grams " + grams + ", flags " + flags);
        }
        float[] idf = null;
        if ((flags & 1) != 0) {
            idf = new float[1 << bits];
            for (int j = 0; j < idf.length; j++) {
                idf[j] = in.readFloat();
                if (!(idf[j] > 0) || !Float.isFinite(idf[j]))
                    throw new IOException("idf weight " + j + " is " + idf[j]);
            }
        }
        return new TextFeatures(bits, grams, idf, (flags & 2) != 0);
    }

    @Override
    public String toString() {
        return "words" + (ngrams > 1 ? " + " + (ngrams == 2 ? "bigrams" : "bi- and trigrams") : "") + " hashed into 2^"
                + hashBits + " buckets" + (idf != null ? ", tf-idf" : ", counts")
                + (normalize ? ", L2-normalised" : "");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TextFeatures t
                && t.hashBits == hashBits
                && t.ngrams == ngrams
                && t.normalize == normalize
                && Arrays.equals(t.idf, idf);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * hashBits + ngrams) + Arrays.hashCode(idf) + (normalize ? 1 : 0);
    }
}
