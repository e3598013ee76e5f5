package org.softmax4j.spark;

/**
 * The problem the optimizers see, as MLlib poses it: the variable is the
 * weights of standardised (and, with an intercept, centred) features,
 * {@code x_s = (x - mean) / std}, and the bias; features of zero variance get
 * no weight. The executors never see scaled data: the driver turns the
 * variable into original-space coefficients before each pass,
 *
 * <pre>
 * W[j,k] = Ws[j,k] / std_j        b[k] = bs[k] - sum_j mean_j / std_j Ws[j,k]
 * </pre>
 *
 * and the original-space gradient sums back into the variable's,
 * {@code dWs[j,k] = (dW[j,k] - mean_j db[k]) / std_j}: the packed blocks stay
 * what the data was, sparse rows stay sparse, and the optimizer gets a
 * well-conditioned problem. The objective is
 *
 * <pre>
 * sum_i w_i c[y_i] loss_i / sum_i w_i c[y_i]  +  l2/2 |Ws|^2  +  l1 |Ws|_1
 * </pre>
 *
 * with the penalties on the standardised weights when {@code standardization}
 * holds, else on the original ones (per-coordinate weights 1/std^2 and 1/std),
 * never on the bias.
 */
final class ScaledProblem {
    final int features;
    final int classes;
    final boolean fitIntercept;
    final float[] classWeight;
    private final double[] invStd;
    private final double[] scaledMean;
    private final double[] l2;
    private final double[] l1;

    ScaledProblem(
            int features,
            int classes,
            boolean fitIntercept,
            double[] mean,
            double[] std,
            boolean standardization,
            double regParam,
            double elasticNetParam,
            float[] classWeight) {
        this.features = features;
        this.classes = classes;
        this.fitIntercept = fitIntercept;
        this.classWeight = classWeight;
        invStd = new double[features];
        scaledMean = new double[features];
        for (int j = 0; j < features; j++) {
            invStd[j] = std[j] > 0 ? 1 / std[j] : 0;
            // centring needs an intercept to absorb it
            scaledMean[j] = fitIntercept ? mean[j] * invStd[j] : 0;
        }
        double l2Param = (1 - elasticNetParam) * regParam, l1Param = elasticNetParam * regParam;
        l2 = new double[features * classes];
        for (int j = 0; j < features; j++) {
            double r = standardization ? l2Param : l2Param * invStd[j] * invStd[j];
            for (int k = 0; k < classes; k++) l2[j * classes + k] = r;
        }
        if (l1Param > 0) {
            l1 = new double[dimension()];
            for (int j = 0; j < features; j++) {
                double r = standardization ? l1Param : l1Param * invStd[j];
                for (int k = 0; k < classes; k++) l1[j * classes + k] = r;
            }
        } else {
            l1 = null;
        }
    }

    /** Length of the variable: the weights, then the bias when it is fitted. */
    int dimension() {
        return features * classes + (fitIntercept ? classes : 0);
    }

    /** Per-coordinate L1 weights for OWL-QN, or null without an L1 penalty. */
    double[] l1() {
        return l1;
    }

    /** The original-space weights (features x classes, row-major) of variable x. */
    double[] weights(double[] x) {
        double[] w = new double[features * classes];
        for (int j = 0; j < features; j++) {
            for (int k = 0; k < classes; k++) w[j * classes + k] = x[j * classes + k] * invStd[j];
        }
        return w;
    }

    /** The original-space bias of variable x. */
    double[] bias(double[] x) {
        double[] b = new double[classes];
        if (fitIntercept) System.arraycopy(x, features * classes, b, 0, classes);
        for (int j = 0; j < features; j++) {
            double m = scaledMean[j];
            if (m != 0) {
                for (int k = 0; k < classes; k++) b[k] -= m * x[j * classes + k];
            }
        }
        return b;
    }

    /** What the executors need for variable x. */
    Coefficients coefficients(double[] x) {
        double[] w = weights(x), b = bias(x);
        float[] wf = new float[w.length], bf = new float[b.length];
        for (int i = 0; i < w.length; i++) wf[i] = (float) w[i];
        for (int i = 0; i < b.length; i++) bf[i] = (float) b[i];
        return new Coefficients(features, classes, wf, bf, classWeight);
    }

    /**
     * The objective at x from the executors' sums, the loss divided by
     * {@code normalizer} (the weight of the rows it covers), with the L2
     * penalty; writes its gradient. The L1 penalty is OWL-QN's to add.
     */
    double objective(LossSum sums, double normalizer, double[] x, double[] gradient) {
        int d = features, c = classes, wEnd = d * c;
        double inv = 1 / normalizer;
        double[] g = sums.grad;
        if (g == null) {
            java.util.Arrays.fill(gradient, 0);
        } else {
            for (int j = 0; j < d; j++) {
                double s = invStd[j], m = scaledMean[j];
                for (int k = 0; k < c; k++) {
                    gradient[j * c + k] = (s * g[j * c + k] - m * g[wEnd + k]) * inv;
                }
            }
            if (fitIntercept) {
                for (int k = 0; k < c; k++) gradient[wEnd + k] = g[wEnd + k] * inv;
            }
        }
        double value = sums.loss * inv, penalty = 0;
        for (int i = 0; i < wEnd; i++) {
            penalty += l2[i] * x[i] * x[i];
            gradient[i] += l2[i] * x[i];
        }
        return value + 0.5 * penalty;
    }

    /**
     * MLlib's start: zero weights and, with an intercept, the bias that gives
     * each class its share of the (class-weighted) rows,
     * {@code log(1 + count_k)} centred.
     */
    double[] initial(double[] histogram) {
        double[] x = new double[dimension()];
        if (fitIntercept) {
            double mean = 0;
            for (int k = 0; k < classes; k++) {
                double h = k < histogram.length ? histogram[k] : 0;
                x[features * classes + k] = Math.log1p(h * (classWeight == null ? 1 : classWeight[k]));
                mean += x[features * classes + k];
            }
            mean /= classes;
            for (int k = 0; k < classes; k++) x[features * classes + k] -= mean;
        }
        return x;
    }
}
