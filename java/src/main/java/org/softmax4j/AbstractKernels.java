package org.softmax4j;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

import java.lang.foreign.MemorySegment;

/**
 * Argument validation shared by every {@link Kernels} implementation, so that
 * all of them reject the same inputs with the same messages; subclasses
 * implement the {@code *Impl} methods on arguments already checked.
 */
public abstract class AbstractKernels implements Kernels {

    protected AbstractKernels() {}

    protected abstract void softmaxImpl(int n, int c, MemorySegment x, MemorySegment y,
                                        boolean log);

    protected abstract float crossEntropyImpl(CrossEntropy ce, int n, int c, DType dtype,
                                              MemorySegment logits, MemorySegment targets,
                                              CeOutputs out);

    @Override
    public final void softmax(int n, int c, MemorySegment x, MemorySegment y) {
        checkSoftmax(n, c, x, y);
        if (n > 0) softmaxImpl(n, c, x, y, false);
    }

    @Override
    public final void logSoftmax(int n, int c, MemorySegment x, MemorySegment y) {
        checkSoftmax(n, c, x, y);
        if (n > 0) softmaxImpl(n, c, x, y, true);
    }

    @Override
    public final float crossEntropy(CrossEntropy ce, int n, int c, DType dtype,
                                    MemorySegment logits, MemorySegment targets, CeOutputs out) {
        if (ce == null) throw new IllegalArgumentException("cross-entropy options are null");
        if (dtype == null) throw new IllegalArgumentException("dtype is null");
        if (out == null) throw new IllegalArgumentException("outputs are null (use CeOutputs.none())");
        checkShape(n, c);
        long elems = (long) n * c;
        input("logits", logits, elems, dtype.bytes);
        input("targets", targets, n, 4);
        if (ce.classWeight() != null && ce.classWeight().length != c) {
            throw new IllegalArgumentException("classWeight has " + ce.classWeight().length
                    + " entries for " + c + " classes");
        }
        output("dlogits", out.dlogits(), elems, dtype.bytes, false);
        output("rowLoss", out.rowLoss(), n, 4, ce.reduction() == Reduction.NONE);
        output("rowLse", out.rowLse(), n, 4, false);
        output("rowArgmax", out.rowArgmax(), n, 4, false);
        sameOrDisjoint("logits", logits, "dlogits", out.dlogits());
        for (var o : new MemorySegment[] {out.rowLoss(), out.rowLse(), out.rowArgmax()}) {
            disjoint(o, logits);
            disjoint(o, out.dlogits());
            disjoint(o, targets);
        }
        checkTargets(targets, n, c, ce.ignoreIndex());
        if (n == 0) return ce.reduction() == Reduction.MEAN ? Float.NaN : 0f;
        return crossEntropyImpl(ce, n, c, dtype, logits, targets, out);
    }

    // ---- checks -----------------------------------------------------------

    private static void checkSoftmax(int n, int c, MemorySegment x, MemorySegment y) {
        checkShape(n, c);
        input("x", x, (long) n * c, 4);
        output("y", y, (long) n * c, 4, true);
        sameOrDisjoint("x", x, "y", y);
    }

    private static void checkShape(int n, int c) {
        if (n < 0) throw new IllegalArgumentException("rows n = " + n + " is negative");
        if (c < 1) throw new IllegalArgumentException("classes c = " + c + " must be >= 1");
    }

    /** A required input of {@code elems} elements of {@code bytes} each. */
    protected static void input(String what, MemorySegment s, long elems, int bytes) {
        if (s == null) throw new IllegalArgumentException(what + " is null");
        checkSize(what, s, elems, bytes);
    }

    /** An output; null is allowed unless {@code required}. */
    protected static void output(String what, MemorySegment s, long elems, int bytes,
                                 boolean required) {
        if (s == null) {
            if (required) throw new IllegalArgumentException(what + " is null but required");
            return;
        }
        if (s.isReadOnly()) throw new IllegalArgumentException(what + " is read-only");
        checkSize(what, s, elems, bytes);
    }

    private static void checkSize(String what, MemorySegment s, long elems, int bytes) {
        long need = Math.multiplyExact(elems, (long) bytes);
        if (s.byteSize() < need) {
            throw new IllegalArgumentException(what + " holds " + s.byteSize() / bytes
                    + " elements, needs " + elems);
        }
        if (s.address() % bytes != 0) {
            throw new IllegalArgumentException(what + " is not aligned to " + bytes + " bytes");
        }
    }

    /** a and b must be the very same memory or not overlap at all. */
    private static void sameOrDisjoint(String an, MemorySegment a, String bn, MemorySegment b) {
        if (a == null || b == null || a.asOverlappingSlice(b).isEmpty()) return;
        boolean same = a.address() == b.address() && a.isNative() == b.isNative()
                && a.heapBase().equals(b.heapBase());
        if (!same) throw new IllegalArgumentException(an + " and " + bn + " partly overlap");
    }

    private static void disjoint(MemorySegment a, MemorySegment b) {
        if (a != null && b != null && a.asOverlappingSlice(b).isPresent()) {
            throw new IllegalArgumentException("an output overlaps another buffer");
        }
    }

    private static void checkTargets(MemorySegment targets, int n, int c, int ignoreIndex) {
        for (long i = 0; i < n; i++) {
            int y = targets.getAtIndex(JAVA_INT_UNALIGNED, i);
            if (y != ignoreIndex && (y < 0 || y >= c)) {
                throw new IllegalArgumentException("targets[" + i + "] = " + y + " is outside [0, "
                        + c + ") and is not ignoreIndex (" + ignoreIndex + ")");
            }
        }
    }
}
