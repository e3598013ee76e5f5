package org.softmax4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * No binding can be made to touch freed memory from Java (see {@link Binding}):
 * FFM holds each argument's arena for the call; JNI refuses what it cannot
 * hold. The race that once crashed the JVM through JNI (an arena closed by
 * another thread during an SGEMM) runs in a JVM of its own, so that a
 * regression fails this test instead of killing the test run.
 */
class BindingSafetyTest {
    private static final int N = 768;

    /** Forked: SGEMMs on shared-arena segments while another thread closes the arena. */
    public static void main(String[] args) throws Exception {
        Kernels k = Kernels.cpu(Binding.valueOf(args[0]));
        for (int r = 0; r < 6; r++) {
            final int round = r;
            Arena arena = Arena.ofShared();
            MemorySegment a = arena.allocate(4L * N * N, 64), b = arena.allocate(4L * N * N, 64);
            MemorySegment c = arena.allocate(4L * N * N, 64);
            a.fill((byte) 0x3c);
            b.fill((byte) 0x3c);
            AtomicReference<String> closer = new AtomicReference<>("closed");
            Thread t = new Thread(() -> {
                try {
                    Thread.sleep(round); // 0-5 ms: before and during the call
                    arena.close();
                } catch (IllegalStateException e) { // FFM holds the arena: "Session is acquired"
                    closer.set("close refused");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            t.start();
            String call;
            try {
                k.sgemm(false, false, N, N, N, 1f, a, N, b, N, 0f, c, N);
                call = "ran";
            } catch (IllegalArgumentException | IllegalStateException e) {
                call = e.getClass().getSimpleName() + ": " + e.getMessage();
            }
            t.join();
            if (arena.scope().isAlive()) arena.close();
            System.out.println("round " + round + ": call " + call + "; " + closer.get());
        }
        System.out.println("survived");
    }

    @ParameterizedTest
    @EnumSource(Binding.class)
    void closingAnArenaDuringACallCannotCrash(Binding binding) throws Exception {
        Forked.Result r = Forked.run(BindingSafetyTest.class, Map.of(), List.of(), binding.name());
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("survived"), r.output());
        if (binding == Binding.JNI) {
            assertTrue(
                    r.output()
                            .lines()
                            .filter(l -> l.startsWith("round"))
                            .allMatch(l -> l.contains("shared arena")
                                    || l.contains("already closed")
                                    || l.contains("is a closed segment")),
                    r.output());
        }
    }

    @Test
    void jniRefusesSharedArenasAndFfmTakesThem() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment x = arena.allocate(4L * 6, 4), y = arena.allocate(4L * 6, 4);
            var e = assertThrows(
                    IllegalArgumentException.class,
                    () -> Kernels.cpu(Binding.JNI).softmax(2, 3, x, y));
            assertTrue(e.getMessage().contains("x: a segment of a shared arena"), e.getMessage());
            Kernels.cpu(Binding.FFM).softmax(2, 3, x, y);
            assertEquals(1f / 3, y.getAtIndex(ValueLayout.JAVA_FLOAT, 0), 1e-6f);
        }
    }

    @ParameterizedTest
    @EnumSource(Binding.class)
    void confinedSegmentsOnlyFromTheirOwnerThread(Binding binding) throws Exception {
        Kernels k = Kernels.cpu(binding);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(4L * 6, 4), y = arena.allocate(4L * 6, 4);
            k.softmax(2, 3, x, y); // the owner thread
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    k.softmax(2, 3, x, y);
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            t.start();
            t.join();
            assertTrue(thrown.get() instanceof WrongThreadException, String.valueOf(thrown.get()));
        }
    }

    @ParameterizedTest
    @EnumSource(Binding.class)
    void automaticAndGlobalSegmentsPass(Binding binding) {
        Kernels k = Kernels.cpu(binding);
        for (Arena arena : new Arena[] {Arena.ofAuto(), Arena.global()}) {
            MemorySegment x = arena.allocate(4L * 6, 4), y = arena.allocate(4L * 6, 4);
            k.softmax(2, 3, x, y);
            assertEquals(1f / 3, y.getAtIndex(ValueLayout.JAVA_FLOAT, 5), 1e-6f);
        }
    }
}
