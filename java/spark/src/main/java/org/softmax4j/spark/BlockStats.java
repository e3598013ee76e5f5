package org.softmax4j.spark;

import java.io.Serializable;
import java.util.Arrays;

/**
 * One pass over the packed blocks before training (it is also the pass that
 * packs and caches them): rows, instance-weight sums, the weighted label
 * histogram, and each feature's weighted mean and unbiased weighted variance
 * as MLlib's Summarizer defines them. Means and squared deviations are merged
 * with Chan et al.'s pairwise formula, block by block, so that a large mean
 * does not cancel the variance away.
 */
final class BlockStats implements Serializable {
    private static final long serialVersionUID = 1L;

    final int features;
    long rows;
    double weightSum;
    double weightSquareSum;
    double[] histogram = new double[0];
    /** Weighted means, and sums of weighted squared deviations from them (lazy). */
    double[] mean;

    double[] m2;

    BlockStats(int features) {
        this.features = features;
    }

    static BlockStats add(BlockStats s, Block b) {
        s.addBlock(b);
        return s;
    }

    static BlockStats merge(BlockStats a, BlockStats b) {
        a.mergeFrom(b);
        return a;
    }

    private void addBlock(Block b) {
        int n = b.rows, d = features;
        rows += n;
        double wb = 0, w2 = 0;
        for (int i = 0; i < n; i++) {
            double w = b.weight(i);
            wb += w;
            w2 += w * w;
            int y = b.labels[i];
            if (y >= histogram.length) histogram = Arrays.copyOf(histogram, y + 1);
            histogram[y] += w;
        }
        weightSquareSum += w2;
        if (wb == 0) {
            return;
        }
        double[] mb = new double[d], m2b = new double[d];
        if (b.isDense()) {
            float[] x = b.x;
            for (int i = 0; i < n; i++) {
                double w = b.weight(i);
                for (int j = 0, at = i * d; j < d; j++) mb[j] += w * x[at + j];
            }
            for (int j = 0; j < d; j++) mb[j] /= wb;
            for (int i = 0; i < n; i++) {
                double w = b.weight(i);
                for (int j = 0, at = i * d; j < d; j++) {
                    double e = x[at + j] - mb[j];
                    m2b[j] += w * e * e;
                }
            }
        } else {
            // only the stored entries are visited; the zeros' share is added per feature
            double[] wNonZero = new double[d];
            for (int i = 0; i < n; i++) {
                double w = b.weight(i);
                for (int p = (int) b.rowPtr[i]; p < b.rowPtr[i + 1]; p++) {
                    mb[b.col[p]] += w * b.val[p];
                    wNonZero[b.col[p]] += w;
                }
            }
            for (int j = 0; j < d; j++) mb[j] /= wb;
            for (int i = 0; i < n; i++) {
                double w = b.weight(i);
                for (int p = (int) b.rowPtr[i]; p < b.rowPtr[i + 1]; p++) {
                    double e = b.val[p] - mb[b.col[p]];
                    m2b[b.col[p]] += w * e * e;
                }
            }
            for (int j = 0; j < d; j++) m2b[j] += (wb - wNonZero[j]) * mb[j] * mb[j];
        }
        combine(wb, mb, m2b);
    }

    private void combine(double wb, double[] mb, double[] m2b) {
        if (weightSum == 0) {
            mean = mb;
            m2 = m2b;
        } else {
            double total = weightSum + wb;
            for (int j = 0; j < features; j++) {
                double delta = mb[j] - mean[j];
                mean[j] += delta * wb / total;
                m2[j] += m2b[j] + delta * delta * weightSum * wb / total;
            }
        }
        weightSum += wb;
    }

    private void mergeFrom(BlockStats o) {
        rows += o.rows;
        weightSquareSum += o.weightSquareSum;
        if (o.histogram.length > histogram.length) histogram = Arrays.copyOf(histogram, o.histogram.length);
        for (int k = 0; k < o.histogram.length; k++) histogram[k] += o.histogram[k];
        if (o.weightSum > 0) combine(o.weightSum, o.mean, o.m2);
    }

    /** The weighted means (zeros when no row has weight). */
    double[] means() {
        return mean == null ? new double[features] : mean.clone();
    }

    /**
     * The unbiased weighted standard deviations, as MLlib's Summarizer: 0 where
     * {@code weightSum - weightSquareSum / weightSum} is not positive.
     */
    double[] std() {
        double[] s = new double[features];
        double denominator = weightSum - weightSquareSum / weightSum;
        if (mean == null || !(denominator > 0)) return s;
        for (int j = 0; j < features; j++) s[j] = Math.sqrt(Math.max(m2[j] / denominator, 0));
        return s;
    }
}
