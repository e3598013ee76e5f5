package org.softmax4j.internal.ffm;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import org.bytedeco.javacpp.Loader;

/** What the FFM bindings share: loading a library from the jar, and making downcall handles. */
final class Downcalls {
    private Downcalls() {}

    /**
     * Loads lib{@code name}.so from the jar through JavaCPP's loader, so that
     * the FFM and JNI bindings share one extracted copy (and one set of
     * global state); or, when the system property {@code override} names a
     * file, that library instead (FFM only: a build of one's own, the
     * sanitized or emulated builds the tests use).
     *
     * @throws UnsupportedOperationException when the jar has no such library for this platform
     */
    static SymbolLookup load(String name, String override) {
        String own = System.getProperty(override);
        if (own != null) {
            if (!Files.isReadable(Path.of(own))) {
                throw new UnsatisfiedLinkError("softmax4j: -D" + override + "=" + own + ": no such file");
            }
            return SymbolLookup.libraryLookup(Path.of(own), Arena.global());
        }
        String resource = "/org/softmax4j/" + Loader.getPlatform() + "/lib" + name + ".so";
        URL url = Downcalls.class.getResource(resource);
        if (url == null) {
            throw new UnsupportedOperationException("softmax4j: no lib" + name + ".so for " + Loader.getPlatform()
                    + " in the jar (it ships linux-x86_64 only)");
        }
        String path = Loader.loadLibrary(Downcalls.class, new URL[] {url}, name);
        if (path == null) throw new UnsatisfiedLinkError("softmax4j: could not load " + url);
        return SymbolLookup.libraryLookup(Path.of(path), Arena.global());
    }

    static MethodHandle handle(SymbolLookup lib, String name, FunctionDescriptor fd, Linker.Option... options) {
        MemorySegment symbol =
                lib.find(name).orElseThrow(() -> new UnsatisfiedLinkError("softmax4j: symbol " + name + " missing"));
        return Linker.nativeLinker().downcallHandle(symbol, fd, options);
    }

    /** What a failed invokeExact threw, as an unchecked exception. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }
}
