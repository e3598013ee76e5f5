package org.softmax4j.data;

/**
 * What a reader does with a missing feature value: an empty cell, NA, NaN
 * or ?. Infinite values are always an error.
 */
public enum Missing {
    /** Stop with an error naming the file, line and column (the default). */
    ERROR,
    /** Read it as 0. */
    ZERO,
    /** Replace it by its column's mean over the file's values (documented, not the split's). */
    MEAN
}
