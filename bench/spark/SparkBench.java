package org.softmax4j.spark;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.evaluation.MulticlassClassificationEvaluator;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.StageInfo;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.softmax4j.Kernels;
import org.softmax4j.data.FashionMnist;

/**
 * Softmax4jClassifier against MLlib's multinomial LogisticRegression on
 * local[2], same data, same objective (MLlib's defaults: L-BFGS, maxIter
 * 100, tol 1e-6, no penalty, standardization): the time to MLlib's final
 * training objective and the test accuracy; the time of one distributed
 * pass against the single-machine full-batch pass over the same blocks;
 * and how a pass splits into kernel, partition sums, task overhead and the
 * driver's share (scheduling, broadcast, aggregation). Compiled in
 * softmax4j-spark's package by bench/spark/run.sh (it reads package-private
 * pieces: the blocks, the local objective); numbers in bench/spark/NOTES.md.
 *
 * <pre>
 * bench/spark/run.sh fashion              Fashion-MNIST, 60,000 x 784, 10 classes
 * bench/spark/run.sh synthetic ROWS       ROWS x 100 features, 10 classes (the 10M, scaled)
 * bench/spark/run.sh fashion blocks       no Spark: one pass of the kernels per block size
 * </pre>
 */
public final class SparkBench {
    private static final int PARTITIONS = 2;
    private static final StructType SCHEMA =
            new StructType().add("features", SQLDataTypes.VectorType()).add("label", DataTypes.DoubleType);
    // the data, read by the tasks of local[2] from this JVM (never shipped)
    private static float[] trainX, testX;
    private static int[] trainY, testY;
    private static int features, classes;

    public static void main(String[] args) throws Exception {
        String which = args.length > 0 ? args[0] : "fashion";
        String title;
        if (which.equals("fashion")) {
            FashionMnist fm = FashionMnist.load(FashionMnist.resolveDir(null, System.getenv()));
            features = FashionMnist.FEATURES;
            classes = FashionMnist.CLASSES;
            trainX = pixels(fm.train());
            trainY = labels(fm.train());
            testX = pixels(fm.test());
            testY = labels(fm.test());
            title = "Fashion-MNIST, 60,000 x 784, 10 classes";
        } else if (which.equals("synthetic")) {
            int rows = Integer.parseInt(args[1]);
            features = 100;
            classes = 10;
            synthetic(rows, rows / 10);
            title = "synthetic, " + rows + " x 100, 10 classes";
        } else {
            throw new IllegalArgumentException("usage: SparkBench fashion [blocks] | synthetic ROWS [blocks]");
        }
        if (args[args.length - 1].equals("blocks")) {
            blockSizes(title);
            return;
        }
        SparkSession spark = SparkSession.builder()
                .master("local[" + PARTITIONS + "]")
                .appName("softmax4j SparkBench")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", Integer.toString(PARTITIONS))
                .getOrCreate();
        spark.sparkContext().setLogLevel("WARN");
        Jobs jobs = new Jobs();
        spark.sparkContext().addSparkListener(jobs);

        Dataset<Row> train = frame(spark, true), test = frame(spark, false);
        System.out.println("# " + title);
        System.out.println();
        System.out.println("CPU: " + cpu() + "; JDK " + System.getProperty("java.version") + "; Spark "
                + spark.version() + "; local[" + PARTITIONS + "]; kernels " + Kernels.cpu().name()
                + "; MLlib BLAS " + dev.ludovic.netlib.blas.BLAS.getInstance().getClass().getSimpleName()
                + " (OPENBLAS_NUM_THREADS=" + System.getenv("OPENBLAS_NUM_THREADS") + ")");
        System.out.println();

        // JIT warm-up of both, on a tenth of the rows
        Dataset<Row> few = train.limit(train.count() > 50_000 ? 5_000 : 2_000).cache();
        new LogisticRegression().setFamily("multinomial").setMaxIter(5).fit(few);
        new Softmax4jClassifier().setMaxIter(5).fit(few);
        few.unpersist();

        jobs.clear();
        long t0 = System.nanoTime();
        LogisticRegressionModel mllib =
                new LogisticRegression().setFamily("multinomial").fit(train);
        long mllibNanos = System.nanoTime() - t0;
        double[] mh = mllib.summary().objectiveHistory();
        double mllibObjective = mh[mh.length - 1];
        double mllibAccuracy = accuracy(mllib.transform(test));
        double mllibPass = jobs.median("RDDLossFunction");

        jobs.clear();
        t0 = System.nanoTime();
        Softmax4jClassificationModel ours = new Softmax4jClassifier().fit(train);
        long oursNanos = System.nanoTime() - t0;
        Softmax4jTrainingSummary s = ours.summary();
        double oursAccuracy = accuracy(ours.transform(test));
        Split split = split(s, jobs);

        // MLlib's 100 iterations end short of the optimum, where the two L-BFGS paths differ:
        // the time to MLlib's objective comes from a run allowed to go on
        Softmax4jClassificationModel longer =
                new Softmax4jClassifier().setMaxIter(300).setTol(1e-9).fit(train);
        Softmax4jTrainingSummary ls = longer.summary();
        double target = mllibObjective * (1 + 1e-6);
        long toTarget = ls.nanosToObjective(target);
        int iterationsToTarget = 0;
        while (iterationsToTarget < ls.objectiveHistory().length
                && ls.objectiveHistory()[iterationsToTarget] > target) iterationsToTarget++;

        int epochs = 10;
        t0 = System.nanoTime();
        Softmax4jClassificationModel sgd = new Softmax4jClassifier()
                .setSolver("sgd")
                .setMaxIter(epochs)
                .setBatchSize(4096)
                .setStepSize(0.05)
                .setMomentum(0.9)
                .fit(train);
        long sgdNanos = System.nanoTime() - t0;
        double sgdAccuracy = accuracy(sgd.transform(test));

        List<Block> blocks = Packer.dense(
                trainX, trainY.length, features, trainY, null, Softmax4jClassifier.autoBlockRows(features));
        double sgdObjective = meanLoss(sgd, blocks);
        double singlePass = singleMachinePass(blocks, ours);

        System.out.println("| run | fit, wall | iterations | final training objective | test accuracy |");
        System.out.println("|---|---|---|---|---|");
        System.out.printf("| MLlib LogisticRegression (multinomial, defaults) | %.1f s | %d | %.6f | %.4f |%n",
                mllibNanos / 1e9, mh.length - 1, mllibObjective, mllibAccuracy);
        System.out.printf("| softmax4j L-BFGS, the same settings | %.1f s (%.1fx) | %d (%s) | %.6f | %.4f |%n",
                oursNanos / 1e9, mllibNanos / (double) oursNanos, s.iterations(), s.stopReason(), last(s),
                oursAccuracy);
        System.out.printf("| softmax4j L-BFGS, maxIter 300, tol 1e-9 | %.1f s | %d (%s) | %.6f | %.4f |%n",
                ls.elapsedNanos()[ls.elapsedNanos().length - 1] / 1e9, ls.iterations(), ls.stopReason(), last(ls),
                accuracy(longer.transform(test)));
        System.out.printf("| softmax4j SGD, %d epochs of batches of 4096, lr 0.05, momentum 0.9 | %.1f s | %d | %.6f | %.4f |%n",
                epochs, sgdNanos / 1e9, epochs, sgdObjective, sgdAccuracy);
        System.out.println();
        System.out.printf(
                "Time to MLlib's final objective (%.6f, +1e-6 relative), packing pass included: MLlib %.1f s, "
                        + "softmax4j L-BFGS %s.%n",
                mllibObjective,
                mllibNanos / 1e9,
                toTarget < 0
                        ? "not within 300 iterations"
                        : String.format("%.1f s at iteration %d (%.1fx)", toTarget / 1e9, iterationsToTarget,
                                mllibNanos / (double) toTarget));
        System.out.println();
        System.out.printf(
                "One pass over the data (loss and gradient at one point), medians: MLlib %.1f ms, softmax4j on "
                        + "local[%d] %.1f ms (%.1fx), the same blocks in one process without Spark %.1f ms; "
                        + "first pass (statistics, packing, caching) %.2f s.%n",
                mllibPass / 1e6, PARTITIONS, split.wall / 1e6, mllibPass / split.wall, singlePass / 1e6,
                s.packNanos() / 1e9);
        System.out.println();
        System.out.println("Where a softmax4j pass goes (medians over the fit's " + s.passes().size()
                + " passes, " + PARTITIONS + " partitions running in parallel):");
        System.out.println();
        System.out.println("| part | ms | share |");
        System.out.println("|---|---|---|");
        row("kernels (longest partition's share)", split.kernel, split.wall);
        row("float-to-double sums of the partition", split.compute - split.kernel, split.wall);
        row("task overhead (deserialising task and broadcast, result serialisation, launch)",
                split.task - split.compute, split.wall);
        row("driver: scheduling, broadcast, treeAggregate's merge, job bookkeeping", split.wall - split.task, split.wall);
        System.out.printf("| pass, wall | %.1f | |%n", split.wall / 1e6);
        spark.stop();
    }

    /** The kernel sums of one pass over the training rows, per block size: one caller, and two at once. */
    private static void blockSizes(String title) throws Exception {
        System.out.println("# " + title + ": one pass of the kernels by block size (" + Kernels.cpu().name() + ")");
        System.out.println();
        System.out.println("| rows per block | KiB | one caller, ms | two callers (as local[2]), ms |");
        System.out.println("|---|---|---|---|");
        SplittableRandom rnd = new SplittableRandom(3);
        float[] w = new float[features * classes], b = new float[classes];
        for (int i = 0; i < w.length; i++) w[i] = (float) (0.01 * rnd.nextGaussian());
        Coefficients c = new Coefficients(features, classes, w, b, null);
        int auto = Softmax4jClassifier.autoBlockRows(features);
        int[] sizes = java.util.stream.IntStream.of(128, 256, 512, auto, 1024, 2048, 4096, 8192, 16384)
                .distinct()
                .sorted()
                .toArray();
        for (int rows : sizes) {
            List<Block> blocks = Packer.dense(trainX, trainY.length, features, trainY, null, rows);
            double[] one = new double[9], two = new double[9];
            for (int r = 0; r < one.length; r++) {
                long t0 = System.nanoTime();
                LocalObjective.sums(blocks, c);
                one[r] = System.nanoTime() - t0;
                t0 = System.nanoTime();
                List<Block> half = blocks.subList(blocks.size() / 2, blocks.size());
                Thread other = Thread.ofPlatform().start(() -> LocalObjective.sums(half, c));
                LocalObjective.sums(blocks.subList(0, blocks.size() / 2), c);
                other.join();
                two[r] = System.nanoTime() - t0;
            }
            System.out.printf("| %d%s | %d | %.1f | %.1f |%n", rows, rows == auto ? " (auto)" : "", 4L * rows * features / 1024,
                    median(Arrays.copyOfRange(one, 1, one.length)) / 1e6, median(Arrays.copyOfRange(two, 1, two.length)) / 1e6);
        }
    }

    private static double last(Softmax4jTrainingSummary s) {
        double[] h = s.objectiveHistory();
        return h[h.length - 1];
    }

    private static void row(String what, double nanos, double wall) {
        System.out.printf("| %s | %.1f | %.0f%% |%n", what, nanos / 1e6, 100 * nanos / wall);
    }

    /** Medians, in nanoseconds, of the parts of the fit's passes. */
    private record Split(double wall, double kernel, double compute, double task) {}

    private static Split split(Softmax4jTrainingSummary s, Jobs jobs) {
        List<Softmax4jTrainingSummary.Pass> p = s.passes();
        double[] wall = new double[p.size()], kernel = new double[p.size()], compute = new double[p.size()];
        for (int i = 0; i < p.size(); i++) {
            Softmax4jTrainingSummary.Pass q = p.get(i);
            wall[i] = q.wallNanos();
            compute[i] = q.maxPartitionComputeNanos();
            kernel[i] = q.computeNanos() == 0 ? 0 : compute[i] * q.kernelNanos() / (double) q.computeNanos();
        }
        return new Split(median(wall), median(kernel), median(compute), jobs.medianLongestTask("DistributedObjective"));
    }

    /**
     * The median time of the full-batch sums over the blocks without Spark: as
     * on local[PARTITIONS], one thread per half of the blocks, calling the kernels at once.
     */
    private static double singleMachinePass(List<Block> blocks, Softmax4jClassificationModel m) throws Exception {
        Coefficients c = coefficients(m);
        double[] t = new double[11];
        for (int r = 0; r < t.length; r++) {
            long t0 = System.nanoTime();
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                List<Block> part = blocks.subList(blocks.size() * p / PARTITIONS, blocks.size() * (p + 1) / PARTITIONS);
                threads.add(Thread.ofPlatform().start(() -> LocalObjective.sums(part, c)));
            }
            for (Thread th : threads) th.join();
            t[r] = System.nanoTime() - t0;
        }
        return median(Arrays.copyOfRange(t, 1, t.length));
    }

    private static Coefficients coefficients(Softmax4jClassificationModel m) {
        int d = m.numFeatures(), c = m.numClasses();
        float[] w = new float[d * c], b = new float[c];
        for (int j = 0; j < d; j++) {
            for (int k = 0; k < c; k++) w[j * c + k] = (float) m.coefficientMatrix().apply(k, j);
        }
        for (int k = 0; k < c; k++) b[k] = (float) m.interceptVector().apply(k);
        return new Coefficients(d, c, w, b, null);
    }

    /** The unpenalised objective (the mean loss) of a model over the blocks. */
    private static double meanLoss(Softmax4jClassificationModel m, List<Block> blocks) {
        LossSum s = LocalObjective.sums(blocks, coefficients(m));
        return s.loss / s.weight;
    }

    private static double accuracy(Dataset<Row> predictions) {
        return new MulticlassClassificationEvaluator().setMetricName("accuracy").evaluate(predictions);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length == 0 ? Double.NaN : s[s.length / 2];
    }

    /** The rows as a cached DataFrame of dense vectors, in PARTITIONS partitions built by the tasks. */
    private static Dataset<Row> frame(SparkSession spark, boolean training) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<Integer> parts = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) parts.add(p);
        Dataset<Row> df = spark.createDataFrame(
                        jsc.parallelize(parts, PARTITIONS).flatMap(p -> rows(training, p).iterator()),
                        SCHEMA)
                .persist(StorageLevel.MEMORY_ONLY());
        df.count();
        return df;
    }

    private static List<Row> rows(boolean training, int partition) {
        float[] x = training ? trainX : testX;
        int[] y = training ? trainY : testY;
        int n = y.length, from = (int) ((long) n * partition / PARTITIONS), to = (int) ((long) n * (partition + 1) / PARTITIONS);
        List<Row> out = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            double[] v = new double[features];
            for (int j = 0; j < features; j++) v[j] = x[i * features + j];
            out.add(RowFactory.create(Vectors.dense(v), (double) y[i]));
        }
        return out;
    }

    private static float[] pixels(org.softmax4j.data.Dataset d) {
        float[] x = new float[d.size() * d.features()];
        for (int i = 0; i < d.size(); i++) {
            for (int j = 0; j < d.features(); j++) x[i * d.features() + j] = d.value(i, j);
        }
        return x;
    }

    private static int[] labels(org.softmax4j.data.Dataset d) {
        int[] y = new int[d.size()];
        for (int i = 0; i < y.length; i++) y[i] = d.label(i);
        return y;
    }

    /**
     * bench/outofcore/MakeData's model: features N(1, 4), the label the argmax
     * of a fixed random linear map plus Gumbel noise.
     */
    private static void synthetic(int rows, int testRows) {
        SplittableRandom rng = new SplittableRandom(1);
        float[] w = new float[features * classes];
        for (int i = 0; i < w.length; i++) w[i] = (float) (rng.nextGaussian() * 3 / Math.sqrt(features));
        trainX = new float[rows * features];
        trainY = new int[rows];
        testX = new float[testRows * features];
        testY = new int[testRows];
        draw(rng, w, trainX, trainY);
        draw(rng, w, testX, testY);
    }

    private static void draw(SplittableRandom rng, float[] w, float[] x, int[] y) {
        int d = features, c = classes;
        for (int r = 0; r < y.length; r++) {
            for (int j = 0; j < d; j++) x[r * d + j] = (float) (rng.nextGaussian() * 2 + 1);
            int best = 0;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < c; k++) {
                double s = -Math.log(-Math.log(rng.nextDouble(1e-300, 1.0)));
                for (int j = 0; j < d; j++) s += x[r * d + j] * w[j * c + k];
                if (s > bestScore) {
                    bestScore = s;
                    best = k;
                }
            }
            y[r] = best;
        }
    }

    private static String cpu() {
        try {
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (java.io.IOException e) {
            // below
        }
        return System.getProperty("os.arch");
    }

    /** Job times by call site, and each job's longest task. */
    private static final class Jobs extends SparkListener {
        private final Map<Integer, long[]> started = new ConcurrentHashMap<>();
        private final Map<Integer, String> site = new ConcurrentHashMap<>();
        private final Map<Integer, Integer> stageJob = new ConcurrentHashMap<>();
        private final Map<Integer, Long> longestTask = new ConcurrentHashMap<>();
        private final Map<Integer, Long> duration = new ConcurrentHashMap<>();

        void clear() {
            started.clear();
            site.clear();
            stageJob.clear();
            longestTask.clear();
            duration.clear();
        }

        @Override
        public void onJobStart(SparkListenerJobStart e) {
            started.put(e.jobId(), new long[] {System.nanoTime()});
            StringBuilder names = new StringBuilder();
            for (StageInfo stage : scala.jdk.javaapi.CollectionConverters.asJava(e.stageInfos())) {
                stageJob.put(stage.stageId(), e.jobId());
                names.append(stage.name()).append(';');
            }
            site.put(e.jobId(), names.toString());
        }

        @Override
        public void onJobEnd(SparkListenerJobEnd e) {
            long[] t = started.get(e.jobId());
            if (t != null) duration.put(e.jobId(), System.nanoTime() - t[0]);
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd e) {
            Integer job = stageJob.get(e.stageId());
            if (job != null) longestTask.merge(job, e.taskInfo().duration() * 1_000_000L, Math::max);
        }

        /** Median duration (ns) of the jobs whose call site contains {@code where}. */
        double median(String where) {
            return SparkBench.median(duration.entrySet().stream()
                    .filter(j -> site.getOrDefault(j.getKey(), "").contains(where))
                    .mapToDouble(j -> j.getValue())
                    .toArray());
        }

        /** Median over those jobs of their longest task (ns). */
        double medianLongestTask(String where) {
            return SparkBench.median(longestTask.entrySet().stream()
                    .filter(j -> site.getOrDefault(j.getKey(), "").contains(where))
                    .mapToDouble(j -> j.getValue())
                    .toArray());
        }
    }
}
