package org.softmax4j.train;

import org.softmax4j.data.Dataset;

/**
 * Counts of (true class, predicted class) pairs.
 *
 * @param counts {@code counts[t][p]}: examples of class t predicted as p
 */
public record ConfusionMatrix(long[][] counts) {

    /** The matrix of {@code predictions} (one per example of data) against data's labels. */
    public static ConfusionMatrix of(Dataset data, int[] predictions) {
        int c = data.classes();
        long[][] counts = new long[c][c];
        for (int i = 0; i < data.size(); i++) counts[data.label(i)][predictions[i]]++;
        return new ConfusionMatrix(counts);
    }

    /** Number of classes. */
    public int classes() {
        return counts.length;
    }

    /** Examples counted. */
    public long total() {
        long s = 0;
        for (long[] row : counts) for (long v : row) s += v;
        return s;
    }

    /** Examples on the diagonal. */
    public long correct() {
        long s = 0;
        for (int i = 0; i < counts.length; i++) s += counts[i][i];
        return s;
    }

    /** Fraction on the diagonal. */
    public double accuracy() {
        return (double) correct() / total();
    }

    /** Of the examples of class k, the fraction predicted as k (NaN when there are none). */
    public double recall(int k) {
        long row = 0;
        for (long v : counts[k]) row += v;
        return row == 0 ? Double.NaN : (double) counts[k][k] / row;
    }

    /** Of the examples predicted as k, the fraction that are k (NaN when there are none). */
    public double precision(int k) {
        long col = 0;
        for (long[] row : counts) col += row[k];
        return col == 0 ? Double.NaN : (double) counts[k][k] / col;
    }
}
