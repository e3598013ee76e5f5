package org.softmax4j;

/** Instruction sets of the native CPU kernels. */
public enum Isa {
    /** Portable C for any x86-64. */
    SCALAR(0),
    /** AVX2 + FMA + F16C, chosen at load time when the CPU has them. */
    AVX2(1);

    final int code;

    Isa(int code) {
        this.code = code;
    }

    static Isa of(int code) {
        for (Isa isa : values()) if (isa.code == code) return isa;
        throw new IllegalStateException("unknown ISA code " + code);
    }
}
