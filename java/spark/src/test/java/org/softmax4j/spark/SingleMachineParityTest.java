package org.softmax4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What Spark aggregates equals what one process computes: the loss and
 * gradient sums at random coefficients (against a double-precision loop
 * written out here, and against the same kernels without Spark), and the
 * objective that L-BFGS ends at.
 */
class SingleMachineParityTest {
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = LocalSpark.session();
    }

    @Test
    void aggregatedLossAndGradientMatchOneProcess() {
        SplittableRandom rnd = new SplittableRandom(System.nanoTime());
        for (boolean sparse : new boolean[] {false, true}) {
            TestData data = new TestData(1500, 12, 5, sparse ? 0.96 : 0, rnd.nextLong());
            float[] classWeight = {1f, 0.5f, 2f, 1.5f, 0.25f};
            Coefficients c = randomCoefficients(12, 5, classWeight, rnd);
            JavaRDD<Block> blocks =
                    Softmax4jClassifier.blocks(data.frame(spark, sparse, 3), "features", "label", "weight", 12, 97);
            LossSum spark = DistributedObjective.sums(blocks, c, 2);
            assertTrue(blocks.getNumPartitions() == 3 && spark.rows == 1500, "3 partitions of 1500 rows");

            double[] grad = new double[12 * 5 + 5];
            double[] sums = directSums(data, c, grad);
            String what = sparse ? "sparse" : "dense";
            assertEquals(sums[0], spark.loss, 1e-5 * sums[0], what + " loss");
            assertEquals(sums[1], spark.weight, 1e-9 * sums[1], what + " weight");
            double scale = 0;
            for (double g : grad) scale = Math.max(scale, Math.abs(g));
            for (int i = 0; i < grad.length; i++) {
                assertEquals(grad[i], spark.grad[i], 1e-5 * scale, what + " gradient " + i);
            }

            // the same blocks, shipped to this process and summed there
            List<Block> local = blocks.collect();
            LossSum one = LocalObjective.sums(local, c);
            assertEquals(one.loss, spark.loss, 1e-9 * one.loss, what + ": the same kernels in one process");
            for (int i = 0; i < grad.length; i++) {
                assertEquals(one.grad[i], spark.grad[i], 1e-9 * scale, what + ": gradient " + i + " in one process");
            }
        }
    }

    @Test
    void lbfgsEndsAtTheSingleMachineObjective() {
        TestData data = new TestData(4000, 10, 3, 0, System.nanoTime());
        Dataset<Row> frame = data.frame(spark, false, 4).persist(StorageLevel.MEMORY_ONLY());
        Softmax4jClassificationModel m = new Softmax4jClassifier()
                .setRegParam(0.01)
                .setWeightCol("weight")
                .setMaxIter(200)
                .setTol(1e-9)
                .fit(frame);

        float[] w = new float[data.rows];
        int[] y = data.y.clone();
        for (int i = 0; i < data.rows; i++) w[i] = (float) data.weight[i];
        List<Block> blocks = Packer.dense(data.floats(), data.rows, data.features, y, w, 4096);
        BlockStats stats = LocalObjective.stats(blocks, data.features);
        ScaledProblem problem =
                new ScaledProblem(data.features, 3, true, stats.means(), stats.std(), true, 0.01, 0, null);
        LocalObjective f = new LocalObjective(blocks, problem, stats.weightSum);
        Lbfgs.Result r = new Lbfgs(200, 10, 1e-9, null).minimize(f, problem.initial(stats.histogram), null);

        double[] h = m.summary().objectiveHistory(), hl = r.objectiveHistory();
        double distributed = h[h.length - 1], single = hl[hl.length - 1];
        assertEquals(single, distributed, 1e-5 * single, "final objectives");
        assertEquals(hl[0], h[0], 1e-6 * hl[0], "objectives at the start");
        double[] wl = problem.weights(r.x()), wd = m.coefficientMatrix().toArray();
        for (int i = 0; i < wl.length; i++) assertEquals(wl[i], wd[i], 1e-3 * (1 + Math.abs(wl[i])), "weight " + i);
        frame.unpersist();
    }

    static Coefficients randomCoefficients(int d, int c, float[] classWeight, SplittableRandom rnd) {
        float[] w = new float[d * c], b = new float[c];
        for (int i = 0; i < w.length; i++) w[i] = (float) (0.5 * rnd.nextGaussian());
        for (int k = 0; k < c; k++) b[k] = (float) rnd.nextGaussian();
        return new Coefficients(d, c, w, b, classWeight);
    }

    /**
     * {loss sum, weight sum} of the rows in double precision; writes the gradient sums
     * (d x c weights, then c bias).
     */
    static double[] directSums(TestData data, Coefficients c, double[] grad) {
        int d = c.features(), k = c.classes();
        double loss = 0, weight = 0;
        double[] z = new double[k];
        for (int i = 0; i < data.rows; i++) {
            float[] x = new float[d];
            for (int j = 0; j < d; j++) x[j] = (float) data.x[i][j];
            double max = Double.NEGATIVE_INFINITY;
            for (int q = 0; q < k; q++) {
                double s = c.bias()[q];
                for (int j = 0; j < d; j++) s += (double) x[j] * c.weights()[j * k + q];
                z[q] = s;
                max = Math.max(max, s);
            }
            double sum = 0;
            for (int q = 0; q < k; q++) sum += Math.exp(z[q] - max);
            double lse = max + Math.log(sum);
            int y = data.y[i];
            double wi = (float) data.weight[i] * (c.classWeight() == null ? 1 : c.classWeight()[y]);
            loss += wi * (lse - z[y]);
            weight += wi;
            for (int q = 0; q < k; q++) {
                double g = wi * (Math.exp(z[q] - lse) - (q == y ? 1 : 0));
                for (int j = 0; j < d; j++) grad[j * k + q] += g * x[j];
                grad[d * k + q] += g;
            }
        }
        return new double[] {loss, weight};
    }
}
