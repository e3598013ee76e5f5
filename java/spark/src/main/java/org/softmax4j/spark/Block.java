package org.softmax4j.spark;

import java.io.Serializable;

/**
 * Rows of one partition packed once into the layouts the kernels read, and
 * cached by Spark across iterations: a row-major float32 matrix
 * ({@link #x}, dense blocks) or CSR rows ({@link #rowPtr}, {@link #col},
 * {@link #val}) together with their transpose compacted to the features
 * the block uses ({@link #tRowPtr}, {@link #tCol}, {@link #tVal},
 * {@link #tUsed}: the scatter of {@code X^T G} into the rows of the
 * gradient). Heap arrays, so that Spark can size, spill and ship blocks
 * like any other object; the kernels read them in place.
 *
 * <p>Also the scratch batch an SGD step gathers its rows into (then the
 * arrays may be longer than {@link #rows} needs).
 */
final class Block implements Serializable {
    private static final long serialVersionUID = 1L;

    int rows;
    final int features;
    /** Dense: rows x features, row-major; null for CSR blocks. */
    float[] x;

    long[] rowPtr;
    int[] col;
    float[] val;
    long[] tRowPtr;
    int[] tCol;
    float[] tVal;
    int[] tUsed;
    int tUsedCount;

    int[] labels;
    /** Instance weights, or null when every row weighs 1. */
    float[] weights;

    private Block(int features) {
        this.features = features;
    }

    static Block dense(int rows, int features, float[] x, int[] labels, float[] weights) {
        Block b = new Block(features);
        b.rows = rows;
        b.x = x;
        b.labels = labels;
        b.weights = weights;
        return b;
    }

    static Block sparse(int rows, int features, long[] rowPtr, int[] col, float[] val, int[] labels, float[] weights) {
        Block b = new Block(features);
        b.rows = rows;
        b.rowPtr = rowPtr;
        b.col = col;
        b.val = val;
        b.labels = labels;
        b.weights = weights;
        return b;
    }

    boolean isDense() {
        return x != null;
    }

    /** Stored entries of a CSR block. */
    long entries() {
        return rowPtr[rows];
    }

    /** The weight of row i. */
    float weight(int i) {
        return weights == null ? 1f : weights[i];
    }
}
