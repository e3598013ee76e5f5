package org.softmax4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** L-BFGS and OWL-QN on problems whose minimisers are known in closed form. */
class LbfgsTest {

    /** 0.5 sum a_i (x_i - c_i)^2. */
    private static Objective quadratic(double[] a, double[] c) {
        return (x, g) -> {
            double f = 0;
            for (int i = 0; i < x.length; i++) {
                double e = x[i] - c[i];
                f += 0.5 * a[i] * e * e;
                g[i] = a[i] * e;
            }
            return f;
        };
    }

    @Test
    void findsTheMinimumOfAnIllConditionedQuadratic() {
        SplittableRandom rnd = new SplittableRandom(System.nanoTime());
        int n = 50;
        double[] a = new double[n], c = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = Math.exp(rnd.nextDouble(-3, 3));
            c[i] = rnd.nextGaussian() * 3;
        }
        Lbfgs.Result r = new Lbfgs(500, 10, 1e-12, null).minimize(quadratic(a, c), new double[n], null);
        for (int i = 0; i < n; i++) assertEquals(c[i], r.x()[i], 1e-4 * (1 + Math.abs(c[i])), "x" + i);
        double[] h = r.objectiveHistory();
        assertEquals(r.iterations() + 1, h.length);
        for (int i = 1; i < h.length; i++) assertTrue(h[i] <= h[i - 1], "the objective never rises: " + i);
    }

    @Test
    void solvesRosenbrock() {
        Objective rosenbrock = (x, g) -> {
            double u = 1 - x[0], v = x[1] - x[0] * x[0];
            g[0] = -2 * u - 400 * x[0] * v;
            g[1] = 200 * v;
            return u * u + 100 * v * v;
        };
        Lbfgs.Result r = new Lbfgs(1000, 5, 1e-14, null).minimize(rosenbrock, new double[] {-1.2, 1}, null);
        assertArrayEquals(new double[] {1, 1}, r.x(), 1e-4, r.stopReason());
    }

    @Test
    void owlqnSoftThresholds() {
        SplittableRandom rnd = new SplittableRandom(System.nanoTime());
        int n = 40;
        double[] a = new double[n], c = new double[n], l1 = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = Math.exp(rnd.nextDouble(-1, 1));
            c[i] = rnd.nextGaussian();
            l1[i] = i % 5 == 0 ? 0 : 0.5; // some coordinates unpenalised, as intercepts are
        }
        Lbfgs.Result r = new Lbfgs(500, 10, 1e-12, l1).minimize(quadratic(a, c), new double[n], null);
        int zeros = 0;
        for (int i = 0; i < n; i++) {
            double t = l1[i] / a[i], expected = Math.signum(c[i]) * Math.max(Math.abs(c[i]) - t, 0);
            if (expected == 0) {
                assertEquals(0.0, r.x()[i], "coordinate " + i + " is cut to exactly 0");
                zeros++;
            } else {
                assertEquals(expected, r.x()[i], 1e-5, "coordinate " + i);
            }
        }
        assertTrue(zeros > 0, "the draw has coordinates inside the threshold");
        double f = 0;
        for (int i = 0; i < n; i++) f += 0.5 * a[i] * Math.pow(r.x()[i] - c[i], 2) + l1[i] * Math.abs(r.x()[i]);
        double[] h = r.objectiveHistory();
        assertEquals(f, h[h.length - 1], 1e-12, "the history holds the objective with its L1 term");
    }

    @Test
    void maxIterZeroEvaluatesTheStartOnly() {
        int[] calls = {0};
        Objective f = (x, g) -> {
            calls[0]++;
            g[0] = 2 * x[0];
            return x[0] * x[0];
        };
        Lbfgs.Result r = new Lbfgs(0, 10, 1e-6, null).minimize(f, new double[] {3}, null);
        assertArrayEquals(new double[] {3}, r.x());
        assertArrayEquals(new double[] {9}, r.objectiveHistory());
        assertEquals(1, calls[0]);
        assertEquals("maxIter reached", r.stopReason());
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> new Lbfgs(-1, 10, 1e-6, null));
        assertThrows(IllegalArgumentException.class, () -> new Lbfgs(10, 0, 1e-6, null));
        assertThrows(IllegalArgumentException.class, () -> new Lbfgs(10, 10, Double.NaN, null));
        assertThrows(IllegalArgumentException.class, () -> new Lbfgs(10, 10, 1e-6, new double[] {-1}));
        Lbfgs twoWeights = new Lbfgs(10, 10, 1e-6, new double[] {1, 1});
        assertThrows(
                IllegalArgumentException.class,
                () -> twoWeights.minimize(quadratic(new double[] {1}, new double[] {1}), new double[1], null));
    }
}
