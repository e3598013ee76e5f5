package org.softmax4j.data;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * The contents of an IDX file of unsigned bytes (type code 0x08): its
 * dimensions and its data, row-major, exactly as stored.
 *
 * @param path       where it was read from (for messages)
 * @param dimensions the sizes, outermost first (e.g. {@code [60000, 28, 28]})
 * @param data       the product of the dimensions in unsigned bytes (not copied)
 */
public record IdxFile(Path path, int[] dimensions, byte[] data) {

    public IdxFile {
        dimensions = dimensions.clone();
    }

    /** The outermost dimension: the number of items (images or labels). */
    public int count() {
        return dimensions[0];
    }

    /** The size of one item: the product of the inner dimensions (784 for 28x28 images). */
    public int itemSize() {
        int size = 1;
        for (int i = 1; i < dimensions.length; i++) size *= dimensions[i];
        return size;
    }

    @Override
    public int[] dimensions() {
        return dimensions.clone();
    }

    @Override
    public String toString() {
        return "IdxFile[" + path + ", " + Arrays.toString(dimensions) + "]";
    }
}
