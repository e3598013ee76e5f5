package org.softmax4j.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.softmax4j.DType;

/**
 * Labelled examples: a matrix of stored {@link Features} (uint8 or float32,
 * on the heap or memory-mapped), one class per row, the subset of rows that
 * belongs to this data set, and how its features become model inputs (the
 * {@link Scaler}, applied batch by batch by
 * {@link org.softmax4j.Kernels#gatherRows}). Subsets (a validation or test
 * split) share the matrix and labels and copy nothing.
 *
 * <p>Class {@code k} is {@code classNames().get(k)}; readers of string
 * labels keep them here, and the model file stores them.
 */
public final class Dataset {
    private final String name;
    private final Features matrix;
    private final int[] labels;
    private final List<String> classNames;
    private final List<String> featureNames;
    private final Scaler scaler;
    private final int[] rows;
    private final boolean labelled;

    private Dataset(
            String name,
            Features matrix,
            int[] labels,
            List<String> classNames,
            List<String> featureNames,
            Scaler scaler,
            int[] rows,
            boolean labelled) {
        this.name = name;
        this.matrix = matrix;
        this.labels = labels;
        this.classNames = classNames;
        this.featureNames = featureNames;
        this.scaler = scaler;
        this.rows = rows;
        this.labelled = labelled;
    }

    /**
     * All rows of a uint8 source matrix, scaled by 1/255 (pixels in [0, 1]),
     * with classes named "0", "1", ...
     *
     * @param pixels   {@code labels.length x features} unsigned bytes, row-major (not copied)
     * @param labels   one label per row, each in [0, classes) (unsigned)
     * @throws IllegalArgumentException when the sizes disagree or a label is out of range
     */
    public static Dataset of(String name, byte[] pixels, byte[] labels, int features, int classes) {
        if (features < 1 || classes < 1) {
            throw new IllegalArgumentException(
                    "features " + features + " and classes " + classes + " must be positive");
        }
        if ((long) labels.length * features != pixels.length) {
            throw new IllegalArgumentException(
                    name + ": " + pixels.length + " bytes of pixels are not " + labels.length + " rows of " + features);
        }
        int[] y = new int[labels.length];
        for (int i = 0; i < y.length; i++) y[i] = labels[i] & 0xff;
        return of(name, Features.ofBytes(pixels, features), y, numbered(classes), List.of(), Scaler.divide(255));
    }

    /**
     * All rows of {@code matrix}.
     *
     * @param labels       one class per row, each in [0, classNames.size()) (not copied)
     * @param classNames   the classes, in label order
     * @param featureNames empty, or one name per column
     * @throws IllegalArgumentException when the sizes disagree or a label is out of range
     */
    public static Dataset of(
            String name,
            Features matrix,
            int[] labels,
            List<String> classNames,
            List<String> featureNames,
            Scaler scaler) {
        if (labels.length != matrix.rows()) {
            throw new IllegalArgumentException(name + ": " + labels.length + " labels for " + matrix.rows() + " rows");
        }
        if (classNames.isEmpty()) throw new IllegalArgumentException(name + ": no classes");
        if (!featureNames.isEmpty() && featureNames.size() != matrix.columns()) {
            throw new IllegalArgumentException(
                    name + ": " + featureNames.size() + " feature names for " + matrix.columns() + " columns");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classNames.size()) {
                throw new IllegalArgumentException(
                        name + ": label " + labels[i] + " of row " + i + " is outside [0, " + classNames.size() + ")");
            }
        }
        int[] rows = new int[labels.length];
        Arrays.setAll(rows, i -> i);
        return new Dataset(
                name, matrix, labels, List.copyOf(classNames), List.copyOf(featureNames), scaler, rows, true);
    }

    /**
     * Examples without labels (what a model predicts): every label reads 0
     * and {@link #isLabelled()} is false.
     */
    public static Dataset unlabelled(
            String name, Features matrix, List<String> classNames, List<String> featureNames, Scaler scaler) {
        Dataset d = of(name, matrix, new int[Math.toIntExact(matrix.rows())], classNames, featureNames, scaler);
        return new Dataset(name, matrix, d.labels, d.classNames, d.featureNames, scaler, d.rows, false);
    }

    /** Whether the labels are known (false: only features, to predict). */
    public boolean isLabelled() {
        return labelled;
    }

    /** "0", "1", ..., for classes without names. */
    public static List<String> numbered(int classes) {
        List<String> names = new ArrayList<>(classes);
        for (int k = 0; k < classes; k++) names.add(Integer.toString(k));
        return names;
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
        return matrix.columns();
    }

    /** Number of classes; every label is in [0, classes). */
    public int classes() {
        return classNames.size();
    }

    /** The classes, in label order. */
    public List<String> classNames() {
        return classNames;
    }

    /** The columns' names, or empty when the source had none. */
    public List<String> featureNames() {
        return featureNames;
    }

    /** The shared source matrix (not a copy). */
    public Features matrix() {
        return matrix;
    }

    /** How the stored features become model inputs. */
    public Scaler scaler() {
        return scaler;
    }

    /** This data set with another scaler (e.g. one fitted on the training split). */
    public Dataset withScaler(Scaler s) {
        return new Dataset(name, matrix, labels, classNames, featureNames, s, rows, labelled);
    }

    /** This data set under another name. */
    public Dataset named(String newName) {
        return new Dataset(newName, matrix, labels, classNames, featureNames, scaler, rows, labelled);
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
        return labels[rows[i]];
    }

    /** The label of source row r. */
    public int labelOfSourceRow(int r) {
        return labels[r];
    }

    /** The stored value of feature j of example i (as a float). */
    public float value(int i, int j) {
        return matrix.get(rows[i], j);
    }

    /** The unsigned byte of feature j of example i (uint8 features only: pixels). */
    public int pixel(int i, int j) {
        if (matrix.type() != DType.U8) throw new IllegalStateException(name + " holds float features");
        return (int) value(i, j);
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
        return new Dataset(newName, matrix, labels, classNames, featureNames, scaler, sub, labelled);
    }

    /** The first {@code count} examples (e.g. a quick run on part of the data). */
    public Dataset head(int count) {
        if (count < 0 || count > rows.length) {
            throw new IllegalArgumentException("head(" + count + ") of " + rows.length + " examples");
        }
        return new Dataset(
                name, matrix, labels, classNames, featureNames, scaler, Arrays.copyOf(rows, count), labelled);
    }

    /** A data set and the part carved from it. */
    public record Split(Dataset train, Dataset validation) {}

    /** {@link #split(double, long, boolean)} without stratification. */
    public Split split(double fraction, long seed) {
        return split(fraction, seed, false);
    }

    /**
     * Splits off a random {@code fraction} of the examples (a validation or
     * test set), the same for the same seed. With {@code stratify}, each
     * class gives the same fraction of its examples (rounded), so both parts
     * keep the class proportions. Both parts keep the original order (so
     * training without shuffling sees the rows as stored).
     *
     * @param fraction in [0, 1); 0 gives an empty second part
     */
    public Split split(double fraction, long seed, boolean stratify) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("split fraction must be in [0, 1): " + fraction);
        }
        int n = rows.length;
        // Seeded from the seed but decorrelated from the shuffling of training (see Trainer).
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x5bd1e9955bd1e995L);
        boolean[] out = new boolean[n];
        int taken = 0;
        if (stratify) {
            int[][] byClass = positionsByClass();
            for (int[] positions : byClass) {
                shuffle(positions, rnd);
                int k = (int) Math.round(fraction * positions.length);
                for (int i = 0; i < k; i++) out[positions[i]] = true;
                taken += k;
            }
        } else {
            int[] perm = new int[n];
            Arrays.setAll(perm, i -> i);
            shuffle(perm, rnd);
            taken = (int) Math.round(fraction * n);
            for (int i = 0; i < taken; i++) out[perm[i]] = true;
        }
        int[] second = new int[taken], first = new int[n - taken];
        for (int i = 0, a = 0, b = 0; i < n; i++) {
            if (out[i]) second[b++] = i;
            else first[a++] = i;
        }
        return new Split(select(name, first), select("validation", second));
    }

    private int[][] positionsByClass() {
        int[] counts = classCounts();
        int[][] by = new int[counts.length][];
        for (int k = 0; k < counts.length; k++) by[k] = new int[counts[k]];
        int[] fill = new int[counts.length];
        for (int i = 0; i < rows.length; i++) {
            int k = labels[rows[i]];
            by[k][fill[k]++] = i;
        }
        return by;
    }

    private static void shuffle(int[] a, SplittableRandom rnd) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** Counts of each label. */
    public int[] classCounts() {
        int[] counts = new int[classes()];
        for (int r : rows) counts[labels[r]]++;
        return counts;
    }

    @Override
    public String toString() {
        return name + " (" + size() + " examples of " + features() + " features, " + classes() + " classes)";
    }
}
