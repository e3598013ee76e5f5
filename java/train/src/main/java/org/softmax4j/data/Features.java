package org.softmax4j.data;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.softmax4j.DType;

/**
 * A matrix of stored features: {@code rows x columns} values of
 * {@link DType#U8} (e.g. pixels) or {@link DType#F32}, row-major, in a
 * {@link MemorySegment} on the heap (a Java array) or memory-mapped from a
 * cache file ({@link FeatureCache}), so a data set larger than the heap is
 * gathered batch by batch without being loaded. The trainer never reads the
 * values itself: {@link org.softmax4j.Kernels#gatherRows} turns a batch of
 * rows into scaled floats.
 *
 * @param type    U8 or F32
 * @param rows    number of rows (examples)
 * @param columns values per row (features)
 * @param data    {@code rows x columns} values of type (not copied)
 */
public record Features(DType type, long rows, int columns, MemorySegment data) {
    public Features {
        if (type != DType.U8 && type != DType.F32) {
            throw new IllegalArgumentException("features are U8 or F32, not " + type);
        }
        if (rows < 0 || columns < 1) {
            throw new IllegalArgumentException("a " + rows + " x " + columns + " feature matrix");
        }
        long need = Math.multiplyExact(Math.multiplyExact(rows, columns), type.byteSize());
        if (data.byteSize() < need) {
            throw new IllegalArgumentException(rows + " x " + columns + " " + type + " features need " + need
                    + " bytes, the segment has " + data.byteSize());
        }
    }

    /** uint8 features in an array (not copied). */
    public static Features ofBytes(byte[] values, int columns) {
        return new Features(DType.U8, values.length / columns, columns, MemorySegment.ofArray(values));
    }

    /** float32 features in an array (not copied). */
    public static Features ofFloats(float[] values, int columns) {
        return new Features(DType.F32, values.length / columns, columns, MemorySegment.ofArray(values));
    }

    /** Row {@code row} into {@code out} (its first {@link #columns} elements), as floats. */
    public void row(long row, float[] out) {
        long at = row * columns;
        if (type == DType.U8) {
            for (int j = 0; j < columns; j++) out[j] = data.get(ValueLayout.JAVA_BYTE, at + j) & 0xff;
        } else {
            MemorySegment.copy(data, ValueLayout.JAVA_FLOAT_UNALIGNED, at * 4, out, 0, columns);
        }
    }

    /** The value at (row, column), as a float (for statistics and pictures, not the hot path). */
    public float get(long row, int column) {
        long i = row * columns + column;
        return type == DType.U8
                ? data.get(ValueLayout.JAVA_BYTE, i) & 0xff
                : data.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
    }
}
