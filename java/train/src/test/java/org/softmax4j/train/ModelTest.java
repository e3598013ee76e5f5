package org.softmax4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.softmax4j.data.Dataset;
import org.softmax4j.data.Scaler;
import org.softmax4j.data.Table;

/**
 * The Java API of issue 14: {@link SoftmaxClassifier} from a {@link Table} to a {@link Model},
 * whose predictions are softmax(scale(x) W + b) of raw rows, the same after save and load, and the
 * same from many threads.
 */
class ModelTest {
    @TempDir
    static Path dir;

    private static final String[] CLASSES = {"setosa", "versicolor", "virginica"};
    private static final int FEATURES = 4;
    /** Cluster centres far apart on raw scales of very different sizes (what standardising is for). */
    private static final double[][] CENTRES = {{5, 100, -3, 0.01}, {15, 300, 3, 0.05}, {25, 200, 0, 0.03}};

    private static final double[] SPREAD = {1, 10, 0.5, 0.002};

    private static float[][] rows;
    private static String[] labels;
    private static Model model;

    @BeforeAll
    static void train() throws IOException {
        long seed = System.nanoTime();
        System.out.println("ModelTest seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = 300;
        rows = new float[n][FEATURES];
        labels = new String[n];
        StringBuilder csv = new StringBuilder("sepal_length,sepal_width,petal_length,petal_width,species\n");
        for (int i = 0; i < n; i++) {
            int k = rnd.nextInt(CLASSES.length);
            labels[i] = CLASSES[k];
            for (int j = 0; j < FEATURES; j++) {
                rows[i][j] = (float) (CENTRES[k][j] + SPREAD[j] * (rnd.nextDouble() * 2 - 1));
                csv.append(rows[i][j]).append(',');
            }
            csv.append(labels[i]).append('\n');
        }
        Path file = dir.resolve("iris.csv");
        Files.writeString(file, csv);
        model = SoftmaxClassifier.builder()
                .epochs(20)
                .batchSize(16)
                .learningRate(0.2f)
                .seed(7)
                .scale("standard")
                .build()
                .fit(Table.csv(file).label("species").cacheDir(dir.resolve("cache")));
    }

    @Test
    void theModelKnowsItsClassesFeaturesAndScaler() {
        assertEquals(List.of(CLASSES), model.classNames(), "sorted: already in order");
        assertEquals(List.of("sepal_length", "sepal_width", "petal_length", "petal_width"), model.featureNames());
        assertEquals(FEATURES, model.features());
        assertEquals(3, model.classes());
        // standard: the training set's column means and 1 / population standard deviations
        Scaler s = model.scaler();
        assertEquals(Scaler.Kind.STANDARD, s.kind());
        for (int j = 0; j < FEATURES; j++) {
            double mean = 0, sq = 0;
            for (float[] r : rows) mean += r[j];
            mean /= rows.length;
            for (float[] r : rows) sq += (r[j] - mean) * (r[j] - mean);
            double std = Math.sqrt(sq / rows.length);
            assertEquals(mean, s.shift()[j], 1e-5 * Math.max(1, Math.abs(mean)), "mean of column " + j);
            assertEquals(1 / std, s.colScale()[j], 1e-4 / std, "1 / std of column " + j);
        }
    }

    @Test
    void separableDataIsLearned() {
        int right = 0;
        for (int i = 0; i < rows.length; i++) if (model.predictName(rows[i]).equals(labels[i])) right++;
        assertTrue(right >= 0.95 * rows.length, right + " of " + rows.length + " right");
    }

    @Test
    void probabilitiesAreTheSoftmaxOfTheScaledRowTimesTheWeights() {
        SoftmaxRegression w = model.weights();
        Scaler s = model.scaler();
        for (int i = 0; i < 20; i++) {
            float[] p = model.predictProba(rows[i]);
            double[] z = new double[3];
            for (int k = 0; k < 3; k++) {
                z[k] = w.bias()[k];
                for (int j = 0; j < FEATURES; j++) {
                    double x = (rows[i][j] - s.shift()[j]) * s.colScale()[j];
                    z[k] += x * w.weights()[j * 3 + k];
                }
            }
            double max = Math.max(z[0], Math.max(z[1], z[2])), sum = 0;
            for (double v : z) sum += Math.exp(v - max);
            double total = 0;
            for (int k = 0; k < 3; k++) {
                assertEquals(Math.exp(z[k] - max) / sum, p[k], 1e-5, "row " + i + ", class " + k);
                total += p[k];
            }
            assertEquals(1, total, 1e-5);
            int best = p[0] >= p[1] && p[0] >= p[2] ? 0 : p[1] >= p[2] ? 1 : 2;
            assertEquals(best, model.predict(rows[i]));
            assertEquals(CLASSES[best], model.predictName(rows[i]));
            int[] top = model.topK(rows[i], 3);
            assertTrue(p[top[0]] >= p[top[1]] && p[top[1]] >= p[top[2]], "top-k ordered");
        }
    }

    @Test
    void batchesAgreeWithSingleRows() {
        float[][] batch = model.predictProba(rows);
        float[] flat = new float[rows.length * FEATURES], out = new float[rows.length * 3];
        for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, flat, i * FEATURES, FEATURES);
        model.predictProba(rows.length, MemorySegment.ofArray(flat), MemorySegment.ofArray(out));
        for (int i = 0; i < rows.length; i++) {
            float[] one = model.predictProba(rows[i]);
            assertArrayEquals(one, batch[i], 1e-6f, "row " + i);
            assertArrayEquals(
                    batch[i], java.util.Arrays.copyOfRange(out, i * 3, i * 3 + 3), "row " + i + ": the same call");
        }
        assertEquals(0, model.predictProba(new float[0][]).length);
    }

    @Test
    void saveAndLoadGiveTheSamePredictionsBitForBit() throws IOException {
        Path file = dir.resolve("m.s4j");
        model.save(file);
        Model back = Model.load(file);
        assertEquals(model.classNames(), back.classNames());
        assertEquals(model.featureNames(), back.featureNames());
        assertEquals(model.scaler(), back.scaler());
        assertTrue(model.weights().sameParameters(back.weights()));
        for (float[] r : rows) {
            float[] a = model.predictProba(r), b = back.predictProba(r);
            for (int k = 0; k < a.length; k++) {
                assertEquals(Float.floatToRawIntBits(a[k]), Float.floatToRawIntBits(b[k]));
            }
        }
        float[][] a = model.predictProba(rows), b = back.predictProba(rows);
        for (int i = 0; i < rows.length; i++) assertArrayEquals(a[i], b[i], "row " + i);
    }

    @Test
    void predictionsFromEightThreadsEqualThoseOfOne() throws Exception {
        float[][] expected = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) expected[i] = model.predictProba(rows[i]);
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<float[][]>> results = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int offset = t * 37;
                Callable<float[][]> job = () -> {
                    float[][] got = new float[rows.length][];
                    for (int round = 0; round < 5; round++) {
                        for (int k = 0; k < rows.length; k++) {
                            int i = (k + offset) % rows.length; // threads on different rows at a time
                            got[i] = model.predictProba(rows[i]);
                        }
                    }
                    return got;
                };
                results.add(pool.submit(job));
            }
            for (Future<float[][]> f : results) {
                float[][] got = f.get();
                for (int i = 0; i < rows.length; i++) assertArrayEquals(expected[i], got[i], "row " + i);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRowOfTheWrongLengthIsRefused() {
        String m = assertThrows(IllegalArgumentException.class, () -> model.predictProba(new float[3]))
                .getMessage();
        assertEquals("a row of 3 values for a model of 4 features", m);
        assertThrows(IllegalArgumentException.class, () -> model.predictProba(new float[][] {rows[0], new float[5]}));
        assertThrows(IllegalArgumentException.class, () -> model.predictProba((float[]) null));
    }

    @Test
    void anUnfittedScalerIsRefused() {
        SoftmaxRegression w = SoftmaxRegression.zeros(FEATURES, 3);
        String m = assertThrows(
                        IllegalArgumentException.class,
                        () -> new Model(w, List.of(), List.of(), Scaler.parse("standard"), org.softmax4j.Kernels.cpu()))
                .getMessage();
        assertEquals("the scaler standard was not fitted", m);
        Model numbered = new Model(w, List.of(), List.of(), Scaler.none(), org.softmax4j.Kernels.cpu());
        assertEquals(List.of("0", "1", "2"), numbered.classNames());
        float[] p = numbered.predictProba(new float[FEATURES]);
        assertArrayEquals(new float[] {1 / 3f, 1 / 3f, 1 / 3f}, p, 1e-7f);
    }

    @Test
    void theDefaultScalingStandardisesFloatsAndKeepsPixelsDividedBy255() {
        Dataset pixels = Synthetic.clusters("px", 200, 8, 3, 20, 5);
        SoftmaxClassifier clf = SoftmaxClassifier.builder().epochs(2).build();
        assertEquals("divide:255", clf.prepare(pixels).scaler().toString());
        Model m = clf.fit(pixels);
        assertEquals("divide:255", m.scaler().toString());
        assertEquals(List.of("0", "1", "2"), m.classNames());
        assertTrue(clf.lastResult().history().size() == 2, "two epochs");
        assertEquals(
                String.format(Locale.ROOT, "standard"),
                SoftmaxClassifier.builder()
                        .build()
                        .prepare(org.softmax4j.data.Dataset.of(
                                "f",
                                org.softmax4j.data.Features.ofFloats(new float[] {1, 2, 3, 4}, 1),
                                new int[] {0, 1, 0, 1},
                                List.of("a", "b"),
                                List.of(),
                                Scaler.none()))
                        .scaler()
                        .toString());
    }
}
