package org.softmax4j;

import java.lang.foreign.MemorySegment;

/** Java arrays as heap segments (no copy), with null for null. */
final class Segments {
    private Segments() {}

    static MemorySegment of(float[] a) {
        return a == null ? null : MemorySegment.ofArray(a);
    }

    static MemorySegment of(short[] a) {
        return a == null ? null : MemorySegment.ofArray(a);
    }

    static MemorySegment of(int[] a) {
        return a == null ? null : MemorySegment.ofArray(a);
    }

    static MemorySegment of(byte[] a) {
        return a == null ? null : MemorySegment.ofArray(a);
    }
}
