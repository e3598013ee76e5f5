package org.softmax4j;

/** Conversions between float and the 16-bit formats, rounding to nearest even. */
public final class HalfFloats {
    private HalfFloats() {}

    public static float bf16ToFloat(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    public static short floatToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 0x40); // quiet NaN
        u += 0x7fff + ((u >>> 16) & 1);
        return (short) (u >>> 16);
    }

    public static float f16ToFloat(short h) {
        return Float.float16ToFloat(h);
    }

    public static short floatToF16(float f) {
        return Float.floatToFloat16(f);
    }

    /** Element {@code bits} of {@code dtype} as a float. */
    public static float toFloat(DType dtype, short bits) {
        return dtype == DType.BF16 ? bf16ToFloat(bits) : f16ToFloat(bits);
    }

    /** {@code f} rounded to {@code dtype} (BF16 or F16). */
    public static short fromFloat(DType dtype, float f) {
        return dtype == DType.BF16 ? floatToBf16(f) : floatToF16(f);
    }
}
