package org.softmax4j.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.softmax4j.Softmax4j;

/**
 * The C baselines of bench/native (a memcpy-based copy, the naive three-pass
 * cross-entropy), bound through FFM. The library is found at
 * {@code -Dsoftmax4j.bench.lib} or bench/target/bench-native/libs4jbench.so.
 */
final class Baselines {
    private static final MethodHandle COPY, NAIVE_CE, FMA_AVX2, FMA_AVX512;

    static {
        Path lib = Path.of(System.getProperty("softmax4j.bench.lib", "bench/target/bench-native/libs4jbench.so"));
        if (!Files.exists(lib)) lib = Path.of("target/bench-native/libs4jbench.so");
        SymbolLookup lookup = SymbolLookup.libraryLookup(lib, Arena.global());
        Linker linker = Linker.nativeLinker();
        COPY = linker.downcallHandle(
                lookup.find("bench_copy").orElseThrow(), FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_LONG));
        NAIVE_CE = linker.downcallHandle(
                lookup.find("bench_naive_ce").orElseThrow(),
                FunctionDescriptor.of(JAVA_FLOAT, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        FunctionDescriptor fma = FunctionDescriptor.of(JAVA_DOUBLE, JAVA_LONG, ADDRESS);
        FMA_AVX2 = linker.downcallHandle(lookup.find("bench_fma_avx2").orElseThrow(), fma);
        FMA_AVX512 = linker.downcallHandle(lookup.find("bench_fma_avx512").orElseThrow(), fma);
    }

    /**
     * The measured FLOP ceiling of this machine at one ISA level (AVX2:
     * 256-bit FMAs, AVX512: 512-bit), all {@code threads} at once: GFLOP/s,
     * the median of {@code reps} runs of ~0.2 s each. Register-only FMA
     * chains, so it is the cores' peak, not any kernel's.
     */
    static double fmaPeakGflops(boolean avx512, int threads, int reps) throws Exception {
        MethodHandle probe = avx512 ? FMA_AVX512 : FMA_AVX2;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment sink = arena.allocate(64L * threads, 64);
            long t0 = System.nanoTime(); // calibrate on one thread: iterations for ~0.2 s
            fma(probe, 10_000_000L, sink);
            long iters = (long) (10_000_000L * 0.2e9 / Math.max(1, System.nanoTime() - t0));
            double[] gflops = new double[reps];
            for (int r = 0; r < reps; r++) {
                List<Future<Double>> parts = new ArrayList<>();
                long start = System.nanoTime();
                for (int t = 0; t < threads; t++) {
                    MemorySegment slot = sink.asSlice(64L * t, 4);
                    parts.add(pool.submit(() -> fma(probe, iters, slot)));
                }
                double flops = 0;
                for (Future<Double> f : parts) flops += f.get();
                gflops[r] = flops / (System.nanoTime() - start);
            }
            Arrays.sort(gflops);
            return gflops[reps / 2];
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The memory ceiling: GB/s of a streaming copy of {@code bytes} on all
     * softmax4j threads, counting bytes read plus bytes written (as the
     * cross-entropy's 8 N C bytes do), the median of {@code reps} copies.
     */
    static double copyGbs(long bytes, int reps) throws Exception {
        try (Arena arena = Arena.ofShared();
                Copier copier = new Copier()) {
            MemorySegment src = arena.allocate(bytes, 64), dst = arena.allocate(bytes, 64);
            src.fill((byte) 1);
            copier.copy(src, dst); // fault the destination in
            double[] gbs = new double[reps];
            for (int r = 0; r < reps; r++) {
                long t0 = System.nanoTime();
                copier.copy(src, dst);
                gbs[r] = 2.0 * bytes / (System.nanoTime() - t0);
            }
            Arrays.sort(gbs);
            return gbs[reps / 2];
        }
    }

    private static double fma(MethodHandle probe, long iters, MemorySegment sink) {
        try {
            return (double) probe.invokeExact(iters, sink);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private Baselines() {}

    /**
     * The copy ceiling: {@code dst = src} with as many threads as softmax4j's
     * kernels use, one memcpy slice each.
     */
    static final class Copier implements AutoCloseable {
        private final ExecutorService pool;
        private final int threads;

        Copier() {
            threads = Softmax4j.threads();
            pool = Executors.newFixedThreadPool(threads);
        }

        void copy(MemorySegment src, MemorySegment dst) throws Exception {
            long bytes = src.byteSize(), slice = (bytes / threads + 63) & ~63L;
            List<Future<?>> parts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long from = t * slice, len = Math.min(slice, bytes - from);
                if (len <= 0) break;
                parts.add(pool.submit(() -> copySlice(src.asSlice(from, len), dst.asSlice(from, len))));
            }
            for (Future<?> f : parts) f.get();
        }

        private static Void copySlice(MemorySegment src, MemorySegment dst) {
            try {
                COPY.invokeExact(src, dst, src.byteSize());
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            return null;
        }

        @Override
        public void close() {
            pool.shutdownNow();
        }
    }

    /** Naive three-pass softmax cross-entropy; p, logp and grad are n x c scratch/outputs. */
    static float naiveCe(
            long n, long c, MemorySegment x, MemorySegment y, MemorySegment p, MemorySegment logp, MemorySegment grad) {
        try {
            return (float) NAIVE_CE.invokeExact(n, c, x, y, p, logp, grad);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
