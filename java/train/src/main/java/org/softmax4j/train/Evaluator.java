package org.softmax4j.train;

import java.lang.foreign.MemorySegment;
import org.softmax4j.CeOutputs;
import org.softmax4j.CrossEntropy;
import org.softmax4j.DType;
import org.softmax4j.Kernels;
import org.softmax4j.data.Dataset;

/**
 * Loss, accuracy, predictions and probabilities of a model on a data set,
 * through {@link Kernels} in large batches (2048 rows by default, fewer for many
 * classes: the GEMM is efficient and the buffers, allocated once, stay small). Not thread-safe.
 */
public final class Evaluator {
    /** Rows per batch unless told otherwise. */
    public static final int DEFAULT_BATCH = 2048;

    private static final CrossEntropy CE = CrossEntropy.defaults();

    private final Kernels kernels;
    private final int features;
    private final int classes;
    private final int batch;
    private final int[] index;
    private final int[] targets;
    private final int[] argmax;
    private final MemorySegment indexSeg, targetsSeg, xSeg, zSeg;
    private final CeOutputs ceOut;

    /** An evaluator for models of the given shape, with {@link #DEFAULT_BATCH} rows per batch. */
    public Evaluator(Kernels kernels, int features, int classes) {
        this(kernels, features, classes, DEFAULT_BATCH);
    }

    /**
     * An evaluator with buffers for {@code batch} rows, fewer where batch x classes
     * logits would exceed 64 MiB (many classes).
     */
    public Evaluator(Kernels kernels, int features, int classes, int batch) {
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1: " + batch);
        if (features < 1 || classes < 1) {
            throw new IllegalArgumentException("features " + features + " and classes " + classes + " must be >= 1");
        }
        this.kernels = kernels;
        this.features = features;
        this.classes = classes;
        batch = (int) Math.max(1, Math.min(batch, SgdStep.LOGITS_BUDGET_BYTES / Float.BYTES / classes));
        this.batch = batch;
        index = new int[batch];
        targets = new int[batch];
        argmax = new int[batch];
        indexSeg = MemorySegment.ofArray(index);
        targetsSeg = MemorySegment.ofArray(targets);
        xSeg = MemorySegment.ofArray(new float[Math.multiplyExact(batch, features)]);
        zSeg = MemorySegment.ofArray(new float[batch * classes]);
        ceOut = CeOutputs.none().withRowArgmax(MemorySegment.ofArray(argmax));
    }

    /** Mean loss and accuracy of {@code model} on {@code data}. */
    public Evaluation evaluate(SoftmaxRegression model, Dataset data) {
        return evaluate(model, data, null, null);
    }

    /**
     * Mean loss and accuracy, and optionally each example's predicted class
     * and class probabilities.
     *
     * @param predictions   null, or {@code data.size()} ints: the most probable class
     * @param probabilities null, or {@code data.size() x classes} floats: the softmax
     */
    public Evaluation evaluate(SoftmaxRegression model, Dataset data, int[] predictions, float[] probabilities) {
        check(model, data);
        int n = data.size();
        if (predictions != null && predictions.length < n) {
            throw new IllegalArgumentException("predictions holds " + predictions.length + " < " + n);
        }
        if (probabilities != null && probabilities.length < (long) n * classes) {
            throw new IllegalArgumentException(
                    "probabilities holds " + probabilities.length + " < " + n + " x " + classes);
        }
        Inputs inputs = new Inputs(kernels, data);
        MemorySegment w = MemorySegment.ofArray(model.weights());
        MemorySegment b = MemorySegment.ofArray(model.bias());
        MemorySegment probs = probabilities == null ? null : MemorySegment.ofArray(probabilities);
        double lossSum = 0;
        long correct = 0;
        for (int from = 0; from < n; from += batch) {
            int rows = Math.min(batch, n - from);
            data.copySourceRows(from, rows, index, 0);
            for (int i = 0; i < rows; i++) targets[i] = data.labelOfSourceRow(index[i]);
            logits(rows, inputs, w, b);
            float loss = kernels.crossEntropy(CE, rows, classes, DType.F32, zSeg, targetsSeg, ceOut);
            lossSum += (double) loss * rows;
            for (int i = 0; i < rows; i++) if (argmax[i] == targets[i]) correct++;
            if (predictions != null) System.arraycopy(argmax, 0, predictions, from, rows);
            if (probs != null) {
                long bytes = (long) rows * classes * Float.BYTES;
                kernels.softmax(rows, classes, zSeg, probs.asSlice((long) from * classes * Float.BYTES, bytes));
            }
        }
        return new Evaluation(n == 0 ? Double.NaN : lossSum / n, correct, n);
    }

    /** Z = inputs(rows in index) W + b, into zSeg. */
    private void logits(int rows, Inputs inputs, MemorySegment w, MemorySegment b) {
        inputs.gather(rows, indexSeg, xSeg);
        kernels.sgemm(false, false, rows, classes, features, 1f, xSeg, features, w, classes, 0f, zSeg, classes);
        kernels.addBias(rows, classes, b, zSeg);
    }

    private void check(SoftmaxRegression model, Dataset data) {
        if (model.features() != features || model.classes() != classes) {
            throw new IllegalArgumentException("model " + model.features() + " -> " + model.classes()
                    + " does not fit this evaluator (" + features + " -> " + classes + ")");
        }
        if (data.features() != features || data.classes() != classes) {
            throw new IllegalArgumentException(data + " does not fit a model " + features + " -> " + classes);
        }
    }
}
