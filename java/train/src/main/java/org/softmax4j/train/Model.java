package org.softmax4j.train;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.softmax4j.DType;
import org.softmax4j.Kernels;
import org.softmax4j.data.Dataset;
import org.softmax4j.data.Scaler;
import org.softmax4j.data.SparseRows;
import org.softmax4j.data.TextFeatures;

/**
 * A trained softmax classifier with everything prediction needs: the
 * weights, the scaler fitted on the training data, and the class and
 * feature names. Inputs are raw feature rows, as in the training file; the
 * model scales them itself. Thread-safe: every call uses buffers of its own.
 *
 * <pre>{@code
 * Model m = Model.load(Path.of("churn.s4j"));
 * float[] p = m.predictProba(row);        // one probability per class
 * String label = m.predictName(row);
 * }</pre>
 */
public final class Model {
    private final SoftmaxRegression weights;
    private final List<String> classNames, featureNames;
    private final Scaler scaler;
    private final Kernels kernels;
    /** How raw text becomes features, or null for a model of numeric features. */
    private final TextFeatures text;

    /** A model of these parameters (not copied), names and scaler, computing on {@code kernels}. */
    public Model(
            SoftmaxRegression weights,
            List<String> classNames,
            List<String> featureNames,
            Scaler scaler,
            Kernels kernels) {
        this(weights, classNames, featureNames, scaler, kernels, null);
    }

    /** A text model: raw text in, through {@code text}'s features (see {@link #predictText}). */
    public static Model ofText(SoftmaxRegression weights, List<String> classNames, TextFeatures text, Kernels kernels) {
        if (text == null) throw new IllegalArgumentException("text features are null");
        return new Model(weights, classNames, List.of(), Scaler.none(), kernels, text);
    }

    private Model(
            SoftmaxRegression weights,
            List<String> classNames,
            List<String> featureNames,
            Scaler scaler,
            Kernels kernels,
            TextFeatures text) {
        if (scaler.needsFit()) throw new IllegalArgumentException("the scaler " + scaler + " was not fitted");
        new Checkpoint(weights, classNames, featureNames, scaler, null, null, text); // the same checks
        this.text = text;
        this.weights = weights;
        this.classNames = classNames.isEmpty() ? Dataset.numbered(weights.classes()) : List.copyOf(classNames);
        this.featureNames = List.copyOf(featureNames);
        this.scaler = scaler;
        this.kernels = kernels;
    }

    /** The model of a model file (any version), on the default CPU kernels. */
    public static Model load(Path file) {
        return of(Checkpoint.load(file), Kernels.cpu());
    }

    /** The model of a checkpoint. */
    public static Model of(Checkpoint c, Kernels kernels) {
        return new Model(c.model(), c.classNames(), c.featureNames(), c.scaler(), kernels, c.text());
    }

    /** Writes the model (without training state) atomically; see {@link Checkpoint}. */
    public void save(Path file) throws IOException {
        new Checkpoint(weights, classNames, featureNames, scaler, null, null, text).save(file);
    }

    public int features() {
        return weights.features();
    }

    public int classes() {
        return weights.classes();
    }

    /** The classes, in index order. */
    public List<String> classNames() {
        return classNames;
    }

    /** The training file's feature names, or empty. */
    public List<String> featureNames() {
        return featureNames;
    }

    /** How this model turns raw text into features, or null for a model of numeric features. */
    public TextFeatures text() {
        return text;
    }

    /**
     * The class probabilities of each raw text (a text model only), through the
     * stored tokenizer and hashing, a sparse product and softmax.
     */
    public float[][] predictText(List<String> texts) {
        if (text == null) throw new IllegalArgumentException("this model takes numeric features, not text");
        SparseRows rows = new SparseRows(features());
        TextFeatures.Row row = new TextFeatures.Row();
        for (String t : texts) {
            text.featurize(t == null ? "" : t, row, false);
            rows.add(row.columns(), row.values(), row.size());
        }
        return predictSparse(rows);
    }

    /**
     * The class probabilities of each sparse row (as stored: no scaler), by a
     * sparse product and softmax; rows of as many columns as the model has features.
     */
    public float[][] predictSparse(SparseRows rows) {
        int n = Math.toIntExact(rows.rows()), c = classes(), f = features();
        if (rows.columns() != f) {
            throw new IllegalArgumentException(
                    "sparse rows of " + rows.columns() + " columns for a model of " + f + " features");
        }
        float[][] out = new float[n][];
        int[] all = new int[n];
        Arrays.setAll(all, i -> i);
        SparseRows.Batch x = new SparseRows.Batch();
        int step = (int) Math.max(1, Math.min(1024, SgdStep.LOGITS_BUDGET_BYTES / (4L * c)));
        float[] p = new float[Math.min(n, step) * c];
        for (int from = 0; from < n; from += step) {
            int m = Math.min(step, n - from);
            rows.gather(all, from, m, x);
            kernels.csrMatmul(
                    m, c, f, x.rowPtr, x.col, x.val, 1f, weights.weights(), c, weights.bias(), 0f, p, c, null, 0);
            kernels.softmax(m, c, p, p);
            for (int i = 0; i < m; i++) out[from + i] = Arrays.copyOfRange(p, i * c, (i + 1) * c);
        }
        return out;
    }

    /** The class probabilities of one raw text (a text model only). */
    public float[] predictText(String document) {
        return predictText(List.of(document))[0];
    }

    public Scaler scaler() {
        return scaler;
    }

    /** The parameters (live: do not modify). */
    public SoftmaxRegression weights() {
        return weights;
    }

    /**
     * The class probabilities of n raw rows: {@code out = softmax(scale(rows) W + b)}.
     *
     * @param rows n x features float32, row-major
     * @param out  n x classes float32
     */
    public void predictProba(int n, MemorySegment rows, MemorySegment out) {
        if (n < 0) throw new IllegalArgumentException("n = " + n + " is negative");
        if (n == 0) return;
        int f = features(), c = classes();
        int[] index = new int[n];
        Arrays.setAll(index, i -> i);
        float[] x = new float[Math.multiplyExact(n, f)];
        MemorySegment xs = MemorySegment.ofArray(x);
        kernels.gatherRows(
                n,
                f,
                DType.F32,
                rows,
                n,
                MemorySegment.ofArray(index),
                scaler.scale(),
                scaler.shiftSegment(),
                scaler.colScaleSegment(),
                xs);
        kernels.sgemm(false, false, n, c, f, 1f, xs, f, MemorySegment.ofArray(weights.weights()), c, 0f, out, c);
        kernels.addBias(n, c, MemorySegment.ofArray(weights.bias()), out);
        kernels.softmax(n, c, out, out);
    }

    /** The class probabilities of one raw row. */
    public float[] predictProba(float[] row) {
        checkRow(row);
        float[] p = new float[classes()];
        predictProba(1, MemorySegment.ofArray(row), MemorySegment.ofArray(p));
        return p;
    }

    /** The class probabilities of each raw row. */
    public float[][] predictProba(float[][] rows) {
        int n = rows.length, f = features(), c = classes();
        float[] flat = new float[Math.multiplyExact(n, f)], p = new float[Math.multiplyExact(n, c)];
        for (int i = 0; i < n; i++) {
            checkRow(rows[i]);
            System.arraycopy(rows[i], 0, flat, i * f, f);
        }
        predictProba(n, MemorySegment.ofArray(flat), MemorySegment.ofArray(p));
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) out[i] = Arrays.copyOfRange(p, i * c, (i + 1) * c);
        return out;
    }

    /** The most probable class of one raw row. */
    public int predict(float[] row) {
        return topK(row, 1)[0];
    }

    /** The name of the most probable class of one raw row. */
    public String predictName(float[] row) {
        return classNames.get(predict(row));
    }

    /** The k most probable classes of one raw row, most probable first (ties: lower index first). */
    public int[] topK(float[] row, int k) {
        return top(predictProba(row), k);
    }

    /** The k largest entries of p, largest first, found without sorting all of them. */
    public static int[] top(float[] p, int k) {
        if (k < 1) throw new IllegalArgumentException("k = " + k + " must be >= 1");
        k = Math.min(k, p.length);
        int[] best = new int[k];
        int filled = 0;
        for (int j = 0; j < p.length; j++) {
            if (filled == k && !(p[j] > p[best[k - 1]])) continue;
            int at = filled < k ? filled++ : k - 1;
            while (at > 0 && p[j] > p[best[at - 1]]) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = j;
        }
        return best;
    }

    private void checkRow(float[] row) {
        if (row == null || row.length != features()) {
            throw new IllegalArgumentException("a row of " + (row == null ? "null" : row.length)
                    + " values for a model of " + features() + " features");
        }
    }
}
