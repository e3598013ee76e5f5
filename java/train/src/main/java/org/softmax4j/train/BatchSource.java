package org.softmax4j.train;

import java.lang.foreign.MemorySegment;
import org.softmax4j.Kernels;
import org.softmax4j.data.Dataset;

/**
 * The input of each training step: the batch's rows, gathered from the
 * stored features and scaled by {@link Kernels#gatherRows} (see
 * {@link Inputs}), and their labels, in buffers made once per run and reused.
 *
 * <p>The gather runs inline, on all the kernels' threads. A background thread
 * that gathered batch s+1 while batch s trained (with one native thread less)
 * was faster only while the 10-class cross-entropy was slow; since rows are
 * computed eight at a time, inline is faster on two cores (10 book epochs:
 * 0.16-0.22 s against 0.18-0.27 s, bench/results/NOTES.md).
 */
final class BatchSource {
    private final Dataset data;
    private final Inputs inputs;
    private final MemorySegment xSeg;
    private final int[] index;
    private final MemorySegment indexSeg;
    private final int[] targets;
    private final MemorySegment targetsSeg;

    BatchSource(Kernels kernels, Dataset data, int maxBatch) {
        this.data = data;
        this.inputs = new Inputs(kernels, data);
        xSeg = MemorySegment.ofArray(new float[Math.multiplyExact(maxBatch, data.features())]);
        index = new int[maxBatch];
        indexSeg = MemorySegment.ofArray(index);
        targets = new int[maxBatch];
        targetsSeg = MemorySegment.ofArray(targets);
    }

    /** Gathers source rows {@code order[from, from + rows)} into {@link #x} and {@link #targets}. */
    void gather(int[] order, int from, int rows) {
        System.arraycopy(order, from, index, 0, rows);
        for (int i = 0; i < rows; i++) targets[i] = data.labelOfSourceRow(index[i]);
        inputs.gather(rows, indexSeg, xSeg);
    }

    /** The gathered inputs, rows x features floats. */
    MemorySegment x() {
        return xSeg;
    }

    /** The gathered labels. */
    int[] targets() {
        return targets;
    }

    MemorySegment targetsSegment() {
        return targetsSeg;
    }
}
