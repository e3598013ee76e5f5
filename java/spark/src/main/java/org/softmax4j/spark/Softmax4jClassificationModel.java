package org.softmax4j.spark;

import java.util.List;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.classification.ProbabilisticClassificationModel;
import org.apache.spark.ml.linalg.DenseVector;
import org.apache.spark.ml.linalg.Matrix;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWriter;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Option;
import scala.Tuple3;

/**
 * A fitted {@link Softmax4jClassifier}: {@code rawPrediction = W x + b}
 * (one margin per class), {@code probability = softmax(rawPrediction)},
 * {@code prediction} its argmax (or as {@code thresholds} say), the columns
 * and semantics of MLlib's multinomial {@code LogisticRegressionModel}.
 * Saved and loaded through MLWriter/MLReader (metadata as JSON, the
 * coefficients as Parquet, MLlib's layout).
 */
public final class Softmax4jClassificationModel
        extends ProbabilisticClassificationModel<Vector, Softmax4jClassificationModel> implements MLWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Matrix coefficientMatrix;
    private final Vector interceptVector;
    private final int numClasses;
    private final int numFeatures;
    /** The coefficients features x classes, row-major: a row's margins read one contiguous row per feature. */
    private final double[] weights;

    private final double[] intercepts;
    private transient Softmax4jTrainingSummary summary;

    Softmax4jClassificationModel(String uid, Matrix coefficientMatrix, Vector interceptVector) {
        // before super(): Spark's shared params are created there and ask for uid()
        this.uid = uid;
        this.coefficientMatrix = coefficientMatrix;
        this.interceptVector = interceptVector;
        super();
        numClasses = coefficientMatrix.numRows();
        numFeatures = coefficientMatrix.numCols();
        if (interceptVector.size() != numClasses) {
            throw new IllegalArgumentException(interceptVector.size() + " intercepts for " + numClasses + " classes");
        }
        weights = new double[numFeatures * numClasses];
        for (int j = 0; j < numFeatures; j++) {
            for (int k = 0; k < numClasses; k++) weights[j * numClasses + k] = coefficientMatrix.apply(k, j);
        }
        intercepts = interceptVector.toArray();
    }

    @Override
    public String uid() {
        return uid;
    }

    /** The weights, classes x features (MLlib's orientation). */
    public Matrix coefficientMatrix() {
        return coefficientMatrix;
    }

    /** The intercept of each class. */
    public Vector interceptVector() {
        return interceptVector;
    }

    @Override
    public int numClasses() {
        return numClasses;
    }

    @Override
    public int numFeatures() {
        return numFeatures;
    }

    /** Whether this model has the summary of its fit (models loaded from disk do not). */
    public boolean hasSummary() {
        return summary != null;
    }

    /**
     * @throws IllegalStateException when the model has no summary
     */
    public Softmax4jTrainingSummary summary() {
        if (summary == null) throw new IllegalStateException("no training summary: the model was not fitted here");
        return summary;
    }

    void setSummary(Softmax4jTrainingSummary s) {
        summary = s;
    }

    @Override
    public Vector predictRaw(Vector features) {
        if (features.size() != numFeatures) {
            throw new IllegalArgumentException("features has " + features.size() + " values, the model " + numFeatures);
        }
        int c = numClasses;
        double[] raw = intercepts.clone();
        if (features instanceof DenseVector d) {
            double[] x = d.values();
            for (int j = 0; j < x.length; j++) {
                if (x[j] != 0) addRow(raw, x[j], j * c, c);
            }
        } else {
            SparseVector s = (SparseVector) features;
            int[] idx = s.indices();
            double[] v = s.values();
            for (int p = 0; p < idx.length; p++) addRow(raw, v[p], idx[p] * c, c);
        }
        return Vectors.dense(raw);
    }

    private void addRow(double[] raw, double x, int at, int c) {
        for (int k = 0; k < c; k++) raw[k] += x * weights[at + k];
    }

    /** Softmax, max-subtracted: safe for any finite margins. */
    @Override
    public Vector raw2probabilityInPlace(Vector rawPrediction) {
        if (!(rawPrediction instanceof DenseVector d)) {
            throw new IllegalArgumentException("rawPrediction must be dense: " + rawPrediction.getClass());
        }
        double[] v = d.values();
        double max = Double.NEGATIVE_INFINITY;
        for (double z : v) max = Math.max(max, z);
        double sum = 0;
        for (int k = 0; k < v.length; k++) sum += v[k] = Math.exp(v[k] - max);
        for (int k = 0; k < v.length; k++) v[k] /= sum;
        return d;
    }

    @Override
    public Softmax4jClassificationModel copy(ParamMap extra) {
        Softmax4jClassificationModel m =
                copyValues(new Softmax4jClassificationModel(uid, coefficientMatrix, interceptVector), extra);
        m.summary = summary;
        return m.setParent(parent());
    }

    /** Java sees two inherited findSummaryModel()s (Scala's covariant override): this picks the subclass's. */
    @Override
    @SuppressWarnings("rawtypes")
    public Tuple3 findSummaryModel() {
        return super.findSummaryModel();
    }

    @Override
    public String toString() {
        return "Softmax4jClassificationModel: uid=" + uid + ", numClasses=" + numClasses + ", numFeatures="
                + numFeatures;
    }

    // ---- persistence ---------------------------------------------------------

    @Override
    public MLWriter write() {
        return new Writer(this);
    }

    public static MLReader<Softmax4jClassificationModel> read() {
        return new Reader();
    }

    public static Softmax4jClassificationModel load(String path) {
        return read().load(path);
    }

    private static final StructType DATA = new StructType()
            .add("numClasses", DataTypes.IntegerType, false)
            .add("numFeatures", DataTypes.IntegerType, false)
            .add("interceptVector", SQLDataTypes.VectorType(), false)
            .add("coefficientMatrix", SQLDataTypes.MatrixType(), false);

    private static final class Writer extends MLWriter {
        private final Softmax4jClassificationModel model;

        Writer(Softmax4jClassificationModel model) {
            this.model = model;
        }

        @Override
        public void saveImpl(String path) {
            DefaultParamsWriter.saveMetadata(model, path, sparkSession());
            Row row = RowFactory.create(
                    model.numClasses, model.numFeatures, model.interceptVector, model.coefficientMatrix);
            sparkSession()
                    .createDataFrame(List.of(row), DATA)
                    .repartition(1)
                    .write()
                    .parquet(new Path(path, "data").toString());
        }
    }

    private static final class Reader extends MLReader<Softmax4jClassificationModel> {
        @Override
        public Softmax4jClassificationModel load(String path) {
            DefaultParamsReader.Metadata metadata = DefaultParamsReader.loadMetadata(
                    path, sparkSession(), Softmax4jClassificationModel.class.getName());
            Row row = sparkSession()
                    .read()
                    .parquet(new Path(path, "data").toString())
                    .select("interceptVector", "coefficientMatrix")
                    .head();
            Softmax4jClassificationModel m =
                    new Softmax4jClassificationModel(metadata.uid(), row.getAs(1), row.getAs(0));
            metadata.getAndSetParams(m, Option.empty());
            return m;
        }
    }
}
