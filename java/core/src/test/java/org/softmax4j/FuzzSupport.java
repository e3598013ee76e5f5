package org.softmax4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * What the kernel fuzz tests share (FUZZING.md): the fuzzer picks the
 * binding, the ISA, the shapes, the options and where each buffer lives; a
 * seed it picks fills the buffers (so that inputs stay small), and it may put
 * special values (NaN, infinities, huge and tiny numbers) at positions of its
 * choice. Each call runs on {@link Kernels#reference()} and on the native
 * kernels, outputs poisoned with NaN first; the comparisons are
 * {@link TestData}'s.
 */
final class FuzzSupport {
    private FuzzSupport() {}

    static final Kernels REF = Kernels.reference();

    private static final List<Isa> ISAS =
            Arrays.stream(Isa.values()).filter(Softmax4j::isSupported).toList();

    /** Values that have broken numerical kernels before: NaN, infinities, overflow and underflow. */
    static final float[] SPECIALS = {
        Float.NaN,
        Float.POSITIVE_INFINITY,
        Float.NEGATIVE_INFINITY,
        0f,
        -0f,
        1e30f,
        -1e30f,
        Float.MAX_VALUE,
        -Float.MAX_VALUE,
        100f,
        -200f,
        88.8f,
        -103f,
        Float.MIN_VALUE,
        1e-30f
    };

    /** Native CPU kernels through the binding and on the ISA the fuzzer picks (the ISA is set). */
    static Kernels pickNative(FuzzedDataProvider d) {
        Binding binding = d.pickValue(Binding.values());
        Softmax4j.setIsa(d.pickValue(ISAS));
        return Kernels.cpu(binding);
    }

    /** The native kernels and their ISA, for messages. */
    static String describe(Kernels k) {
        return k.name() + " isa=" + Softmax4j.isa();
    }

    /** Where a native call's buffer lives; JNI takes all three (no shared arenas). */
    enum Placement {
        HEAP,
        HEAP_OFFSET,
        NATIVE
    }

    /** spread x N(0, 1) values from rnd, then up to {@code maxSpecials} special values where the fuzzer says. */
    static float[] values(FuzzedDataProvider d, SplittableRandom rnd, int n, double spread, int maxSpecials) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (spread * TestData.gaussian(rnd));
        int specials = n == 0 ? 0 : d.consumeInt(0, maxSpecials);
        for (int s = 0; s < specials; s++) x[d.consumeInt(0, n - 1)] = d.pickValue(SPECIALS);
        return x;
    }

    /** Uniform values in [-spread, spread). */
    static float[] uniform(SplittableRandom rnd, int n, double spread) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (spread * (2 * rnd.nextDouble() - 1));
        return x;
    }

    /** A copy of a heap segment (float[], short[], int[] or byte[] behind it) placed as asked. */
    static MemorySegment place(Arena arena, Placement p, MemorySegment heap) {
        if (heap == null) return null;
        Object base = heap.heapBase().orElseThrow();
        int unit = base instanceof short[] ? 2 : base instanceof byte[] ? 1 : base instanceof long[] ? 8 : 4;
        long bytes = heap.byteSize();
        MemorySegment dst = switch (p) {
            case NATIVE -> arena.allocate(bytes, unit);
            case HEAP, HEAP_OFFSET -> {
                int pad = p == Placement.HEAP ? 0 : 3;
                int elems = (int) (bytes / unit) + pad;
                MemorySegment whole = base instanceof float[]
                        ? MemorySegment.ofArray(new float[elems])
                        : base instanceof short[]
                                ? MemorySegment.ofArray(new short[elems])
                                : base instanceof int[]
                                        ? MemorySegment.ofArray(new int[elems])
                                        : base instanceof long[]
                                                ? MemorySegment.ofArray(new long[elems])
                                                : MemorySegment.ofArray(new byte[elems]);
                yield whole.asSlice((long) pad * unit, bytes);
            }
        };
        MemorySegment.copy(heap, 0, dst, 0, bytes);
        return dst;
    }

    /** The reference's and the native kernels' IllegalArgumentException messages (null: returned normally). */
    record Verdict(String ref, String nat) {
        boolean rejected() {
            return ref != null || nat != null;
        }
    }

    /** Runs both calls; an IllegalArgumentException is a verdict, anything else propagates. */
    static Verdict run(Runnable ref, Runnable nat) {
        return new Verdict(rejection(ref), rejection(nat));
    }

    private static String rejection(Runnable call) {
        try {
            call.run();
            return null;
        } catch (IllegalArgumentException e) {
            return String.valueOf(e.getMessage());
        }
    }

    /** Both rejected the call alike (same message), or both took it. */
    static void sameVerdict(Verdict v, Supplier<String> context) {
        if (v.ref == null && v.nat != null || v.ref != null && v.nat == null || v.ref != null && !v.ref.equals(v.nat)) {
            fail("accept/reject differs: reference " + v.ref + ", native " + v.nat + " (" + context.get() + ")");
        }
    }

    /** A rejected call wrote nothing: each segment still holds its bytes before the call. */
    static void untouched(MemorySegment[] after, MemorySegment[] before, String what, Supplier<String> context) {
        for (int i = 0; i < after.length; i++) {
            if (after[i] == null) continue;
            long at = after[i].mismatch(before[i]);
            if (at != -1)
                fail(what + ": buffer " + i + " written at byte " + at + " by a rejected call (" + context.get() + ")");
        }
    }

    /** Heap copies of segments, to compare with after a call. */
    static MemorySegment[] snapshot(MemorySegment... segments) {
        MemorySegment[] copies = new MemorySegment[segments.length];
        for (int i = 0; i < segments.length; i++) {
            if (segments[i] == null) continue;
            copies[i] = MemorySegment.ofArray(new byte[(int) segments[i].byteSize()]);
            MemorySegment.copy(segments[i], 0, copies[i], 0, segments[i].byteSize());
        }
        return copies;
    }

    static void assertSameInts(MemorySegment got, MemorySegment want, long n, String what, Supplier<String> context) {
        for (long i = 0; i < n; i++) {
            int g = got.getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, i);
            int w = want.getAtIndex(java.lang.foreign.ValueLayout.JAVA_INT, i);
            if (g != w) assertEquals(w, g, what + "[" + i + "] (" + context.get() + ")");
        }
    }
}
