package org.softmax4j.internal;

import java.lang.System.Logger.Level;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.softmax4j.Binding;
import org.softmax4j.Gemm;
import org.softmax4j.Isa;
import org.softmax4j.internal.abi.CudaAbi;
import org.softmax4j.internal.abi.NativeAbi;
import org.softmax4j.internal.ffm.FfmAbi;
import org.softmax4j.internal.ffm.FfmCudaAbi;
import org.softmax4j.internal.jni.JniAbi;
import org.softmax4j.internal.jni.JniCudaAbi;

/**
 * The one place that loads the native libraries and holds what was loaded:
 * the binding chosen by {@code -Dsoftmax4j.binding} (read once), each
 * binding's ABI, the ISA and thread count (chosen once, when the CPU library
 * first loads: by the library from {@code S4J_ISA} / {@code S4J_NUM_THREADS},
 * then by {@code -Dsoftmax4j.isa} / {@code -Dsoftmax4j.threads}), and the
 * kernel instances. A setting that cannot be honoured is an
 * {@link IllegalArgumentException} naming it, never a silent fallback; what
 * was chosen, and why, is kept in {@link #describe()} (and logged once at
 * DEBUG; a CPU without AVX2 is worth an INFO line)
 * (Lucene's VectorizationProvider is the model).
 */
public final class Natives {
    public static final String BINDING_PROPERTY = "softmax4j.binding";
    public static final String ISA_PROPERTY = "softmax4j.isa";
    public static final String THREADS_PROPERTY = "softmax4j.threads";
    private static final System.Logger LOG = System.getLogger("org.softmax4j");

    private static final Map<Binding, NativeAbi> CPU_ABI = new EnumMap<>(Binding.class);
    private static final Map<Binding, CudaAbi> CUDA_ABI = new EnumMap<>(Binding.class);
    private static final Map<Binding, Map<Gemm, CpuKernels>> CPU = new EnumMap<>(Binding.class);
    private static final Map<Binding, GpuKernels[]> GPU = new EnumMap<>(Binding.class);
    private static String description;

    private Natives() {}

    private static volatile Binding binding;

    /** The binding {@code -Dsoftmax4j.binding} names (FFM when unset), read once. */
    public static Binding configuredBinding() {
        Binding b = binding;
        if (b == null) binding = b = parseBinding(System.getProperty(BINDING_PROPERTY));
        return b;
    }

    static Binding parseBinding(String value) {
        if (value == null) return Binding.FFM;
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "ffm" -> Binding.FFM;
            case "jni" -> Binding.JNI;
            default ->
                throw new IllegalArgumentException("-D" + BINDING_PROPERTY + "=" + value + ": expected ffm or jni");
        };
    }

    /** The CPU library through {@code binding}, loading it (and choosing the settings) on first use. */
    public static synchronized NativeAbi cpu(Binding binding) {
        if (binding == null) throw new IllegalArgumentException("binding is null");
        NativeAbi abi = CPU_ABI.get(binding);
        if (abi != null) return abi;
        try {
            abi = binding == Binding.FFM ? FfmAbi.load() : JniAbi.load();
        } catch (UnsatisfiedLinkError | RuntimeException | NoClassDefFoundError e) {
            throw new UnsupportedOperationException(
                    "softmax4j: cannot load the native library "
                            + "through " + binding + " on " + System.getProperty("os.name") + "/"
                            + System.getProperty("os.arch") + ": " + e,
                    e);
        }
        if (description == null) chooseSettings(abi);
        CPU_ABI.put(binding, abi);
        return abi;
    }

    /** The CPU library through the configured binding. */
    static NativeAbi cpu() {
        return cpu(configuredBinding());
    }

    /**
     * The library chose from the environment; the system properties override
     * it. Runs once, when the first binding loads (both share one library).
     */
    private static void chooseSettings(NativeAbi abi) {
        if (abi.settingsStatus() != NativeAbi.OK) {
            throw new IllegalArgumentException("softmax4j: " + abi.settings());
        }
        StringBuilder why = new StringBuilder(abi.settings());
        String isa = System.getProperty(ISA_PROPERTY);
        if (isa != null) {
            int code = abi.isaParse(isa.trim());
            if (code < 0) {
                throw new IllegalArgumentException(
                        "-D" + ISA_PROPERTY + "=" + isa + ": expected scalar, avx2 or avx512");
            }
            if (abi.setIsa(code) != NativeAbi.OK) {
                throw new IllegalArgumentException("-D" + ISA_PROPERTY + "=" + isa + ": this CPU cannot run it");
            }
            why.append("; -D").append(ISA_PROPERTY).append('=').append(isa.trim());
        }
        String threads = System.getProperty(THREADS_PROPERTY);
        if (threads != null) {
            abi.setNumThreads(parseThreads(threads, abi.maxThreads()));
            why.append("; -D").append(THREADS_PROPERTY).append('=').append(threads.trim());
        }
        if (abi.isaSupported(Codes.of(Isa.AVX2)) == 0) {
            LOG.log(Level.INFO, "softmax4j: this CPU lacks AVX2/FMA/F16C; the kernels run scalar code");
        }
        description = "softmax4j " + abi.version() + ": " + name(Codes.isa(abi.isa())) + ", " + abi.numThreads()
                + " threads (" + why + ")";
        LOG.log(Level.DEBUG, description);
    }

    private static int parseThreads(String value, int max) {
        try {
            int n = Integer.parseInt(value.trim());
            if (n >= 1 && n <= max) return n;
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(
                "-D" + THREADS_PROPERTY + "=" + value + ": expected a whole number in [1, " + max + "]");
    }

    /** What was chosen at load and why, one line (loads the library). */
    public static synchronized String describe() {
        cpu();
        return description;
    }

    private static String name(Isa isa) {
        return isa.name().toLowerCase(Locale.ROOT);
    }

    // ---- CUDA -------------------------------------------------------------

    /**
     * The CUDA library through {@code binding}, once a device is known to be usable.
     *
     * @throws UnsupportedOperationException when the library cannot load, or
     *     there is no NVIDIA driver or GPU (with CUDA's explanation)
     */
    public static synchronized CudaAbi cuda(Binding binding) {
        if (binding == null) throw new IllegalArgumentException("binding is null");
        CudaAbi abi = CUDA_ABI.get(binding);
        if (abi != null) return abi;
        try {
            abi = binding == Binding.FFM ? FfmCudaAbi.load() : JniCudaAbi.load();
        } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
            throw new UnsupportedOperationException(
                    "softmax4j: cannot load the CUDA library through " + binding + ": " + e, e);
        }
        int[] count = {0};
        if (abi.deviceCount(count) != CudaAbi.OK || count[0] < 1) {
            throw new UnsupportedOperationException("softmax4j: no usable NVIDIA GPU: " + abi.lastError());
        }
        CUDA_ABI.put(binding, abi);
        return abi;
    }

    /** Usable CUDA devices through {@code binding}; 0 where there is no GPU, driver or library. */
    public static int cudaDeviceCount(Binding binding) {
        try {
            int[] count = {0};
            cuda(binding).deviceCount(count);
            return count[0];
        } catch (UnsupportedOperationException e) {
            return 0;
        }
    }

    // ---- kernel instances (each keeps per-thread or device workspaces) ------

    public static synchronized org.softmax4j.Kernels cpuKernels(Binding binding, Gemm gemm) {
        if (gemm == null) throw new IllegalArgumentException("gemm is null");
        NativeAbi abi = cpu(binding);
        if (gemm == Gemm.OPENBLAS) OpenBlas.sgemm(); // fail here, clearly, if it is missing
        return CPU.computeIfAbsent(binding, b -> new EnumMap<>(Gemm.class))
                .computeIfAbsent(gemm, g -> new CpuKernels(abi, g));
    }

    public static synchronized org.softmax4j.cuda.CudaKernels gpuKernels(Binding binding, boolean tf32) {
        GpuKernels[] pair = GPU.get(binding);
        if (pair == null) {
            CudaAbi abi = cuda(binding);
            pair = new GpuKernels[] {new GpuKernels(abi, false, null), new GpuKernels(abi, true, null)};
            GPU.put(binding, pair);
        }
        return pair[tf32 ? 1 : 0];
    }
}
