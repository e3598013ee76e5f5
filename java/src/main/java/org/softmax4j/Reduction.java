package org.softmax4j;

/** How per-row losses are combined, as PyTorch's {@code reduction}. */
public enum Reduction {
    /** Per-row losses; the returned value is their sum. */
    NONE(0),
    /** Sum of the per-row losses. */
    SUM(1),
    /** Sum divided by the number of non-ignored rows (or by their summed class weights). */
    MEAN(2);

    final int code;

    Reduction(int code) {
        this.code = code;
    }
}
