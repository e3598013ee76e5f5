package org.softmax4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Scaler.fit against a two-pass double reference, on columns that make naive sums cancel. */
class ScalerFitTest {
    @Test
    void standardAndMinmaxMatchATwoPassReference() {
        long seed = System.nanoTime();
        SplittableRandom rng = new SplittableRandom(seed);
        int n = 1 + rng.nextInt(5000), d = 1 + rng.nextInt(9);
        // column j: mean 10^j (up to 1e8), spread 1e-3 .. 1: float rounding matters, the method must not
        float[] x = new float[n * d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++)
                x[i * d + j] = (float) (Math.pow(10, j) + rng.nextGaussian() * Math.pow(10, -3 + j % 4));
        }
        Dataset data = Dataset.of("t", Features.ofFloats(x, d), new int[n], List.of("a"), List.of(), Scaler.none());
        int[] rows = new int[n / 2 + 1]; // a subset, as a training split is
        for (int i = 0; i < rows.length; i++) rows[i] = rng.nextInt(n);
        Dataset part = data.select("part", rows);

        Scaler standard = Scaler.parse("standard").fit(part),
                minmax = Scaler.parse("minmax").fit(part);
        for (int j = 0; j < d; j++) {
            double mean = 0, min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
            for (int r : rows) mean += x[r * d + j];
            mean /= rows.length;
            double ss = 0;
            for (int r : rows) {
                ss += (x[r * d + j] - mean) * (x[r * d + j] - mean);
                min = Math.min(min, x[r * d + j]);
                max = Math.max(max, x[r * d + j]);
            }
            double sd = Math.sqrt(ss / rows.length);
            String at = "seed " + seed + ", column " + j;
            assertEquals((float) mean, standard.shift()[j], Math.ulp((float) mean), at);
            if (sd > 0) assertEquals(1 / sd, standard.colScale()[j], 1e-4 / sd, at);
            assertEquals((float) min, minmax.shift()[j], 0f, at);
            if (max > min) assertEquals(1 / (max - min), minmax.colScale()[j], 1e-6 / (max - min), at);
        }
    }
}
