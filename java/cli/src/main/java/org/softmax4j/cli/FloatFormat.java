package org.softmax4j.cli;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;

/**
 * A binary floating-point format (IEEE 754 style: sign, {@code e} exponent
 * bits with bias {@code 2^(e-1) - 1}, {@code m} stored mantissa bits,
 * subnormals) and the range of arguments for which {@code exp} neither
 * overflows nor underflows in it, derived from the definition with
 * round-to-nearest-even, in 50-digit decimal arithmetic:
 *
 * <ul>
 * <li>overflow: a result rounds to infinity from
 *     {@code (2 - 2^-(m+1)) 2^emax} up (the largest finite value plus half an
 *     ulp; the tie goes to infinity, the even neighbour), so exp(x) is finite
 *     for {@code x < ln((2 - 2^-(m+1)) 2^emax) = (emax+1) ln 2 + ln(1 - 2^-(m+2))};
 * <li>to the smallest normal: results from {@code (1 - 2^-(m+1)) 2^emin} (half
 *     an ulp below {@code 2^emin}) round up to it, so exp(x) is normal for
 *     {@code x >= emin ln 2 + ln(1 - 2^-(m+1))};
 * <li>to zero: results up to half the smallest subnormal, {@code 2^(emin-m-1)},
 *     round to zero (the tie goes to zero, the even neighbour), so exp(x) is
 *     non-zero for {@code x > (emin - m - 1) ln 2}.
 * </ul>
 *
 * The usual answer, {@code ln(MAX)} for overflow and {@code -ln(MAX)} for
 * underflow, ignores the rounding (a little too small) and confuses the
 * two ends of the range (underflow happens near ln of the smallest normal or
 * subnormal, far from {@code -ln(MAX)}).
 *
 * @param name         e.g. "fp32"
 * @param exponentBits e
 * @param mantissaBits m, without the implicit leading bit
 * @param note         how the format is used
 */
record FloatFormat(String name, int exponentBits, int mantissaBits, String note) {
    static final MathContext MC = new MathContext(50, RoundingMode.HALF_EVEN);
    static final BigDecimal LN2 = ln2();

    /** The formats of deep learning, widest first. */
    static List<FloatFormat> all() {
        return List.of(
                new FloatFormat("fp64", 11, 52, "IEEE binary64 (double)"),
                new FloatFormat("fp32", 8, 23, "IEEE binary32 (float)"),
                new FloatFormat("tf32", 8, 10, "NVIDIA TensorFloat-32: fp32's range, fp16's precision"),
                new FloatFormat("bf16", 8, 7, "bfloat16: fp32's range, 8 bits of precision"),
                new FloatFormat("fp16", 5, 10, "IEEE binary16 (half)"));
    }

    int emax() {
        return (1 << (exponentBits - 1)) - 1;
    }

    int emin() {
        return 1 - emax();
    }

    /** (2 - 2^-m) 2^emax. */
    BigDecimal largestFinite() {
        return BigDecimal.ONE.subtract(pow2(-(mantissaBits + 1))).multiply(pow2(emax() + 1));
    }

    /** (2 - 2^-(m+1)) 2^emax: the smallest value that rounds to infinity. */
    BigDecimal overflowThreshold() {
        return BigDecimal.ONE.subtract(pow2(-(mantissaBits + 2))).multiply(pow2(emax() + 1));
    }

    /** 2^emin. */
    BigDecimal smallestNormal() {
        return pow2(emin());
    }

    /** 2^(emin - m). */
    BigDecimal smallestSubnormal() {
        return pow2(emin() - mantissaBits);
    }

    /** exp(x) is finite exactly for x below this. */
    BigDecimal lnOverflow() {
        return LN2.multiply(BigDecimal.valueOf(emax() + 1), MC).add(ln1m(pow2(-(mantissaBits + 2))), MC);
    }

    /** ln of the largest finite value: the common (slightly wrong) overflow bound. */
    BigDecimal lnLargest() {
        return LN2.multiply(BigDecimal.valueOf(emax() + 1), MC).add(ln1m(pow2(-(mantissaBits + 1))), MC);
    }

    /** exp(x) rounds to a normal number (at least 2^emin) exactly for x at or above this. */
    BigDecimal lnNormal() {
        return LN2.multiply(BigDecimal.valueOf(emin()), MC).add(ln1m(pow2(-(mantissaBits + 1))), MC);
    }

    /** exp(x) rounds to a non-zero number exactly for x above this. */
    BigDecimal lnZero() {
        return LN2.multiply(BigDecimal.valueOf(emin() - mantissaBits - 1), MC);
    }

    /** The largest value of this format below {@code v} (v > 0, in the normal range). */
    BigDecimal largestBelow(BigDecimal v) {
        BigDecimal q = quantum(v);
        BigDecimal g = v.divide(q, 0, RoundingMode.FLOOR).multiply(q);
        return g.compareTo(v) == 0 ? g.subtract(q) : g;
    }

    /** The smallest value of this format above {@code v} (v < 0, in the normal range). */
    BigDecimal smallestAbove(BigDecimal v) {
        return largestBelow(v.negate()).negate();
    }

    /** The spacing of this format's values around |v|: 2^(floor(log2 |v|) - m). */
    private BigDecimal quantum(BigDecimal v) {
        int e = Math.getExponent(v.abs().doubleValue());
        return pow2(e - mantissaBits);
    }

    /** 2^k exactly. */
    static BigDecimal pow2(int k) {
        return k >= 0
                ? new BigDecimal(java.math.BigInteger.ONE.shiftLeft(k))
                : BigDecimal.ONE.divide(new BigDecimal(java.math.BigInteger.ONE.shiftLeft(-k)));
    }

    /** ln(1 - eps) = -sum eps^k / k, for 0 <= eps <= 1/4. */
    static BigDecimal ln1m(BigDecimal eps) {
        BigDecimal sum = BigDecimal.ZERO, term = eps;
        BigDecimal tiny = BigDecimal.ONE.movePointLeft(MC.getPrecision() + 5);
        for (int k = 1; term.abs().compareTo(tiny) > 0 || k == 1; k++) {
            sum = sum.subtract(term.divide(BigDecimal.valueOf(k), MC), MC);
            term = term.multiply(eps, MC);
        }
        return sum;
    }

    /** ln 2 = sum 1 / (k 2^k). */
    private static BigDecimal ln2() {
        MathContext mc = new MathContext(60);
        BigDecimal sum = BigDecimal.ZERO, half = new BigDecimal("0.5"), p = half;
        for (int k = 1; k < 220; k++) {
            sum = sum.add(p.divide(BigDecimal.valueOf(k), mc), mc);
            p = p.multiply(half, mc);
        }
        return sum.round(MC);
    }
}
