package org.softmax4j.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The rows of {@link ClusterIT}, drawn by the executors partition by
 * partition: features N(mean_j, scale_j^2), the label the argmax of a fixed
 * random linear map plus Gumbel noise (learnable, not separable).
 */
final class ClusterData {
    static final StructType SCHEMA =
            new StructType().add("features", SQLDataTypes.VectorType()).add("label", DataTypes.DoubleType);

    private ClusterData() {}

    static List<Row> rows(int partition, int n, int features, int classes) {
        SplittableRandom model = new SplittableRandom(17), rnd = new SplittableRandom(1000 + partition);
        double[] mean = new double[features], scale = new double[features];
        double[][] w = new double[classes][features];
        for (int j = 0; j < features; j++) {
            mean[j] = model.nextDouble(-2, 2);
            scale[j] = Math.exp(model.nextDouble(-1, 1));
        }
        for (double[] row : w) for (int j = 0; j < features; j++) row[j] = 0.4 * model.nextGaussian() / scale[j];
        List<Row> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            double[] x = new double[features];
            for (int j = 0; j < features; j++) x[j] = mean[j] + scale[j] * rnd.nextGaussian();
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < classes; k++) {
                double s = 0.2 * k - Math.log(-Math.log(rnd.nextDouble(1e-300, 1)));
                for (int j = 0; j < features; j++) s += w[k][j] * (x[j] - mean[j]);
                if (s > bestScore) {
                    bestScore = s;
                    best = k;
                }
            }
            out.add(RowFactory.create(Vectors.dense(x), (double) best));
        }
        return out;
    }
}
