package org.softmax4j.data;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Labelled sparse rows: text as {@link TextCorpus} featurizes it, or a LIBSVM
 * file kept sparse ({@link #libsvm}).
 *
 * @param name       what the data is, for messages (a file name)
 * @param rows       one feature row per example
 * @param labels     one class per row, or all 0 when the file has none
 * @param classNames the classes, sorted (or a model's, as given)
 * @param labelled   whether labels were read
 */
public record SparseDataset(String name, SparseRows rows, int[] labels, List<String> classNames, boolean labelled) {
    public SparseDataset {
        if (labels.length != rows.rows())
            throw new IllegalArgumentException(labels.length + " labels for " + rows.rows() + " rows");
        classNames = List.copyOf(classNames);
    }

    /**
     * A LIBSVM / SVMlight file as sparse rows (1-based indexes become columns
     * 0 ..): for feature counts where a dense matrix would not fit (text,
     * one-hot, click logs).
     *
     * @param features the feature count (a model's), or 0: the file's largest index
     * @param classes  a model's classes, or null: those found, sorted
     * @throws DataException naming the file and line of any problem
     */
    public static SparseDataset libsvm(Path file, int features, List<String> classes) {
        return new LibsvmReader(file, features).readSparse(classes);
    }

    /** The number of examples. */
    public int size() {
        return labels.length;
    }

    /** The number of classes. */
    public int classes() {
        return classNames.size();
    }

    /** The rows in a seeded random order, cut at {@code testFraction}: (train, test) row numbers. */
    public int[][] split(double testFraction, long seed) {
        int n = size();
        int[] order = new int[n];
        Arrays.setAll(order, i -> i);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int test = (int) Math.round(n * testFraction);
        int[] te = Arrays.copyOfRange(order, 0, test), tr = Arrays.copyOfRange(order, test, n);
        Arrays.sort(te);
        Arrays.sort(tr);
        return new int[][] {tr, te};
    }
}
