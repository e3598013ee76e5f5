package org.softmax4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.softmax4j.DType;
import org.softmax4j.HalfFloats;

/** The bounds of exp per format, checked against what the formats actually do. */
class FloatFormatTest {
    private static final Map<String, FloatFormat> F =
            FloatFormat.all().stream().collect(Collectors.toMap(FloatFormat::name, f -> f));

    @Test
    void fp64BoundsAgreeWithMathExp() {
        FloatFormat f = F.get("fp64");
        assertEquals(Double.MAX_VALUE, f.largestFinite().doubleValue());
        assertEquals(Double.MIN_NORMAL, f.smallestNormal().doubleValue());
        assertEquals(Double.MIN_VALUE, f.smallestSubnormal().doubleValue());
        double max = f.largestBelow(f.lnOverflow()).doubleValue();
        assertTrue(Double.isFinite(Math.exp(max)));
        assertEquals(Double.POSITIVE_INFINITY, Math.exp(Math.nextUp(max)));
        double zero = f.smallestAbove(f.lnZero()).doubleValue();
        assertTrue(Math.exp(zero) > 0);
        assertEquals(0.0, Math.exp(Math.nextDown(zero)));
        double normal = f.smallestAbove(f.lnNormal()).doubleValue();
        assertTrue(StrictMath.exp(normal) >= Double.MIN_NORMAL);
        assertTrue(StrictMath.exp(Math.nextDown(normal)) < Double.MIN_NORMAL);
    }

    @Test
    void fp32BoundsAgreeWithMathExp() {
        FloatFormat f = F.get("fp32");
        assertEquals(Float.MAX_VALUE, f.largestFinite().floatValue());
        assertEquals(Float.MIN_VALUE, f.smallestSubnormal().floatValue());
        float max = f.largestBelow(f.lnOverflow()).floatValue();
        assertEquals(0x1.62e42ep6f, max); // glibc's expf overflow bound
        assertTrue(Float.isFinite((float) Math.exp(max)));
        assertEquals(Float.POSITIVE_INFINITY, (float) Math.exp(Math.nextUp(max)));
        float zero = f.smallestAbove(f.lnZero()).floatValue();
        assertTrue((float) Math.exp(zero) > 0);
        assertEquals(0f, (float) Math.exp(Math.nextDown(zero)));
        float normal = f.smallestAbove(f.lnNormal()).floatValue();
        assertTrue((float) Math.exp(normal) >= Float.MIN_NORMAL);
        assertTrue((float) Math.exp(Math.nextDown(normal)) < Float.MIN_NORMAL);
        // The common answer is wrong at the low end: exp(-ln(MAX)) is subnormal.
        assertTrue((float) Math.exp(-f.lnLargest().doubleValue()) < Float.MIN_NORMAL);
    }

    /** exp(x) rounded to a half format, through the library's conversions. */
    private static float expIn(DType t, double x) {
        return HalfFloats.toFloat(t, HalfFloats.fromFloat(t, (float) Math.exp(x)));
    }

    @Test
    void halfFormatsAgreeWithTheLibrarysConversions() {
        for (var e : Map.of("fp16", DType.F16, "bf16", DType.BF16).entrySet()) {
            FloatFormat f = F.get(e.getKey());
            DType t = e.getValue();
            double q = Math.scalb(1.0, Math.getExponent(f.lnOverflow().doubleValue()) - f.mantissaBits());
            double max = f.largestBelow(f.lnOverflow()).doubleValue();
            assertTrue(Float.isFinite(expIn(t, max)), e.getKey());
            assertEquals(Float.POSITIVE_INFINITY, expIn(t, max + q), e.getKey());
            double zero = f.smallestAbove(f.lnZero()).doubleValue();
            double qz = Math.scalb(1.0, Math.getExponent(zero) - f.mantissaBits());
            assertTrue(expIn(t, zero) > 0, e.getKey());
            assertEquals(0f, expIn(t, zero - qz), e.getKey());
        }
        assertEquals(
                new BigDecimal("11.0859375"),
                F.get("fp16").largestBelow(F.get("fp16").lnOverflow()));
        assertEquals(65504f, F.get("fp16").largestFinite().floatValue());
        assertEquals(
                new BigDecimal("88.5"), F.get("bf16").largestBelow(F.get("bf16").lnOverflow()));
    }

    @Test
    void ln2() {
        assertEquals(Math.log(2), FloatFormat.LN2.doubleValue());
        assertEquals(Math.log1p(-0.01), FloatFormat.ln1m(new BigDecimal("0.01")).doubleValue(), 1e-17);
    }
}
