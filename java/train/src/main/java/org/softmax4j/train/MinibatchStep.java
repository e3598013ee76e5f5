package org.softmax4j.train;

import java.lang.foreign.MemorySegment;
import org.softmax4j.CeOutputs;
import org.softmax4j.CrossEntropy;
import org.softmax4j.DType;
import org.softmax4j.Kernels;

/**
 * One SGD step of softmax regression, entirely through {@link Kernels}, on
 * buffers allocated once for the largest batch and reused (no allocation per
 * step: the segments over the arrays are made here, once):
 *
 * <pre>
 * X  = gatherRows(features[rows of the batch], scaler)  B x F
 * Z  = X W                                               sgemm
 * Z += b                                                 addBias
 * loss, dZ (in place of Z), argmax = crossEntropy(mean)  fused softmax-CE forward + backward
 * dW = X^T dZ                                            sgemm (transA)
 * db = column sums of dZ                                 columnSums
 * W, b -= lr (SGD with momentum and weight decay)        sgdStep
 * </pre>
 *
 * The mean reduction already divides dZ by the rows of the batch. The gather
 * (first line) is done by {@link BatchSource}.
 */
final class MinibatchStep implements SgdStep {
    private static final CrossEntropy CE = CrossEntropy.defaults();

    private final Kernels kernels;
    private final int features;
    private final int classes;
    private final int[] argmax;
    final float[] z;
    final float[] gradW;
    final float[] gradB;
    private final MemorySegment zSeg, gradWSeg, gradBSeg;
    private final CeOutputs ceOut;

    private MemorySegment wSeg, bSeg, vwSeg, vbSeg;
    private int correct;

    MinibatchStep(Kernels kernels, int maxBatch, int features, int classes) {
        this.kernels = kernels;
        this.features = features;
        this.classes = classes;
        argmax = new int[maxBatch];
        z = new float[maxBatch * classes];
        gradW = new float[features * classes];
        gradB = new float[classes];
        zSeg = MemorySegment.ofArray(z);
        gradWSeg = MemorySegment.ofArray(gradW);
        gradBSeg = MemorySegment.ofArray(gradB);
        // The gradient overwrites the logits in place: one buffer less to stream through the cache.
        ceOut = CeOutputs.gradient(zSeg).withRowArgmax(MemorySegment.ofArray(argmax));
    }

    @Override
    public void bind(SoftmaxRegression model, float[] velocityW, float[] velocityB) {
        wSeg = MemorySegment.ofArray(model.weights());
        bSeg = MemorySegment.ofArray(model.bias());
        vwSeg = velocityW == null ? null : MemorySegment.ofArray(velocityW);
        vbSeg = velocityB == null ? null : MemorySegment.ofArray(velocityB);
    }

    /**
     * Forward and backward pass over the n x features batch {@code x} with
     * labels {@code targets}: fills {@link #gradW} and {@link #gradB} and
     * returns the mean loss; {@link #correct()} counts the right guesses.
     */
    @Override
    public float forwardBackward(int n, MemorySegment x, int[] targets, MemorySegment targetsSeg) {
        Kernels k = kernels;
        int f = features, c = classes;
        k.sgemm(false, false, n, c, f, 1f, x, f, wSeg, c, 0f, zSeg, c);
        k.addBias(n, c, bSeg, zSeg);
        float loss = k.crossEntropy(CE, n, c, DType.F32, zSeg, targetsSeg, ceOut);
        k.sgemm(true, false, f, c, n, 1f, x, f, zSeg, c, 0f, gradWSeg, c);
        k.columnSums(n, c, 1f, zSeg, 0f, gradBSeg);
        int ok = 0;
        for (int i = 0; i < n; i++) if (argmax[i] == targets[i]) ok++;
        correct = ok;
        return loss;
    }

    @Override
    public int correct() {
        return correct;
    }

    @Override
    public void update(float lr, float momentum, float weightDecay) {
        kernels.sgdStep(gradW.length, lr, momentum, weightDecay, wSeg, gradWSeg, vwSeg);
        kernels.sgdStep(gradB.length, lr, momentum, 0f, bSeg, gradBSeg, vbSeg);
    }
}
