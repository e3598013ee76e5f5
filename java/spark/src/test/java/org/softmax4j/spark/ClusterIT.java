package org.softmax4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.RDDInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import scala.jdk.javaapi.CollectionConverters;

/**
 * A real multi-process run: a standalone Master and two Workers on
 * 127.0.0.1 (separate JVMs, from the Maven jars), a driver in this JVM that
 * ships the jars a user would (this module's, softmax4j's with its natives,
 * their dependencies) with spark.jars, the natives loading in every
 * executor, and a fit that loses an executor while it packs the rows and
 * another while L-BFGS iterates, and still ends at the single-machine optimum.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterIT {
    private static final int ROWS = 60_000, FEATURES = 40, CLASSES = 5, PARTITIONS = 4;
    private static final double REG = 1e-3;

    private static Path dir;
    private static StandaloneCluster cluster;
    private static SparkSession spark;
    private static Path data;

    @BeforeAll
    static void start() throws Exception {
        dir = Path.of(System.getProperty("s4j.cluster.dir"));
        List<Path> sparkJars = StandaloneCluster.readClasspath(dir.resolve("spark-classpath.txt"));
        cluster = new StandaloneCluster(dir, sparkJars, System.getProperty("s4j.cluster.jvmFlags"), 2, 1, "1g");
        List<String> jars = new ArrayList<>();
        jars.add(Path.of(System.getProperty("s4j.cluster.appJar")).toString());
        for (Path p : StandaloneCluster.readClasspath(dir.resolve("app-classpath.txt"))) {
            if (!Files.isRegularFile(p)) throw new IllegalStateException("not a jar: " + p + " (run verify)");
            jars.add(p.toString());
        }
        jars.add(testJar(Path.of(System.getProperty("s4j.cluster.testClasses")), dir.resolve("tests.jar"))
                .toString());
        spark = SparkSession.builder()
                .master(cluster.masterUrl())
                .appName("softmax4j ClusterIT")
                .config("spark.jars", String.join(",", jars))
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.ui.enabled", "false")
                .config("spark.executor.memory", "512m")
                .config("spark.cores.max", "2")
                // what softmax4j's natives need in an executor (Spark 4.2 adds it too)
                .config("spark.executor.extraJavaOptions", "--enable-native-access=ALL-UNNAMED")
                .config("spark.sql.shuffle.partitions", "4")
                // one Parquet file, one partition: no packing of small files together
                .config("spark.sql.files.openCostInBytes", Long.toString(128L << 20))
                .getOrCreate();
        cluster.awaitWorkers();
        awaitExecutors(2);
        data = dir.resolve("data.parquet");
        writeData(spark, data);
    }

    @AfterAll
    static void stop() {
        try {
            if (spark != null) spark.stop();
        } finally {
            if (cluster != null) cluster.close();
        }
    }

    @Test
    @Order(1)
    void nativesLoadInEveryExecutor() throws IOException {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<String> reports = jsc.parallelize(List.of(0, 1, 2, 3, 4, 5), 6)
                .map(i -> ExecutorProbe.describe(300))
                .collect();
        Map<String, String[]> byExecutor = new HashMap<>();
        for (String r : reports) {
            String[] f = r.split("\\|", -1);
            byExecutor.put(f[0], f);
        }
        assertEquals(2, byExecutor.size(), "tasks ran on both executors: " + reports);
        long driver = ProcessHandle.current().pid();
        Set<Long> workers = new java.util.HashSet<>();
        cluster.workers().forEach(w -> workers.add(w.pid()));
        for (String[] f : byExecutor.values()) {
            long pid = Long.parseLong(f[1]);
            assertTrue(pid != driver && !workers.contains(pid), "an executor JVM of its own: " + pid);
            assertTrue(f[2].startsWith("25"), "JDK 25 in the executor: " + f[2]);
            assertTrue(f[3].startsWith("cpu/ffm "), "the native kernels through FFM: " + f[3]);
            assertTrue(
                    f[4].matches(".*/work-\\d+/.*/softmax4j-[0-9][^/]*\\.jar"),
                    "Kernels from the jar the driver shipped, in the executor's work dir: " + f[4]);
            assertEquals("true", f[5], "--enable-native-access=ALL-UNNAMED in: " + f[6]);
        }
        List<Path> stderr;
        try (Stream<Path> files = Files.walk(dir)) {
            stderr = files.filter(p -> p.getFileName().toString().equals("stderr"))
                    .filter(p -> p.toString().contains("/work-"))
                    .toList();
        }
        assertFalse(stderr.isEmpty(), "executor logs under the Workers' work dirs");
        for (Path p : stderr) {
            String log = Files.readString(p, StandardCharsets.UTF_8);
            assertFalse(log.contains("restricted method"), p + " warns about native access:\n" + log);
        }
    }

    @Test
    @Order(2)
    void fitSurvivesLostExecutors() {
        Dataset<Row> rows = spark.read().parquet(data.toString());
        assertEquals(PARTITIONS, rows.rdd().getNumPartitions(), "one Parquet file per partition");
        Killer killer = new Killer();
        spark.sparkContext().addSparkListener(killer);
        Softmax4jClassificationModel m;
        try {
            m = new Softmax4jClassifier()
                    .setRegParam(REG)
                    .setMaxIter(100)
                    .setTol(1e-9)
                    .setBlockSize(2048)
                    .fit(rows);
        } finally {
            spark.sparkContext().removeSparkListener(killer);
        }
        assertEquals(2, killer.killed.size(), "executors killed: " + killer.killed + cluster.logTails());
        for (long pid : killer.killed) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), pid + " is dead");
        }
        assertTrue(
                killer.lostTasks.get() >= 1,
                "Spark retried the task of the executor lost while packing: " + killer.failures);
        assertTrue(
                killer.rebuilt.get() >= 1,
                "a pass after the second kill rebuilt the lost executor's cached blocks from the Parquet rows");
        assertTrue(m.summary().passes().size() > Killer.SECOND_KILL_STAGE, "the kills came mid-training");

        // the same optimisation on one machine, over the same rows
        List<Block> blocks = new ArrayList<>();
        Packer.pack(rows.select("features", "label").collectAsList().iterator(), FEATURES, 2048, false)
                .forEachRemaining(blocks::add);
        BlockStats stats = LocalObjective.stats(blocks, FEATURES);
        ScaledProblem problem =
                new ScaledProblem(FEATURES, CLASSES, true, stats.means(), stats.std(), true, REG, 0, null);
        Lbfgs.Result local = new Lbfgs(100, 10, 1e-9, null)
                .minimize(new LocalObjective(blocks, problem, stats.weightSum), problem.initial(stats.histogram), null);
        double[] h = m.summary().objectiveHistory(), hl = local.objectiveHistory();
        assertEquals(hl[hl.length - 1], h[h.length - 1], 1e-5 * hl[hl.length - 1], "final objective");
        double[] w = problem.weights(local.x()), wc = m.coefficientMatrix().toArray();
        for (int i = 0; i < w.length; i++) assertEquals(w[i], wc[i], 1e-3 * (1 + Math.abs(w[i])), "weight " + i);
    }

    /**
     * Kills the executor that starts the first task of the packing pass (the
     * first stage over the blocks), and later the one that starts a task of
     * the {@link #SECOND_KILL_STAGE}th, an L-BFGS pass over cached blocks.
     */
    private static final class Killer extends SparkListener {
        static final int SECOND_KILL_STAGE = 6;
        final List<Long> killed = new CopyOnWriteArrayList<>();
        final List<String> failures = new CopyOnWriteArrayList<>();
        final AtomicInteger lostTasks = new AtomicInteger(), rebuilt = new AtomicInteger();
        private final Map<Integer, Integer> blockStages = new ConcurrentHashMap<>();
        private final Set<Integer> armed = Collections.newSetFromMap(new ConcurrentHashMap<>());

        @Override
        public void onStageSubmitted(SparkListenerStageSubmitted e) {
            for (RDDInfo r : CollectionConverters.asJava(e.stageInfo().rddInfos())) {
                if (r.name() != null && r.name().endsWith("softmax4j blocks")) {
                    int n = blockStages.size() + 1;
                    blockStages.putIfAbsent(e.stageInfo().stageId(), n);
                    if (n == 1 || n == SECOND_KILL_STAGE)
                        armed.add(e.stageInfo().stageId());
                    return;
                }
            }
        }

        @Override
        public void onTaskStart(SparkListenerTaskStart e) {
            if (!armed.remove(e.stageId())) return;
            String id = e.taskInfo().executorId();
            ProcessHandle p =
                    cluster.executor(id).orElseThrow(() -> new IllegalStateException("no process for executor " + id));
            p.destroyForcibly();
            killed.add(p.pid());
        }

        @Override
        public void onTaskEnd(SparkListenerTaskEnd e) {
            if (!e.taskInfo().successful()) {
                failures.add(e.reason().toString());
                if (e.reason().toString().contains("ExecutorLostFailure")) lostTasks.incrementAndGet();
            }
            Integer n = blockStages.get(e.stageId());
            // a pass over cached blocks reads a few blocks; one that rebuilds them reads its Parquet rows
            if (n != null
                    && n >= SECOND_KILL_STAGE
                    && e.taskMetrics() != null
                    && e.taskMetrics().inputMetrics().recordsRead() >= ROWS / PARTITIONS / 2) {
                rebuilt.incrementAndGet();
            }
        }
    }

    private static void awaitExecutors(int n) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (spark.sparkContext().statusTracker().getExecutorInfos().length < n + 1) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("fewer than " + n + " executors after 60 s" + cluster.logTails());
            }
            Thread.sleep(200);
        }
    }

    /** {@link ClusterData}'s rows, drawn by the executors, as PARTITIONS Parquet files. */
    private static void writeData(SparkSession spark, Path path) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<Integer> parts = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) parts.add(p);
        int perPartition = ROWS / PARTITIONS;
        spark.createDataFrame(
                        jsc.parallelize(parts, PARTITIONS)
                                .flatMap(p -> ClusterData.rows(p, perPartition, FEATURES, CLASSES)
                                        .iterator()),
                        ClusterData.SCHEMA)
                .write()
                .mode("overwrite")
                .parquet(path.toString());
    }

    /** The compiled test classes as a jar for spark.jars (the executors run ExecutorProbe). */
    private static Path testJar(Path classes, Path jar) throws IOException {
        try (OutputStream out = Files.newOutputStream(jar);
                JarOutputStream j = new JarOutputStream(out);
                Stream<Path> files = Files.walk(classes)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                j.putNextEntry(new JarEntry(classes.relativize(p).toString().replace('\\', '/')));
                Files.copy(p, j);
                j.closeEntry();
            }
        }
        return jar;
    }
}
