package org.softmax4j;

/** Instruction sets of the native CPU kernels. */
public enum Isa {
    /** Portable C for any x86-64. */
    SCALAR,
    /** AVX2 + FMA + F16C. */
    AVX2,
    /** The AVX2 level with AVX-512F GEMM micro-kernels; chosen at load time when available. */
    AVX512;

    /** The best level this CPU supports. */
    public static Isa best() {
        return Softmax4j.isSupported(AVX512) ? AVX512 : Softmax4j.isSupported(AVX2) ? AVX2 : SCALAR;
    }
}
