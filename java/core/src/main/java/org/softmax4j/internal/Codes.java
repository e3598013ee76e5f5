package org.softmax4j.internal;

import org.softmax4j.DType;
import org.softmax4j.Isa;
import org.softmax4j.Reduction;

/** The public enums as the C ABI's codes (S4J_F32..., S4J_REDUCE_..., S4J_ISA_...). */
public final class Codes {
    private Codes() {}

    public static int of(DType d) {
        return switch (d) {
            case F32 -> 0;
            case BF16 -> 1;
            case F16 -> 2;
            case U8 -> 3;
        };
    }

    public static int of(Reduction r) {
        return switch (r) {
            case NONE -> 0;
            case SUM -> 1;
            case MEAN -> 2;
        };
    }

    public static int of(Isa isa) {
        return switch (isa) {
            case SCALAR -> 0;
            case AVX2 -> 1;
            case AVX512 -> 2;
        };
    }

    public static Isa isa(int code) {
        for (Isa isa : Isa.values()) if (of(isa) == code) return isa;
        throw new IllegalStateException("unknown ISA code " + code);
    }
}
