package org.softmax4j.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Labelled rows drawn from a softmax-regression model with random weights:
 * features N(mean_j, scale_j^2) (different scales and offsets, so that
 * standardisation matters), labels sampled from the model's probabilities
 * (not separable: the unpenalised optimum is finite).
 */
final class TestData {
    final int rows, features, classes;
    final double[][] x;
    final int[] y;
    final double[] weight;

    TestData(int rows, int features, int classes, double sparsity, long seed) {
        this.rows = rows;
        this.features = features;
        this.classes = classes;
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] mean = new double[features], scale = new double[features];
        for (int j = 0; j < features; j++) {
            mean[j] = sparsity > 0 ? 0 : rnd.nextDouble(-2, 2);
            scale[j] = Math.exp(rnd.nextDouble(-1, 1));
        }
        double[][] w = new double[classes][features];
        for (double[] row : w) for (int j = 0; j < features; j++) row[j] = rnd.nextGaussian() / scale[j];
        x = new double[rows][features];
        y = new int[rows];
        weight = new double[rows];
        double[] p = new double[classes];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < features; j++) {
                x[i][j] = rnd.nextDouble() < sparsity ? 0 : mean[j] + scale[j] * rnd.nextGaussian();
            }
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int k = 0; k < classes; k++) {
                double z = 0.3 * k;
                for (int j = 0; j < features; j++) z += w[k][j] * (x[i][j] - mean[j]);
                p[k] = z;
                max = Math.max(max, z);
            }
            for (int k = 0; k < classes; k++) sum += p[k] = Math.exp(p[k] - max);
            double u = rnd.nextDouble() * sum;
            int k = 0;
            while (k < classes - 1 && (u -= p[k]) > 0) k++;
            y[i] = k;
            weight[i] = 1 + rnd.nextInt(3);
        }
    }

    static final StructType SCHEMA = new StructType()
            .add("features", SQLDataTypes.VectorType())
            .add("label", DataTypes.DoubleType)
            .add("weight", DataTypes.DoubleType);

    /**
     * The rows as a DataFrame (features, label, weight) of dense or sparse vectors, in order,
     * in {@code partitions} consecutive slices (the same slices for either kind of vector).
     */
    Dataset<Row> frame(SparkSession spark, boolean sparse, int partitions) {
        List<Row> list = new ArrayList<>(rows);
        for (int i = 0; i < rows; i++) list.add(RowFactory.create(vector(i, sparse), (double) y[i], weight[i]));
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        return spark.createDataFrame(jsc.parallelize(list, partitions), SCHEMA);
    }

    Vector vector(int i, boolean sparse) {
        Vector v = Vectors.dense(x[i].clone());
        return sparse ? v.toSparse() : v;
    }

    /** The features as float32, row-major (what the blocks hold). */
    float[] floats() {
        float[] f = new float[rows * features];
        for (int i = 0; i < rows; i++) for (int j = 0; j < features; j++) f[i * features + j] = (float) x[i][j];
        return f;
    }
}
