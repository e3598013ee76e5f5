package org.softmax4j.spark;

import static org.apache.spark.sql.functions.col;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.ml.attribute.Attribute;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.attribute.BinaryAttribute;
import org.apache.spark.ml.attribute.NominalAttribute;
import org.apache.spark.ml.classification.ProbabilisticClassifier;
import org.apache.spark.ml.linalg.DenseMatrix;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleArrayParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.LongParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Function1;

/**
 * Multinomial logistic (softmax) regression on Spark whose passes over the
 * data run softmax4j's native kernels in every executor: a drop-in for
 * MLlib's {@code LogisticRegression} with {@code family = "multinomial"}
 * (same objective, same parameters where they overlap, same columns out),
 * usable in Pipelines, CrossValidator and MLWriter/MLReader.
 *
 * <p>Training packs each partition's rows once into float32 blocks (dense
 * row-major, or CSR with its transpose when sparse), caches them, and then
 * evaluates the loss and gradient on the executors with the fused
 * softmax cross-entropy, SGEMM and sparse kernels; the driver combines the
 * partitions' sums with treeAggregate and steps. Solvers: {@code "lbfgs"}
 * (full batch, as MLlib: L-BFGS, or OWL-QN when an L1 penalty is set) and
 * {@code "sgd"} (synchronous minibatch SGD with momentum, L2 only). The
 * objective is the weighted mean cross-entropy plus
 * {@code regParam ((1 - elasticNetParam) |W|^2 / 2 + elasticNetParam |W|_1)}
 * on the standardised weights when {@code standardization} holds (MLlib's
 * convention), never on the intercepts; rows weigh {@code weightCol} times
 * their class's {@code classWeights} entry.
 *
 * <p>Arithmetic is float32 in the kernels with double sums, so objectives
 * agree with MLlib's double-precision ones to about 1e-6 relative.
 */
public final class Softmax4jClassifier
        extends ProbabilisticClassifier<Vector, Softmax4jClassifier, Softmax4jClassificationModel>
        implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;
    private static final int LBFGS_MEMORY = 10;

    private final String uid;
    private final IntParam maxIter;
    private final DoubleParam tol;
    private final DoubleParam regParam;
    private final DoubleParam elasticNetParam;
    private final BooleanParam fitIntercept;
    private final BooleanParam standardization;
    private final Param<String> weightCol;
    private final DoubleArrayParam classWeights;
    private final Param<String> solver;
    private final DoubleParam stepSize;
    private final DoubleParam momentum;
    private final IntParam batchSize;
    private final LongParam seed;
    private final IntParam blockSize;
    private final IntParam aggregationDepth;

    public Softmax4jClassifier() {
        this(Identifiable.randomUID("softmax4j"));
    }

    public Softmax4jClassifier(String uid) {
        // before super(): Spark's shared params are created there and ask for uid()
        this.uid = uid;
        super();
        maxIter = new IntParam(
                this, "maxIter", "maximum iterations (L-BFGS) or epochs (SGD), >= 0", ParamValidators.gtEq(0));
        tol = new DoubleParam(this, "tol", "convergence tolerance of L-BFGS, >= 0", ParamValidators.gtEq(0));
        regParam = new DoubleParam(this, "regParam", "regularization strength, >= 0", ParamValidators.gtEq(0));
        elasticNetParam = new DoubleParam(
                this,
                "elasticNetParam",
                "the L1 share of the penalty in [0, 1]: 0 is L2 (ridge), 1 is L1 (lasso)",
                ParamValidators.inRange(0, 1));
        fitIntercept = new BooleanParam(this, "fitIntercept", "whether to fit a per-class intercept");
        standardization = new BooleanParam(
                this,
                "standardization",
                "whether the penalty applies to the weights of standardised features (else to the original ones)");
        weightCol = new Param<>(this, "weightCol", "instance weight column name; unset or empty: every row weighs 1");
        classWeights = new DoubleArrayParam(
                this,
                "classWeights",
                "per-class loss weights (finite, >= 0), one per class; unset: all 1",
                (Function1<double[], Object> & Serializable) Softmax4jClassifier::validClassWeights);
        solver = new Param<>(
                this,
                "solver",
                "optimizer: lbfgs (full batch; OWL-QN with an L1 penalty) or sgd (minibatch, momentum)",
                ParamValidators.inArray(List.of("lbfgs", "sgd")));
        stepSize = new DoubleParam(this, "stepSize", "SGD learning rate, > 0", ParamValidators.gt(0));
        momentum =
                new DoubleParam(this, "momentum", "SGD momentum in [0, 1)", ParamValidators.inRange(0, 1, true, false));
        batchSize =
                new IntParam(this, "batchSize", "SGD rows per step over all partitions, >= 1", ParamValidators.gtEq(1));
        seed = new LongParam(this, "seed", "seed of the SGD epochs' shuffles");
        blockSize = new IntParam(
                this,
                "blockSize",
                "rows per packed block, the unit of a kernel call; 0 (auto): about 1.5 MiB of float32 features",
                ParamValidators.gtEq(0));
        aggregationDepth =
                new IntParam(this, "aggregationDepth", "depth of treeAggregate, >= 2", ParamValidators.gtEq(2));
        setDefault(maxIter, 100);
        setDefault(tol, 1e-6);
        setDefault(regParam, 0.0);
        setDefault(elasticNetParam, 0.0);
        setDefault(fitIntercept, true);
        setDefault(standardization, true);
        setDefault(solver, "lbfgs");
        setDefault(stepSize, 0.1);
        setDefault(momentum, 0.9);
        setDefault(batchSize, 1024);
        setDefault(seed, (long) getClass().getName().hashCode());
        setDefault(blockSize, 0);
        setDefault(aggregationDepth, 2);
    }

    @Override
    public String uid() {
        return uid;
    }

    @Override
    public Softmax4jClassifier copy(ParamMap extra) {
        return defaultCopy(extra);
    }

    /** Reads an estimator saved with {@code write().save(path)}. */
    public static MLReader<Softmax4jClassifier> read() {
        return new DefaultParamsReader<>();
    }

    public static Softmax4jClassifier load(String path) {
        return read().load(path);
    }

    // ---- params ------------------------------------------------------------

    public IntParam maxIter() {
        return maxIter;
    }

    public DoubleParam tol() {
        return tol;
    }

    public DoubleParam regParam() {
        return regParam;
    }

    public DoubleParam elasticNetParam() {
        return elasticNetParam;
    }

    public BooleanParam fitIntercept() {
        return fitIntercept;
    }

    public BooleanParam standardization() {
        return standardization;
    }

    public Param<String> weightCol() {
        return weightCol;
    }

    public DoubleArrayParam classWeights() {
        return classWeights;
    }

    public Param<String> solver() {
        return solver;
    }

    public DoubleParam stepSize() {
        return stepSize;
    }

    public DoubleParam momentum() {
        return momentum;
    }

    public IntParam batchSize() {
        return batchSize;
    }

    public LongParam seed() {
        return seed;
    }

    public IntParam blockSize() {
        return blockSize;
    }

    public IntParam aggregationDepth() {
        return aggregationDepth;
    }

    public int getMaxIter() {
        return (Integer) getOrDefault(maxIter);
    }

    public double getTol() {
        return (Double) getOrDefault(tol);
    }

    public double getRegParam() {
        return (Double) getOrDefault(regParam);
    }

    public double getElasticNetParam() {
        return (Double) getOrDefault(elasticNetParam);
    }

    public boolean getFitIntercept() {
        return (Boolean) getOrDefault(fitIntercept);
    }

    public boolean getStandardization() {
        return (Boolean) getOrDefault(standardization);
    }

    /** The weight column, or "" when unset. */
    public String getWeightCol() {
        return isDefined(weightCol) ? getOrDefault(weightCol) : "";
    }

    /** The class weights, or null when unset. */
    public double[] getClassWeights() {
        return isDefined(classWeights) ? getOrDefault(classWeights).clone() : null;
    }

    public String getSolver() {
        return getOrDefault(solver);
    }

    public double getStepSize() {
        return (Double) getOrDefault(stepSize);
    }

    public double getMomentum() {
        return (Double) getOrDefault(momentum);
    }

    public int getBatchSize() {
        return (Integer) getOrDefault(batchSize);
    }

    public long getSeed() {
        return (Long) getOrDefault(seed);
    }

    public int getBlockSize() {
        return (Integer) getOrDefault(blockSize);
    }

    public int getAggregationDepth() {
        return (Integer) getOrDefault(aggregationDepth);
    }

    public Softmax4jClassifier setMaxIter(int value) {
        return set1(maxIter, value);
    }

    public Softmax4jClassifier setTol(double value) {
        return set1(tol, value);
    }

    public Softmax4jClassifier setRegParam(double value) {
        return set1(regParam, value);
    }

    public Softmax4jClassifier setElasticNetParam(double value) {
        return set1(elasticNetParam, value);
    }

    public Softmax4jClassifier setFitIntercept(boolean value) {
        return set1(fitIntercept, value);
    }

    public Softmax4jClassifier setStandardization(boolean value) {
        return set1(standardization, value);
    }

    public Softmax4jClassifier setWeightCol(String value) {
        return set1(weightCol, value);
    }

    public Softmax4jClassifier setClassWeights(double[] value) {
        if (value != null) {
            for (int k = 0; k < value.length; k++) {
                if (!(value[k] >= 0) || Double.isInfinite(value[k])) {
                    throw new IllegalArgumentException("classWeights[" + k + "] = " + value[k] + ": finite, >= 0");
                }
            }
        }
        return set1(classWeights, value == null ? null : value.clone());
    }

    /** {@code "lbfgs"} or {@code "sgd"} (any case). */
    public Softmax4jClassifier setSolver(String value) {
        return set1(solver, value == null ? null : value.toLowerCase(Locale.ROOT));
    }

    public Softmax4jClassifier setStepSize(double value) {
        return set1(stepSize, value);
    }

    public Softmax4jClassifier setMomentum(double value) {
        return set1(momentum, value);
    }

    public Softmax4jClassifier setBatchSize(int value) {
        return set1(batchSize, value);
    }

    public Softmax4jClassifier setSeed(long value) {
        return set1(seed, value);
    }

    public Softmax4jClassifier setBlockSize(int value) {
        return set1(blockSize, value);
    }

    public Softmax4jClassifier setAggregationDepth(int value) {
        return set1(aggregationDepth, value);
    }

    private static Object validClassWeights(double[] w) {
        if (w.length == 0) return false;
        for (double v : w) {
            if (!(v >= 0) || Double.isInfinite(v)) return false;
        }
        return true;
    }

    private <T> Softmax4jClassifier set1(Param<T> p, T value) {
        set(p, value);
        return this;
    }

    // ---- training ------------------------------------------------------------

    @Override
    public Softmax4jClassificationModel train(Dataset<?> dataset) {
        boolean sgd = getSolver().equals("sgd");
        if (sgd && getRegParam() > 0 && getElasticNetParam() > 0) {
            throw new IllegalArgumentException("elasticNetParam " + getElasticNetParam() + " with regParam "
                    + getRegParam() + ": an L1 penalty needs solver \"lbfgs\" (OWL-QN)");
        }
        StructType schema = dataset.schema();
        int features = numFeatures(dataset);
        int blockRows = getBlockSize() > 0 ? getBlockSize() : autoBlockRows(features), depth = getAggregationDepth();
        JavaRDD<Block> blocks = blocks(dataset, getFeaturesCol(), getLabelCol(), getWeightCol(), features, blockRows)
                .setName(uid + ": softmax4j blocks")
                .persist(StorageLevel.MEMORY_AND_DISK());
        try {
            long t0 = System.nanoTime();
            List<Long> elapsed = new ArrayList<>();
            Lbfgs.Listener clock = (iteration, objective) -> elapsed.add(System.nanoTime() - t0);
            BlockStats stats =
                    blocks.treeAggregate(new BlockStats(features), BlockStats::add, BlockStats::merge, depth);
            long packNanos = System.nanoTime() - t0;
            if (stats.rows == 0) throw new IllegalArgumentException("the training set is empty");
            int classes = numClasses(schema, stats.histogram.length);
            float[] cw = classWeights(classes);
            if (isDefined(thresholds()) && getThresholds().length != classes) {
                throw new IllegalArgumentException(
                        "thresholds has " + getThresholds().length + " values for " + classes + " classes");
            }
            double totalWeight = 0;
            for (int k = 0; k < stats.histogram.length; k++) {
                totalWeight += stats.histogram[k] * (cw == null ? 1 : cw[k]);
            }
            if (!(totalWeight > 0)) throw new IllegalArgumentException("every row of the training set weighs 0");
            ScaledProblem problem = new ScaledProblem(
                    features,
                    classes,
                    getFitIntercept(),
                    stats.means(),
                    stats.std(),
                    getStandardization(),
                    getRegParam(),
                    getElasticNetParam(),
                    cw);
            double[] x0 = problem.initial(stats.histogram);
            List<Softmax4jTrainingSummary.Pass> passes = new ArrayList<>();
            Lbfgs.Result r = sgd
                    ? MinibatchSgd.run(
                            blocks,
                            problem,
                            x0,
                            stats.rows,
                            new MinibatchSgd.Settings(
                                    getMaxIter(),
                                    getBatchSize(),
                                    getStepSize(),
                                    getMomentum(),
                                    getSeed(),
                                    blockRows,
                                    depth),
                            passes,
                            clock)
                    : new Lbfgs(getMaxIter(), LBFGS_MEMORY, getTol(), problem.l1())
                            .minimize(new DistributedObjective(blocks, problem, totalWeight, depth, passes), x0, clock);
            Softmax4jClassificationModel model = model(problem, r.x());
            model.setSummary(new Softmax4jTrainingSummary(
                    getSolver(),
                    r.objectiveHistory(),
                    elapsed.stream().mapToLong(Long::longValue).toArray(),
                    r.iterations(),
                    r.stopReason(),
                    packNanos,
                    passes));
            return model;
        } finally {
            blocks.unpersist(false);
        }
    }

    /**
     * Rows per block for blockSize 0: about 1.5 MiB of float32 features (64 to
     * 65,536 rows), where both products of a block, X W and G^T X, find it in
     * cache: one pass over Fashion-MNIST's 60,000 x 784 took 27 ms in blocks of
     * 512 rows, 45-50 ms in blocks of 1024-4096 (2 cores, bench/spark/NOTES.md).
     */
    static int autoBlockRows(int features) {
        return (int) Math.max(64, Math.min(65_536, (3L << 19) / (4L * features)));
    }

    /** The rows of the dataset packed into blocks, lazily (weightCol "": no weights). */
    static JavaRDD<Block> blocks(
            Dataset<?> dataset, String featuresCol, String labelCol, String weightCol, int features, int blockRows) {
        boolean weighted = !weightCol.isEmpty();
        List<Column> columns =
                new ArrayList<>(List.of(col(featuresCol), col(labelCol).cast("double")));
        if (weighted) columns.add(col(weightCol).cast("double"));
        JavaRDD<Row> rows = dataset.select(columns.toArray(Column[]::new)).toJavaRDD();
        return rows.mapPartitions(it -> Packer.pack(it, features, blockRows, weighted));
    }

    /**
     * The model of variable x in the original space. As MLlib, intercepts are
     * centred, and so are the weights of each feature when nothing is penalised
     * (softmax does not change when a constant is added to every class).
     */
    private Softmax4jClassificationModel model(ScaledProblem problem, double[] x) {
        int d = problem.features, c = problem.classes;
        double[] w = problem.weights(x), b = problem.bias(x);
        if (getRegParam() == 0) {
            for (int j = 0; j < d; j++) {
                double mean = 0;
                for (int k = 0; k < c; k++) mean += w[j * c + k];
                mean /= c;
                for (int k = 0; k < c; k++) w[j * c + k] -= mean;
            }
        }
        if (getFitIntercept()) {
            double mean = 0;
            for (double v : b) mean += v;
            mean /= c;
            for (int k = 0; k < c; k++) b[k] -= mean;
        }
        // w is features x classes row-major: the classes x features matrix in column-major order
        return new Softmax4jClassificationModel(uid, new DenseMatrix(c, d, w), Vectors.dense(b));
    }

    private int numFeatures(Dataset<?> dataset) {
        int fromMetadata = AttributeGroup.fromStructField(dataset.schema().apply(getFeaturesCol()))
                .size();
        if (fromMetadata >= 0) return fromMetadata;
        try {
            Row first = dataset.select(getFeaturesCol()).head();
            Vector v = first.getAs(0);
            if (v == null) throw new IllegalArgumentException("the first row has no " + getFeaturesCol());
            return v.size();
        } catch (NoSuchElementException e) {
            throw new IllegalArgumentException("the training set is empty", e);
        }
    }

    /** The classes the label column's metadata declares, else the largest label + 1. */
    private int numClasses(StructType schema, int seen) {
        Attribute a = Attribute.fromStructField(schema.apply(getLabelCol()));
        int declared = -1;
        if (a instanceof BinaryAttribute) {
            declared = 2;
        } else if (a instanceof NominalAttribute nominal
                && nominal.getNumValues().isDefined()) {
            declared = (Integer) nominal.getNumValues().get();
        }
        if (declared < 0) return seen;
        if (declared < seen) {
            throw new IllegalArgumentException("the metadata of " + getLabelCol() + " declares " + declared
                    + " classes, but a label is " + (seen - 1));
        }
        return declared;
    }

    private float[] classWeights(int classes) {
        double[] w = getClassWeights();
        if (w == null) return null;
        if (w.length != classes) {
            throw new IllegalArgumentException("classWeights has " + w.length + " values for " + classes + " classes");
        }
        float[] f = new float[classes];
        for (int k = 0; k < classes; k++) f[k] = (float) w[k];
        return f;
    }
}
