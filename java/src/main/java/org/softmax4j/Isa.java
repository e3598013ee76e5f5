package org.softmax4j;

/** Instruction sets of the native CPU kernels. */
public enum Isa {
    /** Portable C for any x86-64. */
    SCALAR(0),
    /** AVX2 + FMA + F16C. */
    AVX2(1),
    /** The AVX2 level with AVX-512F GEMM micro-kernels; chosen at load time when available. */
    AVX512(2);

    final int code;

    Isa(int code) {
        this.code = code;
    }

    /** The best level this CPU supports. */
    public static Isa best() {
        return Softmax4j.isSupported(AVX512) ? AVX512 : Softmax4j.isSupported(AVX2) ? AVX2 : SCALAR;
    }

    static Isa of(int code) {
        for (Isa isa : values()) if (isa.code == code) return isa;
        throw new IllegalStateException("unknown ISA code " + code);
    }
}
