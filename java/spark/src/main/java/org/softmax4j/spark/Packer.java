package org.softmax4j.spark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.softmax4j.data.SparseRows;

/**
 * Packs a partition's rows (features vector, label, optional weight) into
 * {@link Block}s of at most {@code blockRows} rows, lazily, so that Spark's
 * memory store can unroll them one at a time. A partition is packed dense or
 * sparse as a whole, as its first block's density says: CSR when fewer than
 * {@link #SPARSE_BELOW} of the entries are non-zero (where csrMatmul beats
 * SGEMM, and where a dense copy of wide rows would not fit), else dense.
 * One format per partition keeps an SGD step's gathered rows in one format.
 */
final class Packer implements Iterator<Block> {
    /** Non-zero fraction under which a partition is packed as CSR. */
    static final double SPARSE_BELOW = 0.05;

    private final Iterator<Row> rows;
    private final int features;
    private final int blockRows;
    private final boolean weighted;
    private final List<Vector> pendingX = new ArrayList<>();
    private final List<Row> pendingRows = new ArrayList<>();
    private int[] marker;
    private Boolean sparse;
    private long rowIndex;
    private final String where;

    private Packer(Iterator<Row> rows, int features, int blockRows, boolean weighted) {
        this.rows = rows;
        this.features = features;
        this.blockRows = blockRows;
        this.weighted = weighted;
        TaskContext task = TaskContext.get();
        where = task == null ? "" : " of partition " + task.partitionId();
    }

    /**
     * Blocks of the rows {@code (features: Vector, label: double[, weight: double])}.
     *
     * @throws IllegalArgumentException (when the iterator is consumed) naming the row of the
     *     partition whose vector has another size, whose label is not a class index, or whose
     *     weight or a feature is not finite or the weight is negative
     */
    static Iterator<Block> pack(Iterator<Row> rows, int features, int blockRows, boolean weighted) {
        return new Packer(rows, features, blockRows, weighted);
    }

    /** Dense blocks of an in-memory matrix ({@code n x features}, row-major), for single-process runs. */
    static List<Block> dense(float[] x, int n, int features, int[] labels, float[] weights, int blockRows) {
        if ((long) n * features > x.length || labels.length < n || (weights != null && weights.length < n)) {
            throw new IllegalArgumentException("x, labels or weights hold fewer than " + n + " rows");
        }
        List<Block> out = new ArrayList<>();
        for (int from = 0; from < n; from += blockRows) {
            int m = Math.min(blockRows, n - from);
            out.add(Block.dense(
                    m,
                    features,
                    Arrays.copyOfRange(x, from * features, (from + m) * features),
                    Arrays.copyOfRange(labels, from, from + m),
                    weights == null ? null : Arrays.copyOfRange(weights, from, from + m)));
        }
        return out;
    }

    @Override
    public boolean hasNext() {
        return rows.hasNext();
    }

    @Override
    public Block next() {
        if (!rows.hasNext()) throw new NoSuchElementException();
        pendingX.clear();
        pendingRows.clear();
        long nnz = 0;
        while (pendingX.size() < blockRows && rows.hasNext()) {
            Row r = rows.next();
            Vector v = r.getAs(0);
            if (v == null) throw new IllegalArgumentException("row " + rowIndex + where + " has no features");
            if (v.size() != features) {
                throw new IllegalArgumentException(
                        "row " + rowIndex + where + " has " + v.size() + " features, the first row " + features);
            }
            nnz += v.numNonzeros();
            pendingX.add(v);
            pendingRows.add(r);
            rowIndex++;
        }
        if (sparse == null) sparse = nnz < SPARSE_BELOW * pendingX.size() * features;
        int n = pendingX.size();
        long first = rowIndex - n;
        int[] labels = new int[n];
        float[] weights = weighted ? new float[n] : null;
        for (int i = 0; i < n; i++) {
            Row r = pendingRows.get(i);
            labels[i] = label(r.isNullAt(1) ? Double.NaN : r.getDouble(1), first + i);
            if (weighted) weights[i] = weight(r.isNullAt(2) ? Double.NaN : r.getDouble(2), first + i);
        }
        Block b = sparse ? sparseBlock(n, nnz, labels, weights, first) : denseBlock(n, labels, weights, first);
        pendingX.clear();
        pendingRows.clear();
        return b;
    }

    private Block denseBlock(int n, int[] labels, float[] weights, long first) {
        if ((long) n * features > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(n + " rows x " + features
                    + " features exceed a Java array: lower blockSize to at most "
                    + (Integer.MAX_VALUE - 8) / features);
        }
        float[] x = new float[n * features];
        for (int i = 0; i < n; i++) {
            Vector v = pendingX.get(i);
            int at = i * features;
            if (v instanceof DenseVector d) {
                double[] a = d.values();
                for (int j = 0; j < features; j++) x[at + j] = feature(a[j], first + i, j);
            } else {
                SparseVector s = (SparseVector) v;
                int[] idx = s.indices();
                double[] a = s.values();
                for (int p = 0; p < idx.length; p++) x[at + idx[p]] = feature(a[p], first + i, idx[p]);
            }
        }
        return Block.dense(n, features, x, labels, weights);
    }

    private Block sparseBlock(int n, long nnz, int[] labels, float[] weights, long first) {
        if (nnz > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(
                    nnz + " non-zeros in " + n + " rows exceed a Java array: lower blockSize");
        }
        long[] rowPtr = new long[n + 1];
        int[] col = new int[(int) nnz];
        float[] val = new float[(int) nnz];
        int at = 0;
        for (int i = 0; i < n; i++) {
            Vector v = pendingX.get(i);
            if (v instanceof DenseVector d) {
                double[] a = d.values();
                for (int j = 0; j < features; j++) {
                    if (a[j] != 0) {
                        col[at] = j;
                        val[at++] = feature(a[j], first + i, j);
                    }
                }
            } else {
                SparseVector s = (SparseVector) v;
                int[] idx = s.indices();
                double[] a = s.values();
                for (int p = 0; p < idx.length; p++) {
                    if (a[p] != 0) {
                        col[at] = idx[p];
                        val[at++] = feature(a[p], first + i, idx[p]);
                    }
                }
            }
            rowPtr[i + 1] = at;
        }
        Block b = Block.sparse(n, features, rowPtr, Arrays.copyOf(col, at), Arrays.copyOf(val, at), labels, weights);
        if (marker == null) {
            marker = new int[features];
            Arrays.fill(marker, -1);
        }
        transpose(b, marker);
        return b;
    }

    /**
     * Fills the transposed CSR of b's rows (the {@code X^T G} product).
     * {@code marker}: one int per feature, all -1 (left so).
     */
    static void transpose(Block b, int[] marker) {
        SparseRows.Batch rowsOfB = new SparseRows.Batch(), t = new SparseRows.Batch();
        rowsOfB.rowPtr = b.rowPtr;
        rowsOfB.col = b.col;
        rowsOfB.val = b.val;
        rowsOfB.rows = b.rows;
        SparseRows.Used used = new SparseRows.Used();
        rowsOfB.transposeInto(t, marker, used);
        int nnz = (int) b.entries();
        b.tUsedCount = used.count;
        b.tUsed = Arrays.copyOf(used.columns, used.count);
        b.tRowPtr = Arrays.copyOf(t.rowPtr, used.count + 1);
        b.tCol = Arrays.copyOf(t.col, nnz);
        b.tVal = Arrays.copyOf(t.val, nnz);
    }

    private int label(double y, long row) {
        if (!(y >= 0 && y < Integer.MAX_VALUE && y == Math.rint(y))) {
            throw new IllegalArgumentException(
                    "row " + row + where + ": label " + y + " is not a class index (a whole number >= 0)");
        }
        return (int) y;
    }

    private float weight(double w, long row) {
        if (!(w >= 0 && w < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("row " + row + where + ": weight " + w + " is not a finite number >= 0");
        }
        return (float) w;
    }

    private float feature(double v, long row, int j) {
        float f = (float) v;
        if (!Float.isFinite(f)) {
            throw new IllegalArgumentException(
                    "row " + row + where + ": feature " + j + " is " + v + " (finite in float32 needed)");
        }
        return f;
    }
}
