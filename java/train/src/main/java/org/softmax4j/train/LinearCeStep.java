package org.softmax4j.train;

import java.lang.foreign.MemorySegment;
import org.softmax4j.CrossEntropy;
import org.softmax4j.Kernels;
import org.softmax4j.LinearCe;
import org.softmax4j.LinearCeOutputs;

/**
 * The SGD step of {@link MinibatchStep} for many classes: one call of the fused
 * linear cross-entropy computes the loss, dW and db from X and W tile by tile,
 * so the batch's N x C logits are never held (at 256 rows x 1,000,000 classes
 * they would take 1 GB). The kernel wants the classifier as C x D (a row per
 * class); the model stores D x C, so this step trains a transposed copy (and
 * its momentum) and writes both back on {@link #syncModel}. The kernel has no
 * argmax: the training accuracy of an epoch is not known ({@link #countsCorrect}).
 */
final class LinearCeStep implements SgdStep {
    private static final CrossEntropy CE = CrossEntropy.defaults();
    private static final LinearCe LIN = LinearCe.defaults();

    private final Kernels kernels;
    private final int features, classes;
    private final float[] wt, gradWt, gradB;
    private final MemorySegment wtSeg, gradWtSeg, gradBSeg;
    private final LinearCeOutputs out;
    private float[] velocityWt;
    private MemorySegment vwtSeg, bSeg, vbSeg;
    private SoftmaxRegression model;
    private float[] velocityW;

    LinearCeStep(Kernels kernels, int maxBatch, int features, int classes) {
        this.kernels = kernels;
        this.features = features;
        this.classes = classes;
        wt = new float[Math.multiplyExact(features, classes)];
        gradWt = new float[wt.length];
        gradB = new float[classes];
        wtSeg = MemorySegment.ofArray(wt);
        gradWtSeg = MemorySegment.ofArray(gradWt);
        gradBSeg = MemorySegment.ofArray(gradB);
        out = new LinearCeOutputs(null, gradWtSeg, gradBSeg, null, null);
    }

    @Override
    public void bind(SoftmaxRegression model, float[] velocityW, float[] velocityB) {
        this.model = model;
        this.velocityW = velocityW;
        transpose(model.weights(), features, classes, wt);
        if (velocityW != null) {
            velocityWt = new float[wt.length];
            transpose(velocityW, features, classes, velocityWt);
            vwtSeg = MemorySegment.ofArray(velocityWt);
        } else {
            velocityWt = null;
            vwtSeg = null;
        }
        bSeg = MemorySegment.ofArray(model.bias());
        vbSeg = velocityB == null ? null : MemorySegment.ofArray(velocityB);
    }

    @Override
    public float forwardBackward(int n, MemorySegment x, int[] targets, MemorySegment targetsSeg) {
        return kernels.linearCrossEntropy(CE, LIN, n, features, classes, x, wtSeg, bSeg, targetsSeg, out);
    }

    @Override
    public boolean countsCorrect() {
        return false;
    }

    @Override
    public int correct() {
        return 0;
    }

    @Override
    public void update(float lr, float momentum, float weightDecay) {
        kernels.sgdStep(wt.length, lr, momentum, weightDecay, wtSeg, gradWtSeg, vwtSeg);
        kernels.sgdStep(classes, lr, momentum, 0f, bSeg, gradBSeg, vbSeg);
    }

    @Override
    public void syncModel() {
        transpose(wt, classes, features, model.weights());
        if (velocityWt != null) transpose(velocityWt, classes, features, velocityW);
    }

    /** dst (cols x rows) = src (rows x cols) transposed, in blocks that stay in cache. */
    static void transpose(float[] src, int rows, int cols, float[] dst) {
        final int tile = 64;
        for (int r0 = 0; r0 < rows; r0 += tile) {
            int r1 = Math.min(rows, r0 + tile);
            for (int c0 = 0; c0 < cols; c0 += tile) {
                int c1 = Math.min(cols, c0 + tile);
                for (int r = r0; r < r1; r++) {
                    for (int c = c0; c < c1; c++) dst[c * rows + r] = src[r * cols + c];
                }
            }
        }
    }
}
