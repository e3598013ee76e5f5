package org.softmax4j.train;

import java.lang.foreign.MemorySegment;
import org.softmax4j.Kernels;
import org.softmax4j.data.Dataset;

/**
 * A data set's rows as model inputs: the gather kernel over its stored
 * features with its scaler ({@code x' = scale (x - shift) colScale}), the
 * segments made once.
 */
final class Inputs {
    private final Kernels kernels;
    private final Dataset data;
    private final MemorySegment shift, colScale;

    Inputs(Kernels kernels, Dataset data) {
        this.kernels = kernels;
        this.data = data;
        shift = data.scaler().shiftSegment();
        colScale = data.scaler().colScaleSegment();
    }

    /** out (rows x features floats) = the inputs of source rows {@code index[0, rows)}. */
    void gather(int rows, MemorySegment index, MemorySegment out) {
        kernels.gatherRows(
                rows,
                data.features(),
                data.matrix().type(),
                data.matrix().data(),
                data.sourceRows(),
                index,
                data.scaler().scale(),
                shift,
                colScale,
                out);
    }
}
