package org.softmax4j.internal;

import java.lang.foreign.MemorySegment;

/** Java arrays as heap segments (no copy), with null for null. */
public final class Segments {
    private Segments() {}

    public static MemorySegment of(float[] a) {
        return a == null ? null : MemorySegment.ofArray(a);
    }

    public static MemorySegment of(short[] a) {
        return a == null ? null : MemorySegment.ofArray(a);
    }

    public static MemorySegment of(int[] a) {
        return a == null ? null : MemorySegment.ofArray(a);
    }

    public static MemorySegment of(long[] a) {
        return a == null ? null : MemorySegment.ofArray(a);
    }

    public static MemorySegment of(byte[] a) {
        return a == null ? null : MemorySegment.ofArray(a);
    }
}
