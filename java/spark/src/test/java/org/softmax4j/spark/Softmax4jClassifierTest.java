package org.softmax4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkException;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Matrix;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.tuning.CrossValidator;
import org.apache.spark.ml.tuning.CrossValidatorModel;
import org.apache.spark.ml.tuning.ParamGridBuilder;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Estimator/Model pair on local[2]: columns, formats, persistence, ML plumbing, bad input. */
class Softmax4jClassifierTest {
    private static SparkSession spark;
    private static TestData data;
    private static Dataset<Row> dense;

    @BeforeAll
    static void start() {
        spark = LocalSpark.session();
        data = new TestData(3000, 8, 4, 0, System.nanoTime());
        dense = data.frame(spark, false, 3).cache();
    }

    @Test
    void transformWritesMllibsColumns() {
        Softmax4jClassificationModel m =
                new Softmax4jClassifier().setMaxIter(50).fit(dense);
        assertEquals(4, m.numClasses());
        assertEquals(8, m.numFeatures());
        Dataset<Row> out = m.transform(dense);
        StructType s = out.schema();
        assertEquals(SQLDataTypes.VectorType(), s.apply("rawPrediction").dataType());
        assertEquals(SQLDataTypes.VectorType(), s.apply("probability").dataType());
        assertEquals(DataTypes.DoubleType, s.apply("prediction").dataType());
        double[] b = m.interceptVector().toArray();
        Matrix w = m.coefficientMatrix();
        for (Row r : out.select("features", "rawPrediction", "probability", "prediction")
                .limit(50)
                .collectAsList()) {
            double[] x = ((Vector) r.get(0)).toArray(), raw = ((Vector) r.get(1)).toArray();
            double[] p = ((Vector) r.get(2)).toArray();
            double sum = 0;
            int best = 0;
            for (int k = 0; k < 4; k++) {
                double z = b[k];
                for (int j = 0; j < 8; j++) z += w.apply(k, j) * x[j];
                assertEquals(z, raw[k], 1e-9 * (1 + Math.abs(z)), "margin of class " + k);
                sum += p[k];
                if (raw[k] > raw[best]) best = k;
            }
            assertEquals(1, sum, 1e-12);
            assertEquals(best, r.getDouble(3));
        }
        double accuracy = accuracy(out);
        assertTrue(accuracy > 0.5, "training accuracy " + accuracy);
        Softmax4jTrainingSummary summary = m.summary();
        assertEquals("lbfgs", summary.solver());
        double[] h = summary.objectiveHistory();
        assertEquals(summary.iterations() + 1, h.length);
        assertTrue(h[h.length - 1] < h[0], "the objective went down: " + h[0] + " -> " + h[h.length - 1]);
        assertTrue(summary.passes().size() >= summary.iterations());
        long[] t = summary.elapsedNanos();
        assertEquals(h.length, t.length);
        assertTrue(t[0] >= summary.packNanos(), "the first objective comes after the packing pass");
        for (int i = 1; i < t.length; i++) assertTrue(t[i] > t[i - 1], "times increase");
        assertEquals(t[0], summary.nanosToObjective(h[0]));
        long toLast = summary.nanosToObjective(h[h.length - 1]);
        assertTrue(toLast > t[0] && toLast <= t[t.length - 1], "reached the last objective at " + toLast);
        assertEquals(-1, summary.nanosToObjective(h[h.length - 1] - 1));
    }

    @Test
    void sparseVectorsGiveTheDenseModel() {
        TestData sparse = new TestData(2000, 30, 3, 0.97, System.nanoTime());
        Softmax4jClassifier clf = new Softmax4jClassifier().setMaxIter(40).setRegParam(0.01);
        Softmax4jClassificationModel fromSparse = clf.fit(sparse.frame(spark, true, 2));
        Softmax4jClassificationModel fromDense = clf.fit(sparse.frame(spark, false, 2));
        assertClose(
                fromDense.coefficientMatrix().toArray(),
                fromSparse.coefficientMatrix().toArray(),
                1e-4);
        assertClose(
                fromDense.interceptVector().toArray(),
                fromSparse.interceptVector().toArray(),
                1e-4);
    }

    @Test
    void modelSavesAndLoads(@TempDir Path dir) throws Exception {
        Softmax4jClassificationModel m =
                new Softmax4jClassifier().setMaxIter(20).setProbabilityCol("p").fit(dense);
        String path = dir.resolve("model").toString();
        m.write().overwrite().save(path);
        Softmax4jClassificationModel back = Softmax4jClassificationModel.load(path);
        assertEquals(m.uid(), back.uid());
        assertEquals("p", back.getProbabilityCol());
        assertArrayEquals(
                m.coefficientMatrix().toArray(), back.coefficientMatrix().toArray());
        assertArrayEquals(m.interceptVector().toArray(), back.interceptVector().toArray());
        assertFalse(back.hasSummary());
        List<Row> a = m.transform(dense).select("p").collectAsList();
        List<Row> b = back.transform(dense).select("p").collectAsList();
        assertEquals(a, b);

        Softmax4jClassifier est = new Softmax4jClassifier().setRegParam(0.5).setSolver("SGD");
        est.write().overwrite().save(dir.resolve("estimator").toString());
        Softmax4jClassifier estBack =
                Softmax4jClassifier.load(dir.resolve("estimator").toString());
        assertEquals(0.5, estBack.getRegParam());
        assertEquals("sgd", estBack.getSolver());
        assertEquals(est.uid(), estBack.uid());
    }

    @Test
    void dropsIntoPipelineAndCrossValidator(@TempDir Path dir) throws Exception {
        StructType schema = new StructType()
                .add("a", DataTypes.DoubleType)
                .add("b", DataTypes.DoubleType)
                .add("label", DataTypes.DoubleType);
        List<Row> rows = dense.select("features", "label").collectAsList().stream()
                .map(r -> {
                    double[] x = ((Vector) r.get(0)).toArray();
                    return RowFactory.create(x[0], x[1], r.getDouble(1));
                })
                .toList();
        Dataset<Row> table = spark.createDataFrame(rows, schema);
        VectorAssembler assembler =
                new VectorAssembler().setInputCols(new String[] {"a", "b"}).setOutputCol("features");
        Softmax4jClassifier clf = new Softmax4jClassifier().setMaxIter(30);
        Pipeline pipeline = new Pipeline().setStages(new PipelineStage[] {assembler, clf});
        ParamMap[] grid = new ParamGridBuilder()
                .addGrid(clf.regParam(), new double[] {0.0, 0.1})
                .build();
        CrossValidator cv = new CrossValidator()
                .setEstimator(pipeline)
                .setEstimatorParamMaps(grid)
                .setEvaluator(new MulticlassClassificationEvaluator().setMetricName("accuracy"))
                .setNumFolds(2)
                .setSeed(7);
        CrossValidatorModel cvModel = cv.fit(table);
        PipelineModel best = (PipelineModel) cvModel.bestModel();
        assertInstanceOf(Softmax4jClassificationModel.class, best.stages()[1]);
        assertEquals(2, cvModel.avgMetrics().length);

        String path = dir.resolve("pipeline").toString();
        best.write().overwrite().save(path);
        PipelineModel back = PipelineModel.load(path);
        Softmax4jClassificationModel m = (Softmax4jClassificationModel) back.stages()[1];
        assertArrayEquals(
                ((Softmax4jClassificationModel) best.stages()[1])
                        .coefficientMatrix()
                        .toArray(),
                m.coefficientMatrix().toArray());
        assertEquals(
                best.transform(table).select("prediction").collectAsList(),
                back.transform(table).select("prediction").collectAsList());
    }

    @Test
    void matchesMllibLogisticRegression() {
        for (double[] reg : new double[][] {{0.01, 0, 1}, {0.02, 0.5, 1}, {0.005, 0, 0}, {0.01, 1, 0}}) {
            double regParam = reg[0], elasticNet = reg[1];
            boolean standardization = reg[2] == 1;
            LogisticRegressionModel mllib = new LogisticRegression()
                    .setFamily("multinomial")
                    .setRegParam(regParam)
                    .setElasticNetParam(elasticNet)
                    .setStandardization(standardization)
                    .setMaxIter(300)
                    .setTol(1e-9)
                    .fit(dense);
            Softmax4jClassificationModel ours = new Softmax4jClassifier()
                    .setRegParam(regParam)
                    .setElasticNetParam(elasticNet)
                    .setStandardization(standardization)
                    .setMaxIter(300)
                    .setTol(1e-9)
                    .fit(dense);
            String what =
                    "regParam " + regParam + ", elasticNet " + elasticNet + ", standardization " + standardization;
            double[] h = ours.summary().objectiveHistory(), hm = mllib.summary().objectiveHistory();
            double objective = h[h.length - 1], mllibObjective = hm[hm.length - 1];
            assertEquals(mllibObjective, objective, 2e-6 * mllibObjective, what + ": final objective");
            // centred per feature: with L1 and 4 classes, shifting a feature's weights between its two
            // middle values changes neither the loss nor the penalty, so each solver may end anywhere there
            double[] wo = centred(ours.coefficientMatrix()), wm = centred(mllib.coefficientMatrix());
            double scale = 0;
            for (double v : wm) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < wm.length; i++) {
                assertEquals(wm[i], wo[i], 2e-3 * scale, what + ": coefficient " + i);
            }
            double accuracy = accuracy(ours.transform(dense)), mllibAccuracy = accuracy(mllib.transform(dense));
            assertEquals(mllibAccuracy, accuracy, 0.002, what + ": accuracy");
        }
    }

    @Test
    void badInputIsNamed() {
        // the failing tasks are expected: keep their stack traces out of the build log
        spark.sparkContext().setLogLevel("OFF");
        try {
            rejectsBadInput();
        } finally {
            spark.sparkContext().setLogLevel("WARN");
        }
    }

    private static void rejectsBadInput() {
        StructType schema =
                new StructType().add("features", SQLDataTypes.VectorType()).add("label", DataTypes.DoubleType);
        Dataset<Row> halfLabel = spark.createDataFrame(
                List.of(RowFactory.create(Vectors.dense(1, 2), 0.0), RowFactory.create(Vectors.dense(3, 4), 1.5)),
                schema);
        SparkException e = assertThrows(SparkException.class, () -> new Softmax4jClassifier().fit(halfLabel));
        assertTrue(rootMessage(e).contains("label 1.5 is not a class index"), rootMessage(e));

        Dataset<Row> ragged = spark.createDataFrame(
                List.of(RowFactory.create(Vectors.dense(1, 2), 0.0), RowFactory.create(Vectors.dense(3, 4, 5), 1.0)),
                schema);
        e = assertThrows(SparkException.class, () -> new Softmax4jClassifier().fit(ragged.coalesce(1)));
        assertTrue(rootMessage(e).contains("has 3 features, the first row 2"), rootMessage(e));

        Dataset<Row> nan = spark.createDataFrame(List.of(RowFactory.create(Vectors.dense(1, Double.NaN), 0.0)), schema);
        e = assertThrows(SparkException.class, () -> new Softmax4jClassifier().fit(nan));
        assertTrue(rootMessage(e).contains("feature 1 is NaN"), rootMessage(e));

        IllegalArgumentException l1 = assertThrows(
                IllegalArgumentException.class,
                () -> new Softmax4jClassifier()
                        .setSolver("sgd")
                        .setRegParam(0.1)
                        .setElasticNetParam(0.5)
                        .fit(dense));
        assertTrue(l1.getMessage().contains("needs solver \"lbfgs\""), l1.getMessage());
        IllegalArgumentException weights = assertThrows(
                IllegalArgumentException.class,
                () -> new Softmax4jClassifier()
                        .setClassWeights(new double[] {1, 2})
                        .fit(dense));
        assertTrue(weights.getMessage().contains("classWeights has 2 values for 4 classes"), weights.getMessage());
        assertThrows(
                IllegalArgumentException.class, () -> new Softmax4jClassifier().setClassWeights(new double[] {1, -1}));
        assertThrows(IllegalArgumentException.class, () -> new Softmax4jClassifier().setSolver("adam"));
        IllegalArgumentException empty =
                assertThrows(IllegalArgumentException.class, () -> new Softmax4jClassifier().fit(dense.limit(0)));
        assertEquals("the training set is empty", empty.getMessage());
        Softmax4jClassificationModel m = new Softmax4jClassifier().setMaxIter(1).fit(dense);
        IllegalArgumentException size =
                assertThrows(IllegalArgumentException.class, () -> m.predictRaw(Vectors.dense(1, 2)));
        assertTrue(size.getMessage().contains("features has 2 values, the model 8"), size.getMessage());
    }

    /** Each feature's weights minus their mean over the classes, classes x features column-major. */
    static double[] centred(Matrix w) {
        int c = w.numRows(), d = w.numCols();
        double[] out = new double[c * d];
        for (int j = 0; j < d; j++) {
            double mean = 0;
            for (int k = 0; k < c; k++) mean += w.apply(k, j) / c;
            for (int k = 0; k < c; k++) out[j * c + k] = w.apply(k, j) - mean;
        }
        return out;
    }

    static double accuracy(Dataset<Row> predictions) {
        return new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(predictions);
    }

    static void assertClose(double[] expected, double[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tol * (1 + Math.abs(expected[i])), "entry " + i);
        }
    }

    static String rootMessage(Throwable t) {
        StringBuilder all = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause())
            all.append(c.getMessage()).append(" / ");
        return all.toString();
    }
}
