package org.softmax4j.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.net.URL;
import java.nio.file.Path;
import org.bytedeco.javacpp.Loader;

/**
 * The CUDA library of softmax4j (libsoftmax4j_cuda.so, CUDA runtime linked in
 * statically), loaded from the jar only when CUDA is asked for. Without an
 * NVIDIA driver or GPU it still loads, and {@link #deviceCount()} says what
 * is missing.
 */
public final class CudaRuntime {
    private static CudaRuntime loaded;
    private final MethodHandle deviceCount, lastError;

    private CudaRuntime(SymbolLookup lib) {
        Linker linker = Linker.nativeLinker();
        deviceCount = linker.downcallHandle(lib.find("s4j_cuda_device_count").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS));
        lastError = linker.downcallHandle(lib.find("s4j_cuda_last_error").orElseThrow(),
                FunctionDescriptor.of(ADDRESS));
    }

    /** The library, loaded on first use. */
    public static synchronized CudaRuntime get() {
        if (loaded == null) {
            String resource = "/org/softmax4j/" + Loader.getPlatform() + "/libsoftmax4j_cuda.so";
            URL url = CudaRuntime.class.getResource(resource);
            if (url == null) {
                throw new UnsupportedOperationException("softmax4j: this build has no CUDA library "
                        + "(it was built without nvcc, or not for " + Loader.getPlatform() + ")");
            }
            String path = Loader.loadLibrary(CudaRuntime.class, new URL[] {url}, "softmax4j_cuda");
            if (path == null) throw new UnsatisfiedLinkError("softmax4j: could not load " + url);
            loaded = new CudaRuntime(SymbolLookup.libraryLookup(Path.of(path), Arena.global()));
        }
        return loaded;
    }

    /**
     * Number of usable CUDA devices.
     *
     * @throws UnsupportedOperationException when there is no NVIDIA driver or
     *     device, with CUDA's own explanation
     */
    public int deviceCount() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(JAVA_INT);
            int status = (int) deviceCount.invokeExact(count);
            if (status != 0) {
                String why = ((MemorySegment) lastError.invokeExact()).reinterpret(512).getString(0);
                throw new UnsupportedOperationException("softmax4j: no usable NVIDIA GPU: " + why);
            }
            return count.get(JAVA_INT, 0);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
