package org.softmax4j.data;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Locale;

/**
 * How stored features become the model's inputs: {@code x' = scale (x -
 * shift[j]) colScale[j]}, applied per batch by
 * {@link org.softmax4j.Kernels#gatherRows}, fitted on a training set and
 * stored in the model so that predictions need the model alone.
 *
 * <ul>
 *   <li>{@code none}: x as stored;
 *   <li>{@code divide:N}: x / N (the book's pixels: {@code divide:255});
 *   <li>{@code standard}: (x - mean) / standard deviation, per column (a
 *       constant column: / 1);
 *   <li>{@code minmax}: (x - min) / (max - min), per column, to [0, 1].
 * </ul>
 *
 * @param kind     none, divide, standard or minmax
 * @param scale    the uniform factor (1 / N for divide, else 1)
 * @param shift    per-column shift, or null (0)
 * @param colScale per-column factor, or null (1)
 */
public record Scaler(Kind kind, float scale, float[] shift, float[] colScale) {

    /** The kinds of scaling. */
    public enum Kind {
        NONE,
        DIVIDE,
        STANDARD,
        MINMAX
    }

    public Scaler {
        if (kind == null) throw new IllegalArgumentException("scaler kind is null");
        if (!(scale > 0) || Float.isInfinite(scale)) throw new IllegalArgumentException("scale " + scale);
        if (shift != null && colScale != null && shift.length != colScale.length) {
            throw new IllegalArgumentException("shift and colScale differ in length");
        }
    }

    /** x as stored. */
    public static Scaler none() {
        return new Scaler(Kind.NONE, 1f, null, null);
    }

    /** x / divisor. */
    public static Scaler divide(float divisor) {
        if (!(divisor > 0) || Float.isInfinite(divisor)) {
            throw new IllegalArgumentException("divide:" + divisor + ": the divisor must be positive");
        }
        return new Scaler(Kind.DIVIDE, 1f / divisor, null, null);
    }

    /**
     * A scaler named as on the command line: {@code none}, {@code standard},
     * {@code minmax} or {@code divide:N}; fitted ones are unfitted here (see {@link #fit}).
     */
    public static Scaler parse(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.startsWith("divide:")) {
            try {
                return divide(Float.parseFloat(s.substring(7)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("divide:N needs a number N, not '" + spec.substring(7) + "'");
            }
        }
        return switch (s) {
            case "none" -> none();
            case "standard" -> new Scaler(Kind.STANDARD, 1f, null, null);
            case "minmax" -> new Scaler(Kind.MINMAX, 1f, null, null);
            default ->
                throw new IllegalArgumentException("'" + spec + "': expected none, standard, minmax or divide:N");
        };
    }

    /** Whether this needs statistics of a training set ({@link #fit}) and has none yet. */
    public boolean needsFit() {
        return (kind == Kind.STANDARD || kind == Kind.MINMAX) && shift == null;
    }

    /**
     * This kind fitted on the examples of {@code data} (column means and
     * deviations, or minima and maxima, accumulated in double); none and
     * divide are returned as they are.
     */
    public Scaler fit(Dataset data) {
        if (kind == Kind.NONE || kind == Kind.DIVIDE) return this;
        Features f = data.matrix();
        int d = f.columns();
        double[] a = new double[d], b = new double[d];
        if (kind == Kind.MINMAX) {
            Arrays.fill(a, Double.POSITIVE_INFINITY);
            Arrays.fill(b, Double.NEGATIVE_INFINITY);
        }
        long n = data.size();
        // Standard: sums of x - k and (x - k)^2 in double, shifted by the
        // first row k so that a large mean does not cancel the variance.
        double[] k = new double[d];
        float[] row = new float[d];
        for (int i = 0; i < n; i++) {
            f.row(data.sourceRow(i), row);
            if (kind == Kind.MINMAX) {
                for (int j = 0; j < d; j++) {
                    a[j] = Math.min(a[j], row[j]);
                    b[j] = Math.max(b[j], row[j]);
                }
            } else {
                if (i == 0) for (int j = 0; j < d; j++) k[j] = row[j];
                for (int j = 0; j < d; j++) {
                    double x = row[j] - k[j];
                    a[j] += x;
                    b[j] += x * x;
                }
            }
        }
        if (kind != Kind.MINMAX && n > 0) {
            for (int j = 0; j < d; j++) {
                double mean = a[j] / n;
                b[j] = Math.max(0, b[j] - mean * a[j]); // n * variance
                a[j] = k[j] + mean;
            }
        }
        float[] sh = new float[d], cs = new float[d];
        for (int j = 0; j < d; j++) {
            double spread = kind == Kind.MINMAX ? b[j] - a[j] : Math.sqrt(b[j] / Math.max(n, 1));
            sh[j] = n == 0 ? 0f : (float) a[j];
            cs[j] = spread > 0 && Double.isFinite(spread) ? (float) (1 / spread) : 1f;
        }
        return new Scaler(kind, 1f, sh, cs);
    }

    /** {@link #shift} as a segment for the gather kernel, or null. */
    public MemorySegment shiftSegment() {
        return shift == null ? null : MemorySegment.ofArray(shift);
    }

    /** {@link #colScale} as a segment for the gather kernel, or null. */
    public MemorySegment colScaleSegment() {
        return colScale == null ? null : MemorySegment.ofArray(colScale);
    }

    /** One input value as the model sees it. */
    public float apply(int column, float x) {
        float v = shift == null ? x : x - shift[column];
        return scale * (colScale == null ? v : v * colScale[column]);
    }

    /** As on the command line: none, standard, minmax or divide:N. */
    @Override
    public String toString() {
        if (kind != Kind.DIVIDE) return kind.name().toLowerCase(Locale.ROOT);
        double divisor = 1.0 / scale, whole = Math.rint(divisor);
        return "divide:"
                + (Math.abs(divisor - whole) <= 1e-5 * divisor
                        ? Long.toString((long) whole)
                        : Double.toString(divisor));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Scaler s
                && kind == s.kind
                && Float.compare(scale, s.scale) == 0
                && Arrays.equals(shift, s.shift)
                && Arrays.equals(colScale, s.colScale);
    }

    @Override
    public int hashCode() {
        return kind.hashCode() * 31 + Float.hashCode(scale);
    }
}
