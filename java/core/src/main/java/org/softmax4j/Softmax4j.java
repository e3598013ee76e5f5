package org.softmax4j;

import org.softmax4j.internal.Codes;
import org.softmax4j.internal.Natives;
import org.softmax4j.internal.abi.NativeAbi;

/**
 * The native library's settings: which instruction set the CPU kernels use
 * and how many threads. Chosen once, when the library first loads: the best
 * ISA of this CPU and one thread per CPU, unless the environment variables
 * {@code S4J_ISA} and {@code S4J_NUM_THREADS} or the system properties
 * {@code -Dsoftmax4j.isa=scalar|avx2|avx512} and {@code -Dsoftmax4j.threads=N}
 * (which win) say otherwise. A value that cannot be honoured (unknown, out
 * of range, an ISA this CPU lacks) makes the first use of the kernels throw
 * an {@link IllegalArgumentException} naming it. {@link #settings()} says
 * what was chosen and why (also logged once, at DEBUG, to the
 * {@code org.softmax4j} logger). Natives are extracted from the jar and
 * loaded on first use; no environment setup is needed.
 */
public final class Softmax4j {
    private Softmax4j() {}

    /** Version of the native library. */
    public static String version() {
        return abi().version();
    }

    /** One line: the ISA and thread count chosen when the library loaded, and why. */
    public static String settings() {
        return Natives.describe();
    }

    /** The instruction set CPU kernel calls starting now use. */
    public static Isa isa() {
        return Codes.isa(abi().isa());
    }

    /** Whether this CPU can run {@code isa}. */
    public static boolean isSupported(Isa isa) {
        return abi().isaSupported(Codes.of(isa)) != 0;
    }

    /**
     * Switches the CPU kernels to {@code isa} (e.g. {@link Isa#SCALAR} to test
     * the portable path). Each kernel call reads the choice once, when it
     * starts: calls running meanwhile finish on the ISA they started with.
     *
     * @throws UnsupportedOperationException if this CPU cannot run it
     */
    public static void setIsa(Isa isa) {
        if (abi().setIsa(Codes.of(isa)) != NativeAbi.OK) {
            throw new UnsupportedOperationException("softmax4j: this CPU cannot run " + isa);
        }
    }

    /** Threads a CPU kernel call may use. */
    public static int threads() {
        return abi().numThreads();
    }

    /**
     * Sets the threads a CPU kernel call may use, from 1 to the library's
     * maximum (1024); calls running meanwhile keep their count.
     *
     * @throws IllegalArgumentException outside that range
     */
    public static void setThreads(int n) {
        NativeAbi abi = abi();
        if (abi.setNumThreads(n) != NativeAbi.OK) {
            throw new IllegalArgumentException("threads = " + n + ": must be in [1, " + abi.maxThreads() + "]");
        }
    }

    private static NativeAbi abi() {
        return Natives.cpu(Binding.configured());
    }
}
