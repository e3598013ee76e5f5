package org.softmax4j.cuda;

import java.util.EnumMap;
import java.util.Map;
import org.softmax4j.Binding;
import org.softmax4j.ffm.FfmCudaAbi;
import org.softmax4j.jni.JniCudaAbi;

/**
 * Loading of libsoftmax4j_cuda (only when CUDA is asked for) and its status
 * codes as exceptions. The library loads without a GPU or driver (the CUDA
 * runtime is linked in statically); {@link #abi} then says what is missing.
 */
public final class Cuda {
    private static final Map<Binding, CudaAbi> LOADED = new EnumMap<>(Binding.class);

    /**
     * System property naming a libsoftmax4j_cuda.so to load instead of the
     * jar's, through FFM only (the JNI glue links the jar's): a build of
     * one's own, or the CPU emulator's build that the tests use.
     */
    public static final String LIBRARY_PROPERTY = "softmax4j.cuda.library";

    private Cuda() {}

    /**
     * The CUDA functions through {@code binding}, once a device is known to be usable.
     *
     * @throws UnsupportedOperationException when the library cannot load, or
     *     there is no NVIDIA driver or GPU (with CUDA's explanation)
     */
    public static synchronized CudaAbi abi(Binding binding) {
        CudaAbi abi = LOADED.get(binding);
        if (abi != null) return abi;
        try {
            abi = binding == Binding.FFM ? FfmCudaAbi.load() : JniCudaAbi.load();
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new UnsupportedOperationException("softmax4j: cannot load the CUDA library through "
                    + binding + ": " + e, e);
        }
        int[] count = {0};
        if (abi.deviceCount(count) != CudaAbi.OK || count[0] < 1) {
            throw new UnsupportedOperationException("softmax4j: no usable NVIDIA GPU: " + abi.lastError());
        }
        LOADED.put(binding, abi);
        return abi;
    }

    /** Number of usable CUDA devices; 0 where there is no GPU, driver or CUDA library. */
    public static int deviceCount() {
        return deviceCount(Binding.fromSystemProperty());
    }

    /** The same through {@code binding}. */
    public static int deviceCount(Binding binding) {
        try {
            int[] count = {0};
            abi(binding).deviceCount(count);
            return count[0];
        } catch (UnsupportedOperationException e) {
            return 0;
        }
    }

    /** Throws for a failed status: bad arguments, or CUDA's error with its text. */
    public static void check(CudaAbi abi, int status, String what) {
        switch (status) {
            case CudaAbi.OK -> {}
            case CudaAbi.ERR_CUDA -> throw new CudaException("softmax4j: " + what + ": " + abi.lastError());
            default -> throw new IllegalArgumentException("softmax4j: " + what
                    + ": the CUDA kernel rejected its arguments (status " + status + ")");
        }
    }
}
