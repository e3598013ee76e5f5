package org.softmax4j.data;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Labelled examples of uint8 features (pixels), kept as bytes: a source
 * matrix of {@code sourceRows x features} unsigned bytes and labels, and the
 * subset of its rows that belongs to this data set. Subsets (e.g. a
 * validation split) share the source arrays and copy nothing; the trainer
 * gathers and scales the rows of a batch with
 * {@link org.softmax4j.Kernels#gatherScaled}.
 */
public final class Dataset {
    private final String name;
    private final byte[] pixels;
    private final byte[] labels;
    private final int features;
    private final int classes;
    private final int[] rows;

    private Dataset(String name, byte[] pixels, byte[] labels, int features, int classes,
                    int[] rows) {
        this.name = name;
        this.pixels = pixels;
        this.labels = labels;
        this.features = features;
        this.classes = classes;
        this.rows = rows;
    }

    /**
     * All rows of a source matrix.
     *
     * @param pixels   {@code labels.length x features} unsigned bytes, row-major (not copied)
     * @param labels   one label per row, each in [0, classes) (not copied)
     * @throws IllegalArgumentException when the sizes disagree or a label is out of range
     */
    public static Dataset of(String name, byte[] pixels, byte[] labels, int features,
                             int classes) {
        if (features < 1 || classes < 1) {
            throw new IllegalArgumentException("features " + features + " and classes "
                    + classes + " must be positive");
        }
        if ((long) labels.length * features != pixels.length) {
            throw new IllegalArgumentException(name + ": " + pixels.length + " bytes of pixels are not "
                    + labels.length + " rows of " + features);
        }
        for (int i = 0; i < labels.length; i++) {
            if ((labels[i] & 0xff) >= classes) {
                throw new IllegalArgumentException(name + ": label " + (labels[i] & 0xff)
                        + " of row " + i + " is outside [0, " + classes + ")");
            }
        }
        int[] rows = new int[labels.length];
        Arrays.setAll(rows, i -> i);
        return new Dataset(name, pixels, labels, features, classes, rows);
    }

    /** A name for messages and reports, e.g. "train". */
    public String name() {
        return name;
    }

    /** Number of examples. */
    public int size() {
        return rows.length;
    }

    /** Features per example (784 for 28x28 images). */
    public int features() {
        return features;
    }

    /** Number of classes; every label is in [0, classes). */
    public int classes() {
        return classes;
    }

    /** The shared source matrix of unsigned bytes (not a copy: do not modify). */
    public byte[] sourcePixels() {
        return pixels;
    }

    /** Number of rows of the source matrix. */
    public int sourceRows() {
        return labels.length;
    }

    /** The source row of example i. */
    public int sourceRow(int i) {
        return rows[i];
    }

    /** The label of example i. */
    public int label(int i) {
        return labels[rows[i]] & 0xff;
    }

    /** The label of source row r. */
    public int labelOfSourceRow(int r) {
        return labels[r] & 0xff;
    }

    /** The unsigned byte of feature j of example i. */
    public int pixel(int i, int j) {
        return pixels[rows[i] * features + j] & 0xff;
    }

    /** Copies the source rows of examples [from, from + count) into dst at dstPos. */
    public void copySourceRows(int from, int count, int[] dst, int dstPos) {
        System.arraycopy(rows, from, dst, dstPos, count);
    }

    /** The source rows of all examples, in order (a copy). */
    public int[] sourceRowsCopy() {
        return rows.clone();
    }

    /** The examples at the given positions of this data set, as a new data set. */
    public Dataset select(String newName, int[] positions) {
        int[] sub = new int[positions.length];
        for (int i = 0; i < sub.length; i++) sub[i] = rows[positions[i]];
        return new Dataset(newName, pixels, labels, features, classes, sub);
    }

    /** The first {@code count} examples (e.g. a quick run on part of the data). */
    public Dataset head(int count) {
        if (count < 0 || count > rows.length) {
            throw new IllegalArgumentException("head(" + count + ") of " + rows.length + " examples");
        }
        return new Dataset(name, pixels, labels, features, classes, Arrays.copyOf(rows, count));
    }

    /** A training set and the validation set carved from it. */
    public record Split(Dataset train, Dataset validation) {}

    /**
     * Splits off a random {@code fraction} of the examples as a validation
     * set, the same for the same seed. Both parts keep the original order
     * (so training without shuffling sees the rows as stored).
     *
     * @param fraction in [0, 1); 0 gives an empty validation set
     */
    public Split split(double fraction, long seed) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("validation fraction must be in [0, 1): " + fraction);
        }
        int n = rows.length;
        int nVal = (int) Math.round(fraction * n);
        int[] perm = new int[n];
        Arrays.setAll(perm, i -> i);
        // Seeded from the seed but decorrelated from the shuffling of training (see Trainer).
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5bd1e9955bd1e995L);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        int[] val = Arrays.copyOf(perm, nVal);
        int[] train = Arrays.copyOfRange(perm, nVal, n);
        Arrays.sort(val);
        Arrays.sort(train);
        return new Split(select(name, train), select("validation", val));
    }

    /** Counts of each label. */
    public int[] classCounts() {
        int[] counts = new int[classes];
        for (int r : rows) counts[labels[r] & 0xff]++;
        return counts;
    }

    @Override
    public String toString() {
        return name + " (" + size() + " examples of " + features + " features, " + classes
                + " classes)";
    }
}
