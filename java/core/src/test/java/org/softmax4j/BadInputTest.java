package org.softmax4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input gives an IllegalArgumentException that says what is wrong, the
 * same for every implementation, and never reaches native code.
 */
class BadInputTest {
    static List<Kernels> kernels() {
        List<Kernels> list = new ArrayList<>();
        list.add(Kernels.reference());
        for (Binding b : Binding.values()) list.add(Kernels.cpu(b));
        for (Binding b : Binding.values()) if (Impl.gpuPresent(b)) list.add(Kernels.cuda(b));
        return list;
    }

    private static final CrossEntropy CE = CrossEntropy.defaults();

    private static void rejects(String fragment, Runnable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call::run);
        assertTrue(
                e.getMessage().contains(fragment),
                "message '" + e.getMessage() + "' should mention '" + fragment + "'");
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void targetOutOfRangeNamesRowAndValue(Kernels k) {
        float[] x = new float[4 * 3];
        float[] g = new float[4 * 3];
        java.util.Arrays.fill(g, 5f);
        rejects(
                "targets[2] = 3 is outside [0, 3)",
                () -> k.crossEntropy(CE, 4, 3, x, new int[] {0, 1, 3, 0}, CeOutputs.gradient(g)));
        rejects("targets[1] = -1", () -> k.crossEntropy(CE, 4, 3, x, new int[] {0, -1, 0, 0}, CeOutputs.none()));
        rejects(
                "targets[0] = -100",
                () -> k.crossEntropy(CE.withIgnoreIndex(7), 4, 3, x, new int[] {-100, 0, 0, 0}, CeOutputs.none()));
        assertEquals(5f, g[0], "nothing written on bad input");
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void shapesAndSizes(Kernels k) {
        float[] x = new float[6];
        int[] y = {0, 1};
        rejects("rows n = -1", () -> k.crossEntropy(CE, -1, 3, x, y, CeOutputs.none()));
        rejects("classes c = 0", () -> k.crossEntropy(CE, 2, 0, x, y, CeOutputs.none()));
        rejects("logits holds 6 elements, needs 8", () -> k.crossEntropy(CE, 2, 4, x, y, CeOutputs.none()));
        rejects("targets holds 2 elements, needs 3", () -> k.crossEntropy(CE, 3, 2, x, y, CeOutputs.none()));
        rejects("dlogits holds 5", () -> k.crossEntropy(CE, 2, 3, x, y, CeOutputs.gradient(new float[5])));
        rejects(
                "rowLoss is null but required",
                () -> k.crossEntropy(CE.withReduction(Reduction.NONE), 2, 3, x, y, CeOutputs.none()));
        rejects(
                "rowLse holds 1",
                () -> k.crossEntropy(CE, 2, 3, x, y, CeOutputs.none().withRowLse(new float[1])));
        rejects(
                "rowArgmax holds 1",
                () -> k.crossEntropy(CE, 2, 3, x, y, CeOutputs.none().withRowArgmax(new int[1])));
        rejects(
                "classWeight has 2 entries for 3 classes",
                () -> k.crossEntropy(CE.withClassWeight(new float[2]), 2, 3, x, y, CeOutputs.none()));
        rejects("x holds 6 elements, needs 8", () -> k.softmax(2, 4, x, new float[8]));
        rejects("y holds 7 elements, needs 8", () -> k.softmax(2, 4, new float[8], new float[7]));
        rejects("rows n = -2", () -> k.logSoftmax(-2, 4, x, x));
        rejects(
                "logits holds 3 elements, needs 6",
                () -> k.crossEntropy(CE, 2, 3, DType.BF16, new short[3], y, CeOutputs.none()));
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void nulls(Kernels k) {
        float[] x = new float[6];
        int[] y = {0, 1};
        rejects("logits is null", () -> k.crossEntropy(CE, 2, 3, (float[]) null, y, CeOutputs.none()));
        rejects("targets is null", () -> k.crossEntropy(CE, 2, 3, x, null, CeOutputs.none()));
        rejects("options are null", () -> k.crossEntropy(null, 2, 3, x, y, CeOutputs.none()));
        rejects("outputs are null", () -> k.crossEntropy(CE, 2, 3, x, y, null));
        rejects(
                "dtype is null",
                () -> k.crossEntropy(
                        CE, 2, 3, null, MemorySegment.ofArray(x), MemorySegment.ofArray(y), CeOutputs.none()));
        rejects("x is null", () -> k.softmax(2, 3, (float[]) null, x));
        rejects("y is null", () -> k.softmax(2, 3, x, (float[]) null));
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void overlapsAndReadOnly(Kernels k) {
        float[] x = new float[12];
        MemorySegment s = MemorySegment.ofArray(x);
        int[] y = {0, 1};
        rejects("partly overlap", () -> k.softmax(2, 3, s.asSlice(0, 24), s.asSlice(4, 24)));
        rejects(
                "partly overlap",
                () -> k.crossEntropy(
                        CE,
                        2,
                        3,
                        DType.F32,
                        s.asSlice(0, 24),
                        MemorySegment.ofArray(y),
                        CeOutputs.gradient(s.asSlice(8, 24))));
        rejects(
                "overlaps",
                () -> k.crossEntropy(
                        CE,
                        2,
                        3,
                        DType.F32,
                        s.asSlice(0, 24),
                        MemorySegment.ofArray(y),
                        CeOutputs.none().withRowLse(s.asSlice(4, 8))));
        rejects(
                "read-only",
                () -> k.softmax(
                        2,
                        3,
                        s.asSlice(0, 24),
                        MemorySegment.ofArray(new float[6]).asReadOnly()));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment odd = arena.allocate(64).asSlice(1, 24);
            rejects("not aligned", () -> k.softmax(2, 3, odd, MemorySegment.ofArray(new float[6])));
        }
        // exact aliasing is fine
        k.softmax(2, 3, s.asSlice(0, 24), s.asSlice(0, 24));
    }

    @Test
    void optionsAreValidatedWhenBuilt() {
        rejects("labelSmoothing must be in [0, 1)", () -> CE.withLabelSmoothing(1f));
        rejects("labelSmoothing must be in [0, 1)", () -> CE.withLabelSmoothing(Float.NaN));
        rejects("labelSmoothing must be in [0, 1)", () -> CE.withLabelSmoothing(-0.1f));
        rejects("zLoss must be finite and >= 0", () -> CE.withZLoss(-1f));
        rejects("zLoss must be finite and >= 0", () -> CE.withZLoss(Float.POSITIVE_INFINITY));
        rejects("gradScale must be finite", () -> CE.withGradScale(Float.NaN));
        rejects("reduction is null", () -> CE.withReduction(null));
    }

    /** Sizes whose byte counts overflow a long are argument errors naming the argument. */
    @ParameterizedTest
    @EnumSource(Binding.class)
    void hugeSizesAreArgumentErrors(Binding binding) {
        Kernels k = Kernels.cpu(binding);
        float[] small = new float[4];
        rejects(
                "logits: 4611686014132420609 x 4 overflows",
                () -> k.crossEntropy(CE, Integer.MAX_VALUE, Integer.MAX_VALUE, small, new int[4], CeOutputs.none()));
        rejects(
                "w: 9223372036854775807 x 4 overflows",
                () -> k.sgdStep(Long.MAX_VALUE, 0.1f, 0f, 0f, small, small.clone(), null));
        rejects(
                "lda = 0 must be at least max(1, columns of A as stored) = 1",
                () -> k.sgemm(false, false, 2, 2, 0, 1f, small, 0, small, 2, 0f, new float[4], 2));
    }

    @Test
    void settings() {
        rejects("threads = 0: must be in [1, 1024]", () -> Softmax4j.setThreads(0));
        rejects("threads = 5000: must be in [1, 1024]", () -> Softmax4j.setThreads(5000));
    }

    /** The JNI binding can't see inside read-only heap segments; it says so instead of crashing. */
    @Test
    void jniExplainsWhatItCannotPass() {
        Kernels jni = Kernels.cpu(Binding.JNI);
        MemorySegment ro = MemorySegment.ofArray(new float[6]).asReadOnly();
        rejects(
                "read-only heap segment cannot pass through the JNI binding",
                () -> jni.softmax(2, 3, ro, MemorySegment.ofArray(new float[6])));
        MemorySegment bytes = MemorySegment.ofArray(new byte[24]);
        rejects("float[]-backed heap segment", () -> jni.softmax(2, 3, bytes, MemorySegment.ofArray(new float[6])));
        // the FFM binding takes both
        Kernels ffm = Kernels.cpu(Binding.FFM);
        ffm.softmax(2, 3, ro, MemorySegment.ofArray(new float[6]));
        Consumer<MemorySegment> noop = s -> {};
        noop.accept(bytes);
    }
}
