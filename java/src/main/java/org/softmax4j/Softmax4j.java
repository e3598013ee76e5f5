package org.softmax4j;

import java.lang.System.Logger.Level;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import org.softmax4j.ffm.FfmAbi;
import org.softmax4j.jni.JniAbi;

/**
 * The native library's global settings: which instruction set the CPU kernels
 * use and how many threads. Chosen once at load time (the best ISA of this
 * CPU; all its cores) and overridable by {@code -Dsoftmax4j.isa=scalar|avx2|avx512},
 * {@code -Dsoftmax4j.threads=N}, the environment variables {@code S4J_ISA} and
 * {@code S4J_NUM_THREADS}, or the setters here. Natives are extracted from the
 * jar and loaded on first use; no environment setup is needed.
 */
public final class Softmax4j {
    private static final System.Logger LOG = System.getLogger("org.softmax4j");
    private static final Map<Binding, NativeAbi> LOADED = new EnumMap<>(Binding.class);

    private Softmax4j() {}

    /** The loaded binding, loading it on first use. */
    static synchronized NativeAbi abi(Binding binding) {
        NativeAbi abi = LOADED.get(binding);
        if (abi != null) return abi;
        try {
            abi = binding == Binding.FFM ? FfmAbi.load() : JniAbi.load();
        } catch (UnsatisfiedLinkError | RuntimeException | NoClassDefFoundError e) {
            throw new UnsupportedOperationException("softmax4j: cannot load the native library "
                    + "through " + binding + " on " + System.getProperty("os.name") + "/"
                    + System.getProperty("os.arch") + ": " + e, e);
        }
        if (LOADED.isEmpty()) applySettings(abi);
        LOADED.put(binding, abi);
        return abi;
    }

    private static NativeAbi anyAbi() {
        return abi(Binding.fromSystemProperty());
    }

    /** System properties, applied once when the library is first loaded. */
    private static void applySettings(NativeAbi abi) {
        String isa = System.getProperty("softmax4j.isa");
        if (isa != null) {
            setIsa(abi, switch (isa.trim().toLowerCase(Locale.ROOT)) {
                case "scalar" -> Isa.SCALAR;
                case "avx2" -> Isa.AVX2;
                case "avx512" -> Isa.AVX512;
                default -> throw new IllegalArgumentException(
                        "-Dsoftmax4j.isa=" + isa + ": expected scalar, avx2 or avx512");
            });
        } else if (abi.isaSupported(Isa.AVX2.code) == 0) {
            LOG.log(Level.INFO, "softmax4j: this CPU lacks AVX2/FMA/F16C; using the scalar kernels");
        }
        String threads = System.getProperty("softmax4j.threads");
        if (threads != null) {
            try {
                setThreads(abi, Integer.parseInt(threads.trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("-Dsoftmax4j.threads=" + threads
                        + ": not a number", e);
            }
        }
    }

    /** Version of the native library. */
    public static String version() {
        return anyAbi().version();
    }

    /** The instruction set the CPU kernels use now. */
    public static Isa isa() {
        return Isa.of(anyAbi().isa());
    }

    /** Whether this CPU can run {@code isa}. */
    public static boolean isSupported(Isa isa) {
        return anyAbi().isaSupported(isa.code) != 0;
    }

    /**
     * Switches every CPU kernel to {@code isa} (e.g. {@link Isa#SCALAR} to test
     * the portable path). Not meant to race with running kernels.
     *
     * @throws UnsupportedOperationException if this CPU cannot run it
     */
    public static void setIsa(Isa isa) {
        setIsa(anyAbi(), isa);
    }

    private static void setIsa(NativeAbi abi, Isa isa) {
        if (abi.setIsa(isa.code) != NativeAbi.OK) {
            throw new UnsupportedOperationException("softmax4j: this CPU cannot run " + isa);
        }
    }

    /** Threads a CPU kernel may use. */
    public static int threads() {
        return anyAbi().numThreads();
    }

    /** Sets the threads a CPU kernel may use, 1 to 1024. */
    public static void setThreads(int n) {
        setThreads(anyAbi(), n);
    }

    private static void setThreads(NativeAbi abi, int n) {
        if (abi.setNumThreads(n) != NativeAbi.OK) {
            throw new IllegalArgumentException("threads must be in [1, 1024]: " + n);
        }
    }
}
