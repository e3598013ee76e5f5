package org.softmax4j.internal;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import org.bytedeco.javacpp.Loader;

/**
 * OpenBLAS from the org.bytedeco:openblas preset (an optional dependency):
 * JavaCPP extracts and loads the library, and FFM finds cblas_sgemm in it.
 * Both bindings then call that one function, with arrays pinned, not copied.
 */
final class OpenBlas {
    private static MemorySegment sgemm;
    private static MethodHandle setNumThreads;
    private static int threads = -1;

    private OpenBlas() {}

    /** Address of cblas_sgemm, loading OpenBLAS on first use. */
    static synchronized MemorySegment sgemm() {
        if (sgemm == null) {
            try {
                Loader.load(org.bytedeco.openblas.global.openblas.class);
            } catch (NoClassDefFoundError | UnsatisfiedLinkError e) {
                throw new UnsupportedOperationException(
                        "Gemm.OPENBLAS needs "
                                + "org.bytedeco:openblas:0.3.31-1.5.13 and its linux-x86_64 natives on "
                                + "the class path: " + e,
                        e);
            }
            // the preset's libraries were System.load-ed by our class loader
            SymbolLookup lookup = SymbolLookup.loaderLookup();
            sgemm = lookup.find("cblas_sgemm")
                    .orElseThrow(() -> new UnsupportedOperationException("OpenBLAS loaded without cblas_sgemm"));
            setNumThreads = lookup.find("openblas_set_num_threads")
                    .map(f -> Linker.nativeLinker().downcallHandle(f, FunctionDescriptor.ofVoid(JAVA_INT)))
                    .orElse(null);
        }
        return sgemm;
    }

    /** Keeps OpenBLAS's thread count equal to softmax4j's, so both compare on equal terms. */
    static synchronized void useThreads(int n) {
        if (n == threads || setNumThreads == null) return;
        try {
            setNumThreads.invokeExact(n);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        threads = n;
    }
}
