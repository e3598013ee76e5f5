package org.softmax4j.cli;

import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code softmax4j formats}. */
@Command(header = "Where exp overflows and underflows in fp64/fp32/tf32/bf16/fp16; int8.",
        name = "formats", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
        description = {"For fp64, fp32, tf32, bf16 and fp16: the largest argument of exp that does "
                + "not overflow and the smallest that does not underflow (to the smallest normal, "
                + "and to zero), computed from each format's definition with round-to-nearest-even "
                + "(not the common ln(MAX) / -ln(MAX)); and what int8 can represent.", ""})
final class FormatsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.println("Range of exp(x) per format, with round-to-nearest-even (x in the format itself in brackets)");
        out.println();
        for (FloatFormat f : FloatFormat.all()) {
            out.printf(Locale.ROOT, "%s: 1 + %d + %d bits, emax %d, emin %d -- %s%n", f.name(), f.exponentBits(),
                    f.mantissaBits(), f.emax(), f.emin(), f.note());
            out.printf(Locale.ROOT, "  largest finite  %s; rounds to infinity from %s = (2 - 2^-%d) 2^%d%n",
                    sci(f.largestFinite()), sci(f.overflowThreshold()), f.mantissaBits() + 1, f.emax());
            out.printf(Locale.ROOT, "  smallest normal %s = 2^%d, smallest subnormal %s = 2^%d%n",
                    sci(f.smallestNormal()), f.emin(), sci(f.smallestSubnormal()), f.emin() - f.mantissaBits());
            out.printf(Locale.ROOT, "  exp(x) finite   for x <  %s  [largest %s: %s]%n", dec(f.lnOverflow()),
                    f.name(), inFormat(f, f.largestBelow(f.lnOverflow())));
            out.printf(Locale.ROOT, "  exp(x) normal   for x >= %s  [smallest %s: %s]%n", dec(f.lnNormal()),
                    f.name(), inFormat(f, f.smallestAbove(f.lnNormal())));
            out.printf(Locale.ROOT, "  exp(x) nonzero  for x >  %s  [smallest %s: %s]%n", dec(f.lnZero()),
                    f.name(), inFormat(f, f.smallestAbove(f.lnZero())));
            out.printf(Locale.ROOT, "  common answer: ln(MAX) = %s, -ln(MAX) = %s%n", dec(f.lnLargest()),
                    dec(f.lnLargest().negate()));
            out.println();
        }
        out.println("""
                The common answer is off at both ends: overflow starts half an ulp above MAX, so
                ln(MAX) is slightly too small (visible where the format's own grid is fine enough),
                and underflow has nothing to do with -ln(MAX): exp(x) leaves the normal range near
                emin ln 2 and reaches zero near (emin - m - 1) ln 2, both far from -ln(MAX).
                (Hardware that flushes subnormals to zero, common for bf16/tf32 and in fast-math
                modes, gets zero already below the 'normal' bound.)

                int8: two's complement integers -128 .. 127 (256 values, step 1): no fractions, no
                infinities or NaN, and overflow wraps (or saturates) instead of going to infinity.
                With a scale s it stands for s*q; symmetric quantization uses q in -127 .. 127, so
                the ratio of the largest to the smallest non-zero magnitude is 127 (42 dB), against
                2^40 for fp16 (2^30 counting normals only) and 2^277 for fp32. exp with an int8 result,
                rounded to nearest and saturating at 127, is non-zero for x > -ln 2 = -0.6931
                and unsaturated for x < ln 127.5 = 4.8481: among int8 arguments only 0 .. 4 give a
                result that is neither 0 nor saturated. Per-class (per-channel) scales, as in
                'softmax4j quantize', give each class its own s and so widen the range that 8
                bits cover in total without more bits.""");
        out.flush();
        return 0;
    }

    /**
     * A value of the format as its exact decimal expansion (every value of these
     * formats is a double, and a double's expansion is finite); exact rather than
     * shortest, so that it visibly lies on the right side of the bound.
     */
    static String inFormat(FloatFormat f, BigDecimal v) {
        return new BigDecimal(v.doubleValue()).stripTrailingZeros().toPlainString();
    }

    private static String dec(BigDecimal v) {
        return v.round(new MathContext(17)).toPlainString();
    }

    private static String sci(BigDecimal v) {
        return v.round(new MathContext(17)).stripTrailingZeros().toString().replace("E+", "e").replace("E", "e");
    }
}
