package org.softmax4j.spark;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * L-BFGS (Nocedal 1980, two-loop recursion, strong-Wolfe line search) and,
 * with per-coordinate L1 weights, OWL-QN (Andrew and Gao 2007: the L-BFGS
 * direction of the pseudo-gradient, kept in its orthant, and a projected
 * backtracking line search): the optimizers MLlib's LogisticRegression runs
 * through Breeze, with Breeze's stopping rules, so that the two take
 * comparable paths. Written here because Java cannot implement Breeze's
 * {@code DiffFunction}: it inherits both Scala's {@code Object apply(T)}
 * (Function1) and {@code double apply(T)}, a pair javac rejects, and
 * extending Breeze's concrete classes fails the same way on their generic
 * signatures.
 *
 * <p>Stops at the first of: {@code maxIter} iterations; the objective
 * improved by at most {@code tol |f(x0)|} over the last 20 iterations; the
 * gradient's (pseudo-gradient's) norm is at most {@code max(tol f, 1e-8)};
 * the line search ends without a point that meets its conditions (then the
 * best point with sufficient decrease, if any, is kept: near the optimum
 * this is the float32 objective's noise floor). The objective history
 * starts with {@code f(x0)}, as MLlib's.
 */
final class Lbfgs {
    private static final int WINDOW = 20;
    private static final double C1 = 1e-4, C2 = 0.9;
    // Breeze's budgets, but for the zoom: each evaluation is a pass over the data, and a zoom that
    // does not end within a few steps is resolving float32 noise
    private static final int LINE_SEARCH_STEPS = 10, ZOOM_STEPS = 6, BACKTRACK_STEPS = 20;

    /** Called with the objective at x0 (iteration 0), then after each iteration. */
    interface Listener {
        void iteration(int iteration, double objective);
    }

    /** The last point, the objective per iteration (from {@code f(x0)}), and why it stopped. */
    record Result(double[] x, double[] objectiveHistory, int iterations, String stopReason) {}

    private final int maxIter;
    private final int memory;
    private final double tol;
    private final double[] l1;

    /**
     * @param l1 null (L-BFGS), or each coordinate's L1 weight, >= 0 (OWL-QN)
     */
    Lbfgs(int maxIter, int memory, double tol, double[] l1) {
        if (maxIter < 0 || memory < 1 || !(tol >= 0)) {
            throw new IllegalArgumentException(
                    "maxIter " + maxIter + " >= 0, memory " + memory + " >= 1 and tol " + tol + " >= 0 needed");
        }
        if (l1 != null) {
            for (int i = 0; i < l1.length; i++) {
                if (!(l1[i] >= 0) || Double.isInfinite(l1[i])) {
                    throw new IllegalArgumentException("the L1 weight of coordinate " + i + " is " + l1[i]);
                }
            }
        }
        this.maxIter = maxIter;
        this.memory = memory;
        this.tol = tol;
        this.l1 = l1;
    }

    Result minimize(Objective f, double[] x0, Listener listener) {
        int n = x0.length;
        if (l1 != null && l1.length != n) {
            throw new IllegalArgumentException(l1.length + " L1 weights for " + n + " coordinates");
        }
        Point cur = new Point(x0.clone(), new double[n]);
        cur.value = f.evaluate(cur.x, cur.g) + l1Norm(cur.x);
        double f0 = cur.value;
        List<Double> history = new ArrayList<>();
        history.add(f0);
        if (listener != null) listener.iteration(0, f0);
        ArrayDeque<Double> window = new ArrayDeque<>();
        window.add(Double.POSITIVE_INFINITY);
        double[] pg = new double[n], d = new double[n];
        Memory mem = new Memory(memory, n);
        String reason;
        int iter = 0;
        while (true) {
            pseudoGradient(cur, pg);
            if (iter >= maxIter) {
                reason = "maxIter reached";
                break;
            }
            if (norm(pg) <= Math.max(tol * cur.value, 1e-8)) {
                reason = "gradient converged";
                break;
            }
            mem.direction(pg, d);
            if (l1 != null) {
                for (int i = 0; i < n; i++) if (d[i] * pg[i] >= 0) d[i] = 0;
            }
            if (!(dot(d, pg) < 0)) { // not a descent direction: forget the curvature pairs
                mem.clear();
                for (int i = 0; i < n; i++) d[i] = -pg[i];
            }
            Point next = l1 == null ? strongWolfe(f, cur, d, iter) : backtrack(f, cur, d, pg, iter);
            if (next == null) {
                reason = "line search found no decrease";
                break;
            }
            mem.push(cur, next);
            cur = next;
            iter++;
            history.add(cur.value);
            if (listener != null) listener.iteration(iter, cur.value);
            if (!next.accepted) { // as Breeze, which stops when its zoom fails; the point is kept
                reason = "line search failed (the float32 noise floor)";
                break;
            }
            window.addLast(cur.value);
            if (window.size() > WINDOW) window.removeFirst();
            if (window.size() >= 2 && Math.abs(cur.value - Collections.max(window)) <= tol * Math.abs(f0)) {
                reason = "objective converged";
                break;
            }
        }
        double[] h = history.stream().mapToDouble(Double::doubleValue).toArray();
        return new Result(cur.x, h, iter, reason);
    }

    private double l1Norm(double[] x) {
        if (l1 == null) return 0;
        double s = 0;
        for (int i = 0; i < x.length; i++) s += l1[i] * Math.abs(x[i]);
        return s;
    }

    /** The gradient, or with L1 the pseudo-gradient: the minimum-norm subgradient of the whole objective. */
    private void pseudoGradient(Point p, double[] pg) {
        double[] x = p.x, g = p.g;
        for (int i = 0; i < x.length; i++) {
            double r = l1 == null ? 0 : l1[i];
            if (r == 0) {
                pg[i] = g[i];
            } else if (x[i] > 0) {
                pg[i] = g[i] + r;
            } else if (x[i] < 0) {
                pg[i] = g[i] - r;
            } else if (g[i] + r < 0) {
                pg[i] = g[i] + r;
            } else if (g[i] - r > 0) {
                pg[i] = g[i] - r;
            } else {
                pg[i] = 0;
            }
        }
    }

    /** A point along the direction: x + a d, with its value and gradient. */
    private Point at(Objective f, Point from, double[] d, double a) {
        int n = d.length;
        Point p = new Point(new double[n], new double[n]);
        for (int i = 0; i < n; i++) p.x[i] = from.x[i] + a * d[i];
        p.value = f.evaluate(p.x, p.g);
        p.step = a;
        p.slope = dot(p.g, d);
        return p;
    }

    /**
     * Nocedal and Wright's line search for the strong Wolfe conditions
     * (their Algorithms 3.5 and 3.6, cubic interpolation in the zoom); the
     * first step is {@code 1/|d|}, later ones 1. When the conditions are not
     * met within the budget, the best point with sufficient decrease is
     * returned, marked, and null when there is none.
     */
    private Point strongWolfe(Objective f, Point cur, double[] d, int iter) {
        double slope0 = dot(cur.g, d);
        double a = iter == 0 ? 1 / norm(d) : 1;
        Point prev = cur;
        prev.step = 0;
        prev.slope = slope0;
        Point best = null;
        for (int i = 0; i < LINE_SEARCH_STEPS; i++) {
            Point p = at(f, cur, d, a);
            if (!Double.isFinite(p.value)
                    || p.value > cur.value + C1 * a * slope0
                    || (i > 0 && p.value >= prev.value)) {
                return zoom(f, cur, d, slope0, prev, p, best);
            }
            best = better(best, p);
            if (Math.abs(p.slope) <= -C2 * slope0) return p.accepted();
            if (p.slope >= 0) return zoom(f, cur, d, slope0, p, prev, best);
            prev = p;
            a *= 2;
        }
        return best;
    }

    private Point zoom(Objective f, Point cur, double[] d, double slope0, Point lo, Point hi, Point best) {
        for (int j = 0; j < ZOOM_STEPS; j++) {
            double a = interpolate(lo, hi);
            Point p = at(f, cur, d, a);
            if (!Double.isFinite(p.value) || p.value > cur.value + C1 * a * slope0 || p.value >= lo.value) {
                hi = p;
            } else {
                best = better(best, p);
                if (Math.abs(p.slope) <= -C2 * slope0) return p.accepted();
                if (p.slope * (hi.step - lo.step) >= 0) hi = lo;
                lo = p;
            }
        }
        return best;
    }

    private static Point better(Point best, Point p) {
        return best == null || p.value < best.value ? p : best;
    }

    /** The cubic interpolant's minimiser between the steps of lo and hi, kept 10% inside; else the midpoint. */
    private static double interpolate(Point lo, Point hi) {
        double a0 = lo.step, a1 = hi.step;
        double d1 = lo.slope + hi.slope - 3 * (lo.value - hi.value) / (a0 - a1);
        double rad = d1 * d1 - lo.slope * hi.slope;
        double lower = Math.min(a0, a1), upper = Math.max(a0, a1), margin = 0.1 * (upper - lower);
        if (Double.isFinite(hi.value) && rad >= 0) {
            double d2 = Math.signum(a1 - a0) * Math.sqrt(rad);
            double a = a1 - (a1 - a0) * (hi.slope + d2 - d1) / (hi.slope - lo.slope + 2 * d2);
            if (Double.isFinite(a)) return Math.min(Math.max(a, lower + margin), upper - margin);
        }
        return 0.5 * (a0 + a1);
    }

    /**
     * OWL-QN's line search: steps projected onto the orthant of x (or of the
     * negative pseudo-gradient where x is 0), shrunk until the objective drops
     * by {@code C1 pg . (x_new - x)}; Breeze's first step (0.5/|pg|, shrink 0.1),
     * later 1 (shrink 0.5).
     */
    private Point backtrack(Objective f, Point cur, double[] d, double[] pg, int iter) {
        int n = d.length;
        double a = iter == 0 ? 0.5 / norm(pg) : 1, shrink = iter == 0 ? 0.1 : 0.5;
        for (int t = 0; t < BACKTRACK_STEPS; t++) {
            Point p = new Point(new double[n], new double[n]);
            double decrease = 0;
            for (int i = 0; i < n; i++) {
                double v = cur.x[i] + a * d[i];
                if (l1[i] > 0) {
                    double orthant = cur.x[i] != 0 ? Math.signum(cur.x[i]) : -Math.signum(pg[i]);
                    if (Math.signum(v) != orthant) v = 0;
                }
                p.x[i] = v;
                decrease += pg[i] * (v - cur.x[i]);
            }
            p.value = f.evaluate(p.x, p.g) + l1Norm(p.x);
            if (Double.isFinite(p.value) && p.value <= cur.value + C1 * decrease) return p.accepted();
            a *= shrink;
        }
        return null;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static double norm(double[] a) {
        return Math.sqrt(dot(a, a));
    }

    /**
     * An evaluated point (and, inside a line search, its step, directional
     * derivative, and whether it met the search's conditions).
     */
    private static final class Point {
        final double[] x, g;
        double value, step, slope;
        boolean accepted;

        Point(double[] x, double[] g) {
            this.x = x;
            this.g = g;
        }

        Point accepted() {
            accepted = true;
            return this;
        }
    }

    /** The last m curvature pairs s = x' - x, y = g' - g, and the two-loop product with them. */
    private static final class Memory {
        final double[][] s, y;
        final double[] rho, alpha;
        int count, newest = -1;

        Memory(int m, int n) {
            s = new double[m][n];
            y = new double[m][n];
            rho = new double[m];
            alpha = new double[m];
        }

        void clear() {
            count = 0;
            newest = -1;
        }

        /** Keeps the pair when its curvature s.y is positive (else H would stop being positive definite). */
        void push(Point from, Point to) {
            int m = s.length, slot = (newest + 1) % m, n = from.x.length;
            double sy = 0;
            for (int i = 0; i < n; i++) sy += (to.x[i] - from.x[i]) * (to.g[i] - from.g[i]);
            if (!(sy > 0)) return;
            double[] si = s[slot], yi = y[slot];
            for (int i = 0; i < n; i++) {
                si[i] = to.x[i] - from.x[i];
                yi[i] = to.g[i] - from.g[i];
            }
            rho[slot] = 1 / sy;
            newest = slot;
            count = Math.min(count + 1, m);
        }

        /** d = -H g. */
        void direction(double[] g, double[] d) {
            int m = s.length, n = g.length;
            for (int i = 0; i < n; i++) d[i] = -g[i];
            for (int k = 0, slot = newest; k < count; k++, slot = (slot - 1 + m) % m) {
                alpha[slot] = rho[slot] * dot(s[slot], d);
                for (int i = 0; i < n; i++) d[i] -= alpha[slot] * y[slot][i];
            }
            if (count > 0) {
                double[] yn = y[newest];
                double gamma = 1 / (rho[newest] * dot(yn, yn));
                for (int i = 0; i < n; i++) d[i] *= gamma;
            }
            for (int k = count - 1; k >= 0; k--) {
                int slot = (newest - k + m) % m;
                double beta = rho[slot] * dot(y[slot], d);
                for (int i = 0; i < n; i++) d[i] += (alpha[slot] - beta) * s[slot][i];
            }
        }
    }
}
