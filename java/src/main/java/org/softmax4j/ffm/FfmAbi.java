package org.softmax4j.ffm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URL;
import java.nio.file.Path;
import org.bytedeco.javacpp.Loader;
import org.softmax4j.Binding;
import org.softmax4j.NativeAbi;

/**
 * The C ABI through Foreign Function and Memory downcalls. Kernel calls are
 * {@linkplain Linker.Option#critical(boolean) critical} with heap access, so
 * {@code float[]}-backed segments reach C without a copy; they are short
 * and never call back into Java.
 */
public final class FfmAbi implements NativeAbi {
    private final MethodHandle version, isa, isaSupported, setIsa, numThreads, setNumThreads;
    private final MethodHandle softmax, softmaxCe;

    private FfmAbi(SymbolLookup lib) {
        Linker linker = Linker.nativeLinker();
        Linker.Option critical = Linker.Option.critical(true);
        var h = new Object() {
            MethodHandle of(String name, FunctionDescriptor fd, Linker.Option... options) {
                MemorySegment symbol = lib.find(name).orElseThrow(
                        () -> new UnsatisfiedLinkError("softmax4j: symbol " + name + " missing"));
                return linker.downcallHandle(symbol, fd, options);
            }
        };
        version = h.of("s4j_version", FunctionDescriptor.of(ADDRESS));
        isa = h.of("s4j_isa", FunctionDescriptor.of(JAVA_INT));
        isaSupported = h.of("s4j_isa_supported", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        setIsa = h.of("s4j_set_isa", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        numThreads = h.of("s4j_num_threads", FunctionDescriptor.of(JAVA_INT));
        setNumThreads = h.of("s4j_set_num_threads", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        softmax = h.of("s4j_softmax", FunctionDescriptor.of(JAVA_INT,
                JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_INT), critical);
        softmaxCe = h.of("s4j_softmax_ce", FunctionDescriptor.of(JAVA_INT,
                JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT,
                JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                ADDRESS), critical);
    }

    /**
     * Loads libsoftmax4j from the jar through JavaCPP's loader, so that both
     * bindings share one extracted copy (and one set of global state).
     */
    public static FfmAbi load() {
        String resource = "/org/softmax4j/" + Loader.getPlatform() + "/libsoftmax4j.so";
        URL url = FfmAbi.class.getResource(resource);
        if (url == null) {
            throw new UnsupportedOperationException("softmax4j: no native library for "
                    + Loader.getPlatform() + " in the jar (it ships linux-x86_64 only)");
        }
        String path = Loader.loadLibrary(FfmAbi.class, new URL[] {url}, "softmax4j");
        if (path == null) throw new UnsatisfiedLinkError("softmax4j: could not load " + url);
        return new FfmAbi(SymbolLookup.libraryLookup(Path.of(path), Arena.global()));
    }

    private static MemorySegment ptr(MemorySegment s) {
        return s == null ? MemorySegment.NULL : s;
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    @Override
    public Binding binding() {
        return Binding.FFM;
    }

    @Override
    public String version() {
        try {
            return ((MemorySegment) version.invokeExact()).reinterpret(64).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int isa() {
        try {
            return (int) isa.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int isaSupported(int which) {
        try {
            return (int) isaSupported.invokeExact(which);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int setIsa(int which) {
        try {
            return (int) setIsa.invokeExact(which);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int numThreads() {
        try {
            return (int) numThreads.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int setNumThreads(int n) {
        try {
            return (int) setNumThreads.invokeExact(n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int softmax(long n, long c, MemorySegment x, MemorySegment y, int log) {
        try {
            return (int) softmax.invokeExact(n, c, ptr(x), ptr(y), log);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    @Override
    public int softmaxCe(long n, long c, int dtype, MemorySegment logits, MemorySegment targets,
                         MemorySegment classWeight, int ignoreIndex, int reduction,
                         float labelSmoothing, float zLoss, float gradScale, MemorySegment loss,
                         MemorySegment rowLoss, MemorySegment rowLse, MemorySegment rowArgmax,
                         MemorySegment dlogits, MemorySegment errRow) {
        try {
            return (int) softmaxCe.invokeExact(n, c, dtype, ptr(logits), ptr(targets),
                    ptr(classWeight), ignoreIndex, reduction, labelSmoothing, zLoss, gradScale,
                    ptr(loss), ptr(rowLoss), ptr(rowLse), ptr(rowArgmax), ptr(dlogits),
                    ptr(errRow));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
