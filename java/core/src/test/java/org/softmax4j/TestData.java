package org.softmax4j;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;

/** Random inputs, poisoned outputs and tolerant comparisons for the kernel tests. */
final class TestData {
    private TestData() {}

    /** The element types logits may have (U8 is for stored features only). */
    static final java.util.List<DType> LOGIT_TYPES = java.util.List.of(DType.F32, DType.BF16, DType.F16);

    /** A fresh seed each run unless -Dsoftmax4j.test.seed is set; printed in every failure. */
    static long seed() {
        String fixed = System.getProperty("softmax4j.test.seed");
        return fixed != null
                ? Long.parseLong(fixed)
                : System.nanoTime() ^ Thread.currentThread().threadId();
    }

    /** Logits of dtype in a heap segment (float[] or short[]), values representable in dtype. */
    static MemorySegment logits(SplittableRandom rnd, DType dtype, int n, int c, double spread) {
        int len = Math.multiplyExact(n, c);
        if (dtype == DType.F32) {
            float[] a = new float[len];
            for (int i = 0; i < len; i++) a[i] = (float) (spread * gaussian(rnd));
            return MemorySegment.ofArray(a);
        }
        short[] a = new short[len];
        for (int i = 0; i < len; i++) a[i] = HalfFloats.fromFloat(dtype, (float) (spread * gaussian(rnd)));
        return MemorySegment.ofArray(a);
    }

    static double gaussian(SplittableRandom rnd) {
        double u = rnd.nextDouble() + 1e-300, v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** An output of n elements of dtype filled with NaN (every dtype's all-ones pattern is NaN). */
    static MemorySegment poisoned(DType dtype, long n) {
        MemorySegment s = dtype == DType.F32
                ? MemorySegment.ofArray(new float[(int) n])
                : MemorySegment.ofArray(new short[(int) n]);
        s.fill((byte) 0xff);
        return s;
    }

    static MemorySegment poisonedInts(int n) {
        int[] a = new int[n];
        Arrays.fill(a, Integer.MIN_VALUE);
        return MemorySegment.ofArray(a);
    }

    static MemorySegment copy(MemorySegment s) {
        if (s == null) return null;
        Object base = s.heapBase().orElseThrow();
        MemorySegment c = base instanceof float[] f
                ? MemorySegment.ofArray(f.clone())
                : base instanceof short[] h
                        ? MemorySegment.ofArray(h.clone())
                        : MemorySegment.ofArray(((int[]) base).clone());
        return c;
    }

    static double element(MemorySegment s, DType dtype, long i) {
        return dtype == DType.F32
                ? s.getAtIndex(ValueLayout.JAVA_FLOAT, i)
                : HalfFloats.toFloat(dtype, s.getAtIndex(ValueLayout.JAVA_SHORT, i));
    }

    /** Normwise relative error bound of a dtype's outputs against the double reference. */
    static double tolerance(DType dtype) {
        return switch (dtype) {
            case F32 -> 2e-5;
            case F16 -> 2e-3;
            case BF16 -> 1e-2;
            case U8 -> throw new IllegalArgumentException("U8 is no output type");
        };
    }

    /**
     * got vs want over n elements: NaN in exactly the same places, and
     * ||got - want|| <= rtol ||want|| + atol sqrt(n) over the rest. Fails
     * with the worst element, both values and the seed.
     */
    static void assertClose(
            String what,
            MemorySegment got,
            MemorySegment want,
            DType dtype,
            long n,
            double rtol,
            double atol,
            String context) {
        double num = 0, den = 0, worst = -1;
        long worstAt = -1;
        for (long i = 0; i < n; i++) {
            double g = element(got, dtype, i), w = element(want, dtype, i);
            if (Double.isNaN(g) || Double.isNaN(w) || Double.isInfinite(w)) {
                if (Double.compare(g, w) != 0) {
                    fail(what + "[" + i + "] = " + g + ", want " + w + " (" + context + ")");
                }
                continue;
            }
            double d = Math.abs(g - w);
            num += d * d;
            den += w * w;
            if (d > worst) {
                worst = d;
                worstAt = i;
            }
        }
        if (Math.sqrt(num) > rtol * Math.sqrt(den) + atol * Math.sqrt(n)) {
            fail(what + ": relative error " + Math.sqrt(num / den) + " > " + rtol + "; worst ["
                    + worstAt + "] = " + element(got, dtype, worstAt) + ", want "
                    + element(want, dtype, worstAt) + " (" + context + ")");
        }
    }

    /** Element-wise: |got - want| <= atol + rtol |want|, NaN matching NaN. */
    static void assertEachClose(
            String what, MemorySegment got, MemorySegment want, long n, double rtol, double atol, String context) {
        for (long i = 0; i < n; i++) {
            double g = got.getAtIndex(ValueLayout.JAVA_FLOAT, i), w = want.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            boolean ok = Double.isNaN(w) || Double.isInfinite(w)
                    ? Double.compare(g, w) == 0
                    : Math.abs(g - w) <= atol + rtol * Math.abs(w);
            if (!ok) fail(what + "[" + i + "] = " + g + ", want " + w + " (" + context + ")");
        }
    }

    static void assertLossClose(float got, float want, double rtol, String context) {
        boolean ok = Float.isNaN(want) || Float.isInfinite(want)
                ? Float.compare(got, want) == 0
                : Math.abs(got - want) <= 1e-6 + rtol * Math.abs(want);
        if (!ok) fail("loss " + got + ", want " + want + " (" + context + ")");
    }
}
