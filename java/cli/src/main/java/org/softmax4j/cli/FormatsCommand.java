package org.softmax4j.cli;

import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code softmax4j formats}. */
@Command(
        header = "Where exp overflows and underflows in fp64/fp32/tf32/bf16/fp16; int8.",
        sortOptions = false,
        name = "formats",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        description = {
            "For fp64, fp32, tf32, bf16 and fp16: the largest argument of exp that does "
                    + "not overflow and the smallest that does not underflow (to the smallest normal, "
                    + "and to zero), computed from each format's definition with round-to-nearest-even "
                    + "(not the common ln(MAX) / -ln(MAX)); and what int8 can represent.",
            ""
        })
final class FormatsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--precise",
            description = "Exact values to 17 digits, each bound with the format's own nearest value, "
                    + "and the notes on int8 (default: one short table).")
    boolean precise;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (!precise) {
            table(out);
            out.flush();
            return 0;
        }
        out.println("Range of exp(x) per format, with round-to-nearest-even (x in the format itself in brackets)");
        out.println();
        for (FloatFormat f : FloatFormat.all()) {
            out.printf(
                    Locale.ROOT,
                    "%s: 1 + %d + %d bits, emax %d, emin %d -- %s%n",
                    f.name(),
                    f.exponentBits(),
                    f.mantissaBits(),
                    f.emax(),
                    f.emin(),
                    f.note());
            out.printf(
                    Locale.ROOT,
                    "  largest finite  %s; rounds to infinity from %s = (2 - 2^-%d) 2^%d%n",
                    sci(f.largestFinite()),
                    sci(f.overflowThreshold()),
                    f.mantissaBits() + 1,
                    f.emax());
            out.printf(
                    Locale.ROOT,
                    "  smallest normal %s = 2^%d, smallest subnormal %s = 2^%d%n",
                    sci(f.smallestNormal()),
                    f.emin(),
                    sci(f.smallestSubnormal()),
                    f.emin() - f.mantissaBits());
            out.printf(
                    Locale.ROOT,
                    "  exp(x) finite   for x <  %s  [largest %s: %s]%n",
                    dec(f.lnOverflow()),
                    f.name(),
                    inFormat(f, f.largestBelow(f.lnOverflow())));
            out.printf(
                    Locale.ROOT,
                    "  exp(x) normal   for x >= %s  [smallest %s: %s]%n",
                    dec(f.lnNormal()),
                    f.name(),
                    inFormat(f, f.smallestAbove(f.lnNormal())));
            out.printf(
                    Locale.ROOT,
                    "  exp(x) nonzero  for x >  %s  [smallest %s: %s]%n",
                    dec(f.lnZero()),
                    f.name(),
                    inFormat(f, f.smallestAbove(f.lnZero())));
            out.printf(
                    Locale.ROOT,
                    "  common answer: ln(MAX) = %s, -ln(MAX) = %s%n",
                    dec(f.lnLargest()),
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

    /** The short view: one row per format, four or seven significant digits. */
    private static void table(PrintWriter out) {
        out.println(
                "Where exp(x) overflows and underflows, per format (round-to-nearest-even; exact values: --precise)");
        out.println();
        String row = "%-6s %-8s %10s %11s  %-13s %-14s %s";
        out.println(String.format(
                Locale.ROOT, row, "format", "bits", "largest", "smallest", "exp(x) is", "exp(x) is", "exp(x) > 0"));
        out.println(
                String.format(Locale.ROOT, row, "", "s+e+m", "finite", "normal", "finite for", "normal for", "for"));
        for (FloatFormat f : FloatFormat.all()) {
            out.println(String.format(
                    Locale.ROOT,
                    row,
                    f.name(),
                    "1+" + f.exponentBits() + "+" + f.mantissaBits(),
                    sig(f.largestFinite(), 4),
                    sig(f.smallestNormal(), 4),
                    "x < " + sig(f.lnOverflow(), 7),
                    "x >= " + sig(f.lnNormal(), 7),
                    "x > " + sig(f.lnZero(), 7)));
        }
        out.println();
        out.println("""
                ln(MAX) is not quite where exp overflows (that starts half an ulp above MAX), and
                -ln(MAX) is not where it underflows: exp(x) leaves the normal range near emin ln 2
                and reaches zero near (emin - m - 1) ln 2. int8 holds -128 .. 127 only: no
                fractions, no infinities. Details and int8 with scales: softmax4j formats --precise""");
    }

    /** {@code digits} significant digits; exact for whole numbers below a million (fp16's 65504). */
    private static String sig(BigDecimal v, int digits) {
        double a = Math.abs(v.doubleValue());
        if (a >= 1 && a < 1e6 && v.stripTrailingZeros().scale() <= 0)
            return v.toBigInteger().toString();
        BigDecimal r = v.round(new MathContext(digits));
        if (a != 0 && (a >= 1e6 || a < 1e-3)) { // d.ddde±x from the decimal digits (doubles would overflow)
            String u = r.unscaledValue().abs().toString();
            int exp = u.length() - 1 - r.scale();
            String m = u.charAt(0) + (u.length() > 1 ? "." + u.substring(1) : "");
            return (r.signum() < 0 ? "-" : "") + m + "e" + exp;
        }
        return r.stripTrailingZeros().toPlainString();
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
        return v.round(new MathContext(17))
                .stripTrailingZeros()
                .toString()
                .replace("E+", "e")
                .replace("E", "e");
    }
}
