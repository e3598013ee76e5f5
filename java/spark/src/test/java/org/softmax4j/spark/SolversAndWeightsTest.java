package org.softmax4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.softmax4j.spark.Softmax4jClassifierTest.assertClose;
import static org.softmax4j.spark.Softmax4jClassifierTest.centred;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Minibatch SGD against L-BFGS's optimum, and what instance and class weights mean. */
class SolversAndWeightsTest {
    private static SparkSession spark;
    private static TestData data;
    private static Dataset<Row> frame;

    @BeforeAll
    static void start() {
        spark = LocalSpark.session();
        data = new TestData(3000, 6, 3, 0, System.nanoTime());
        frame = data.frame(spark, false, 2).cache();
    }

    /** The mean loss of a model over the data, by the kernels in this process. */
    private static double meanLoss(Softmax4jClassificationModel m) {
        int d = m.numFeatures(), c = m.numClasses();
        float[] w = new float[d * c], b = new float[c];
        for (int j = 0; j < d; j++)
            for (int k = 0; k < c; k++)
                w[j * c + k] = (float) m.coefficientMatrix().apply(k, j);
        for (int k = 0; k < c; k++) b[k] = (float) m.interceptVector().apply(k);
        List<Block> blocks = Packer.dense(data.floats(), data.rows, d, data.y, null, 1024);
        LossSum s = LocalObjective.sums(blocks, new Coefficients(d, c, w, b, null));
        return s.loss / s.weight;
    }

    @Test
    void sgdApproachesTheLbfgsOptimum() {
        Softmax4jClassificationModel best =
                new Softmax4jClassifier().setTol(1e-9).fit(frame);
        Softmax4jClassifier sgd = new Softmax4jClassifier()
                .setSolver("sgd")
                .setMaxIter(8)
                .setBatchSize(500)
                .setStepSize(0.2)
                .setMomentum(0.9)
                .setSeed(11);
        Softmax4jClassificationModel m = sgd.fit(frame);
        double optimum = meanLoss(best), reached = meanLoss(m);
        assertTrue(reached < optimum * 1.02, "SGD's loss " + reached + " vs the optimum " + optimum);
        Softmax4jTrainingSummary s = m.summary();
        assertEquals("sgd", s.solver());
        assertEquals(8, s.iterations());
        assertEquals(8, s.objectiveHistory().length);
        assertEquals(8, s.elapsedNanos().length);
        assertEquals(8 * 6, s.passes().size(), "6 steps of 500 rows per epoch of 3000");
        for (Softmax4jTrainingSummary.Pass p : s.passes()) assertEquals(500, p.rows(), 1);
        double[] h = s.objectiveHistory();
        assertTrue(h[7] < h[0], Arrays.toString(h));

        // the same steps; only the order in which Spark merges the partitions' double sums may vary
        Softmax4jClassificationModel again = sgd.fit(frame);
        assertClose(m.coefficientMatrix().toArray(), again.coefficientMatrix().toArray(), 1e-9);
        Softmax4jClassificationModel other =
                sgd.copy(new org.apache.spark.ml.param.ParamMap()).setSeed(12).fit(frame);
        double diff = 0;
        for (int i = 0; i < 18; i++) {
            diff = Math.max(
                    diff,
                    Math.abs(m.coefficientMatrix().toArray()[i]
                            - other.coefficientMatrix().toArray()[i]));
        }
        assertTrue(diff > 1e-4, "another seed, other batches: " + diff);
    }

    @Test
    void sgdOnSparseRowsApproachesTheirOptimum() {
        TestData sparse = new TestData(2400, 60, 3, 0.97, System.nanoTime());
        Dataset<Row> rows = sparse.frame(spark, true, 2);
        Softmax4jClassifier clf = new Softmax4jClassifier().setRegParam(1e-3).setBlockSize(500);
        Softmax4jClassificationModel best = clf.fit(rows);
        Softmax4jClassificationModel m = clf.copy(new org.apache.spark.ml.param.ParamMap())
                .setSolver("sgd")
                .setMaxIter(15)
                .setBatchSize(240)
                .setStepSize(0.05)
                .fit(rows);
        double optimum = best.summary().objectiveHistory()[best.summary().iterations()];
        double[] h = m.summary().objectiveHistory();
        assertTrue(h[h.length - 1] < optimum * 1.05, "SGD's last epoch " + h[h.length - 1] + " vs " + optimum);
    }

    @Test
    void sgdGathersTheSameBatchFromDenseAndCsrBlocks() {
        TestData d = new TestData(700, 50, 4, 0.97, System.nanoTime());
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < d.rows; i++) rows.add(RowFactory.create(d.vector(i, true), (double) d.y[i], d.weight[i]));
        List<Block> csr = new ArrayList<>();
        Packer.pack(rows.iterator(), 50, 128, true).forEachRemaining(csr::add);
        float[] w = new float[d.rows];
        for (int i = 0; i < d.rows; i++) w[i] = (float) d.weight[i];
        List<Block> dense = Packer.dense(d.floats(), d.rows, 50, d.y, w, 128);
        assertFalse(csr.get(0).isDense());
        Permutation perm = new Permutation(700, 5);
        Block a = MinibatchSgd.gather(dense, 128, perm, 100, 250), b = MinibatchSgd.gather(csr, 128, perm, 100, 250);
        assertEquals(250, a.rows);
        assertArrayEquals(a.labels, b.labels);
        assertArrayEquals(a.weights, b.weights);
        for (int i = 0; i < 250; i++) {
            float[] row = new float[50];
            for (long p = b.rowPtr[i]; p < b.rowPtr[i + 1]; p++) row[b.col[(int) p]] = b.val[(int) p];
            assertArrayEquals(Arrays.copyOfRange(a.x, i * 50, (i + 1) * 50), row, "row " + i);
        }
        java.util.Set<Integer> picked = new java.util.HashSet<>();
        for (int i = 100; i < 350; i++) picked.add((int) perm.apply(i));
        float[] labelsSeen = new float[4], labelsPicked = new float[4];
        for (int i = 0; i < 250; i++) labelsSeen[a.labels[i]] += a.weights[i];
        for (int r : picked) labelsPicked[d.y[r]] += (float) d.weight[r];
        assertArrayEquals(labelsPicked, labelsSeen, "the batch holds the permutation's rows");
        Coefficients c = SingleMachineParityTest.randomCoefficients(50, 4, null, new java.util.SplittableRandom(3));
        LossSum sa = LocalObjective.sums(List.of(a), c), sb = LocalObjective.sums(List.of(b), c);
        assertEquals(sa.loss, sb.loss, 1e-5 * sa.loss);
        assertClose(sa.grad, sb.grad, 1e-5);
    }

    @Test
    void integerWeightsActAsRepeatedRows() {
        List<Row> repeated = new ArrayList<>();
        for (int i = 0; i < data.rows; i++) {
            for (int r = 0; r < (int) data.weight[i]; r++) {
                repeated.add(RowFactory.create(data.vector(i, false), (double) data.y[i], 1.0));
            }
        }
        Dataset<Row> copies = spark.createDataFrame(repeated, TestData.SCHEMA).repartition(3);
        // the penalty on the original weights: standardising with the weighted std of the rows
        // and with the std of their copies would differ
        Softmax4jClassifier clf = new Softmax4jClassifier()
                .setRegParam(0.01)
                .setStandardization(false)
                .setTol(1e-9);
        Softmax4jClassificationModel weighted = clf.copy(new org.apache.spark.ml.param.ParamMap())
                .setWeightCol("weight")
                .fit(frame);
        Softmax4jClassificationModel copied = clf.fit(copies);
        assertClose(
                copied.coefficientMatrix().toArray(),
                weighted.coefficientMatrix().toArray(),
                2e-3);
        assertClose(
                copied.interceptVector().toArray(), weighted.interceptVector().toArray(), 2e-3);
    }

    @Test
    void classWeightsActAsInstanceWeightsOfTheClass() {
        double[] cw = {0.5, 3, 1.5};
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < data.rows; i++) {
            rows.add(RowFactory.create(data.vector(i, false), (double) data.y[i], cw[data.y[i]]));
        }
        Dataset<Row> byRow = spark.createDataFrame(rows, TestData.SCHEMA).repartition(2);
        Softmax4jClassifier clf = new Softmax4jClassifier()
                .setRegParam(0.02)
                .setStandardization(false)
                .setTol(1e-9);
        Softmax4jClassificationModel byClass = clf.copy(new org.apache.spark.ml.param.ParamMap())
                .setClassWeights(cw)
                .fit(frame);
        Softmax4jClassificationModel byInstance = clf.setWeightCol("weight").fit(byRow);
        assertClose(
                byInstance.coefficientMatrix().toArray(),
                byClass.coefficientMatrix().toArray(),
                2e-3);
        Softmax4jClassificationModel unweighted = clf.copy(new org.apache.spark.ml.param.ParamMap())
                .setWeightCol("")
                .fit(frame);
        double[] u = centred(unweighted.coefficientMatrix()), c = centred(byClass.coefficientMatrix());
        double diff = 0;
        for (int i = 0; i < u.length; i++) diff = Math.max(diff, Math.abs(u[i] - c[i]));
        assertTrue(diff > 0.01, "class weights change the model: " + diff);
    }

    @Test
    void rowsOfWeightZeroDoNotCount() {
        List<Row> rows = new ArrayList<>(frame.collectAsList());
        for (int i = 0; i < 500; i++) {
            rows.add(RowFactory.create(Vectors.dense(new double[] {9, -9, 9, -9, 9, -9}), (double) (i % 3), 0.0));
        }
        Softmax4jClassifier clf = new Softmax4jClassifier()
                .setWeightCol("weight")
                .setRegParam(0.01)
                .setStandardization(false)
                .setTol(1e-9);
        Softmax4jClassificationModel with =
                clf.fit(spark.createDataFrame(rows, TestData.SCHEMA).repartition(2));
        Softmax4jClassificationModel without = clf.fit(frame);
        assertClose(
                without.coefficientMatrix().toArray(), with.coefficientMatrix().toArray(), 2e-3);
    }
}
