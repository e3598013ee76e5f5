package org.softmax4j.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
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
    private static final MethodHandle COPY, NAIVE_CE;

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
