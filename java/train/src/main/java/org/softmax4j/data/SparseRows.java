package org.softmax4j.data;

import java.util.Arrays;

/**
 * Rows of sparse features in CSR form, the layout of
 * {@link org.softmax4j.Kernels#csrMatmul}: row i's entries are
 * {@code [rowPtr[i], rowPtr[i + 1])} of the column and value arrays, columns
 * strictly increasing within a row, each in {@code [0, columns)}. Appended
 * row by row ({@link #add}); an empty row is allowed (only the bias then
 * speaks). Entries are int-indexed: up to 2^31 - 1 of them.
 */
public final class SparseRows {
    private final int columns;
    private long[] rowPtr = new long[1024];
    private int[] col = new int[4096];
    private float[] val = new float[4096];
    private int rows;

    /** No rows yet, over {@code columns} features. */
    public SparseRows(int columns) {
        if (columns < 1) throw new IllegalArgumentException("columns = " + columns + " must be >= 1");
        this.columns = columns;
    }

    /**
     * Appends a row: {@code count} entries of sorted, distinct columns.
     *
     * @throws IllegalArgumentException naming the entry when a column is out of
     *     range, repeated or out of order, or a value is not finite
     */
    public void add(int[] columnsOfRow, float[] values, int count) {
        long end = rowPtr[rows] + count;
        if (end > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("more than 2^31 stored entries: split the data");
        }
        int prev = -1;
        for (int k = 0; k < count; k++) {
            int j = columnsOfRow[k];
            if (j < 0 || j >= columns) {
                throw new IllegalArgumentException(
                        "row " + rows + ": column " + j + " is outside [0, " + columns + ")");
            }
            if (j <= prev) {
                throw new IllegalArgumentException(
                        "row " + rows + ": columns must be strictly increasing: " + j + " follows " + prev);
            }
            if (!Float.isFinite(values[k])) {
                throw new IllegalArgumentException("row " + rows + ": the value of column " + j + " is " + values[k]);
            }
            prev = j;
        }
        if (rows + 2 > rowPtr.length) rowPtr = Arrays.copyOf(rowPtr, rowPtr.length * 2);
        int at = (int) rowPtr[rows];
        if (end > col.length) {
            int cap = (int) Math.min(Integer.MAX_VALUE - 8, Math.max(end, 2L * col.length));
            col = Arrays.copyOf(col, cap);
            val = Arrays.copyOf(val, cap);
        }
        System.arraycopy(columnsOfRow, 0, col, at, count);
        System.arraycopy(values, 0, val, at, count);
        rowPtr[++rows] = end;
    }

    /** The feature count. */
    public int columns() {
        return columns;
    }

    /** The number of rows. */
    public long rows() {
        return rows;
    }

    /** The number of stored entries. */
    public long entries() {
        return rowPtr[rows];
    }

    /** The first entry of a row. */
    public long start(long row) {
        return rowPtr[(int) row];
    }

    /** One past the last entry of a row. */
    public long end(long row) {
        return rowPtr[(int) row + 1];
    }

    /** The column of an entry. */
    public int column(long entry) {
        return col[(int) entry];
    }

    /** The value of an entry. */
    public float value(long entry) {
        return val[(int) entry];
    }

    /** Multiplies the value of every entry of column j by {@code w[j]} (idf weights), then L2-normalises rows when asked. */
    public void reweight(float[] w, boolean normalize) {
        for (int i = 0; i < rows; i++) {
            int p0 = (int) rowPtr[i], p1 = (int) rowPtr[i + 1];
            double norm = 0;
            for (int p = p0; p < p1; p++) {
                if (w != null) val[p] *= w[col[p]];
                norm += (double) val[p] * val[p];
            }
            if (normalize && norm > 0) {
                float s = (float) (1 / Math.sqrt(norm));
                for (int p = p0; p < p1; p++) val[p] *= s;
            }
        }
    }

    /**
     * The CSR batch of rows {@code order[from .. from + n)}, into the buffers of {@code b}
     * (grown as needed).
     */
    public void gather(int[] order, int from, int n, Batch b) {
        long nnz = 0;
        for (int i = 0; i < n; i++) nnz += rowPtr[order[from + i] + 1] - rowPtr[order[from + i]];
        b.reserve(n, (int) nnz);
        b.rows = n;
        b.rowPtr[0] = 0;
        int at = 0;
        for (int i = 0; i < n; i++) {
            int r = order[from + i];
            int p0 = (int) rowPtr[r], len = (int) (rowPtr[r + 1] - p0);
            System.arraycopy(col, p0, b.col, at, len);
            System.arraycopy(val, p0, b.val, at, len);
            at += len;
            b.rowPtr[i + 1] = at;
        }
    }

    /** A batch of rows in CSR form, with buffers reused from batch to batch. */
    public static final class Batch {
        public long[] rowPtr = new long[1];
        public int[] col = new int[0];
        public float[] val = new float[0];
        public int rows;

        void reserve(int n, int nnz) {
            if (rowPtr.length < n + 1) rowPtr = new long[n + 1];
            if (col.length < nnz) {
                col = new int[nnz + nnz / 4];
                val = new float[col.length];
            }
        }

        /** The stored entries. */
        public int entries() {
            return (int) rowPtr[rows];
        }

        /**
         * This batch transposed into {@code t} and compacted to the columns it uses:
         * t's row u is column {@code usedColumns[u]} of this batch (increasing), its
         * entries are (batch row, value) in increasing row order. {@code marker}:
         * one int per feature, all -1, left all -1 again; O(entries + used log used).
         */
        public void transposeInto(Batch t, int[] marker, Used used) {
            int nnz = entries();
            used.reserve(Math.min(nnz, marker.length));
            int u = 0;
            for (int p = 0; p < nnz; p++) {
                int j = col[p];
                if (marker[j] < 0) {
                    marker[j] = 0;
                    used.columns[u++] = j;
                }
            }
            used.count = u;
            Arrays.sort(used.columns, 0, u);
            t.reserve(u, nnz);
            t.rows = u;
            for (int k = 0; k < u; k++) marker[used.columns[k]] = k;
            long[] ptr = t.rowPtr;
            Arrays.fill(ptr, 0, u + 1, 0);
            for (int p = 0; p < nnz; p++) ptr[marker[col[p]] + 1]++;
            for (int k = 0; k < u; k++) ptr[k + 1] += ptr[k];
            int[] next = used.next;
            for (int k = 0; k < u; k++) next[k] = (int) ptr[k];
            for (int i = 0; i < rows; i++) {
                for (int p = (int) rowPtr[i]; p < rowPtr[i + 1]; p++) {
                    int at = next[marker[col[p]]]++;
                    t.col[at] = i;
                    t.val[at] = val[p];
                }
            }
            for (int k = 0; k < u; k++) marker[used.columns[k]] = -1;
        }
    }

    /** The columns a batch uses (the rows of the weights a step updates). */
    public static final class Used {
        public int[] columns = new int[0];
        int[] next = new int[0];
        public int count;

        void reserve(int n) {
            if (columns.length < n) {
                columns = new int[n + n / 4];
                next = new int[columns.length];
            }
        }
    }
}
