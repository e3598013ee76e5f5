package org.softmax4j.spark;

/** A smooth function of a vector, evaluated with its gradient. */
interface Objective {
    /** Returns f(x) and writes the gradient of f at x into {@code gradient} (x.length values). */
    double evaluate(double[] x, double[] gradient);
}
