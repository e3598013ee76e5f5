package org.softmax4j;

/** How per-row losses are combined, as PyTorch's {@code reduction}. */
public enum Reduction {
    /** Per-row losses; the returned value is their sum. */
    NONE,
    /** Sum of the per-row losses. */
    SUM,
    /** Sum divided by the number of non-ignored rows (or by their summed class weights). */
    MEAN;
}
