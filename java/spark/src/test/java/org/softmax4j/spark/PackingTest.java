package org.softmax4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.junit.jupiter.api.Test;

/** Rows into blocks (dense, CSR and its transpose), and the statistics pass over them. */
class PackingTest {

    private static List<Block> pack(TestData d, boolean sparseVectors, int blockRows, boolean weighted) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < d.rows; i++) {
            rows.add(
                    weighted
                            ? RowFactory.create(d.vector(i, sparseVectors), (double) d.y[i], d.weight[i])
                            : RowFactory.create(d.vector(i, sparseVectors), (double) d.y[i]));
        }
        List<Block> out = new ArrayList<>();
        Packer.pack(rows.iterator(), d.features, blockRows, weighted).forEachRemaining(out::add);
        return out;
    }

    @Test
    void densePartitionsAreRowMajorWhateverTheVectorType() {
        TestData d = new TestData(1000, 7, 3, 0.3, System.nanoTime());
        for (boolean sparseVectors : new boolean[] {false, true}) {
            List<Block> blocks = pack(d, sparseVectors, 300, true);
            assertEquals(4, blocks.size());
            assertEquals(100, blocks.get(3).rows);
            for (int b = 0; b < 4; b++) {
                Block k = blocks.get(b);
                assertTrue(k.isDense());
                for (int i = 0; i < k.rows; i++) {
                    int r = b * 300 + i;
                    assertEquals(d.y[r], k.labels[i]);
                    assertEquals((float) d.weight[r], k.weights[i]);
                    for (int j = 0; j < 7; j++) assertEquals((float) d.x[r][j], k.x[i * 7 + j]);
                }
            }
        }
        assertNull(pack(d, false, 300, false).get(0).weights);
    }

    @Test
    void sparsePartitionsAreCsrWithTheirTranspose() {
        TestData d = new TestData(500, 200, 3, 0.98, System.nanoTime());
        List<Block> blocks = pack(d, true, 128, false);
        assertEquals(4, blocks.size());
        for (int b = 0; b < blocks.size(); b++) {
            Block k = blocks.get(b);
            assertFalse(k.isDense());
            float[][] fromRows = new float[k.rows][200], fromTranspose = new float[k.rows][200];
            for (int i = 0; i < k.rows; i++) {
                for (long p = k.rowPtr[i]; p < k.rowPtr[i + 1]; p++) fromRows[i][k.col[(int) p]] = k.val[(int) p];
                for (int j = 0; j < 200; j++) assertEquals((float) d.x[b * 128 + i][j], fromRows[i][j]);
            }
            for (int u = 0; u < k.tUsedCount; u++) {
                if (u > 0) assertTrue(k.tUsed[u] > k.tUsed[u - 1], "used features increase");
                for (long p = k.tRowPtr[u]; p < k.tRowPtr[u + 1]; p++) {
                    fromTranspose[k.tCol[(int) p]][k.tUsed[u]] = k.tVal[(int) p];
                }
            }
            for (int i = 0; i < k.rows; i++) assertArrayEquals(fromRows[i], fromTranspose[i], "row " + i);
        }
    }

    @Test
    void badRowsAreNamed() {
        Iterator<Block> ragged = Packer.pack(
                List.of(
                                RowFactory.create(new TestData(1, 3, 2, 0, 1).vector(0, false), 0.0),
                                RowFactory.create(new TestData(1, 4, 2, 0, 1).vector(0, false), 1.0))
                        .iterator(),
                3,
                10,
                false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, ragged::next);
        assertEquals("row 1 has 4 features, the first row 3", e.getMessage());
        Iterator<Block> negative = Packer.pack(
                List.of(RowFactory.create(new TestData(1, 3, 2, 0, 1).vector(0, false), 0.0, -2.0))
                        .iterator(),
                3,
                10,
                true);
        e = assertThrows(IllegalArgumentException.class, negative::next);
        assertEquals("row 0: weight -2.0 is not a finite number >= 0", e.getMessage());
    }

    @Test
    void statsAreMllibsWeightedMeanAndUnbiasedStd() {
        SplittableRandom rnd = new SplittableRandom(System.nanoTime());
        for (double sparsity : new double[] {0, 0.9}) {
            TestData d = new TestData(900, 6, 3, sparsity, rnd.nextLong());
            for (int i = 0; i < d.rows; i++) for (int j = 0; j < 6; j++) if (d.x[i][j] != 0) d.x[i][j] += 1e4;
            List<Block> blocks = pack(d, sparsity > 0, 128, true);
            // two halves merged, as partitions are
            BlockStats a = LocalObjective.stats(blocks.subList(0, 3), 6),
                    b = LocalObjective.stats(blocks.subList(3, 8), 6);
            BlockStats s = BlockStats.merge(a, b);
            double w = 0, w2 = 0;
            double[] hist = new double[3];
            for (int i = 0; i < d.rows; i++) {
                double wi = (float) d.weight[i];
                w += wi;
                w2 += wi * wi;
                hist[d.y[i]] += wi;
            }
            assertEquals(900, s.rows);
            assertEquals(w, s.weightSum, 1e-9 * w);
            assertArrayEquals(hist, s.histogram, 1e-9 * w);
            double[] mean = s.means(), std = s.std();
            for (int j = 0; j < 6; j++) {
                double m = 0, m2 = 0;
                for (int i = 0; i < d.rows; i++) m += (float) d.weight[i] * (double) (float) d.x[i][j];
                m /= w;
                for (int i = 0; i < d.rows; i++) {
                    double e = (double) (float) d.x[i][j] - m;
                    m2 += (float) d.weight[i] * e * e;
                }
                double sd = Math.sqrt(m2 / (w - w2 / w));
                assertEquals(m, mean[j], 1e-9 * Math.abs(m), "mean " + j);
                assertEquals(sd, std[j], 1e-7 * sd, "std " + j);
            }
        }
    }
}
