package org.softmax4j.train;

/**
 * Softmax regression with int8 weights: {@code W[i][j] ~ scale[j] * q[i][j]},
 * symmetric (q in [-127, 127], zero exact), the bias kept in float32 (10
 * numbers). With one scale per class (per output column), each class's
 * weights use the full int8 range however different the classes' magnitudes
 * are: a larger dynamic range for the same 8 bits. With one scale for the
 * whole matrix (per tensor), the class with the largest weights dictates the
 * step for all.
 *
 * @param features rows of W
 * @param classes  columns of W
 * @param q        the int8 weights, row-major features x classes
 * @param scales   one scale per class (per-class), or a single one (per-tensor)
 * @param bias     the float32 bias
 */
public record QuantizedModel(int features, int classes, byte[] q, float[] scales, float[] bias) {

    /**
     * Quantizes W with one scale per class ({@code perClass}) or one for all:
     * {@code scale = max|W| / 127} over the column (or matrix), {@code q =
     * round(W / scale)}.
     */
    public static QuantizedModel quantize(SoftmaxRegression model, boolean perClass) {
        int f = model.features(), c = model.classes();
        float[] w = model.weights();
        float[] maxAbs = new float[perClass ? c : 1];
        for (int i = 0; i < f; i++) {
            for (int j = 0; j < c; j++) {
                int s = perClass ? j : 0;
                maxAbs[s] = Math.max(maxAbs[s], Math.abs(w[i * c + j]));
            }
        }
        float[] scales = new float[maxAbs.length];
        for (int s = 0; s < scales.length; s++) scales[s] = maxAbs[s] == 0 ? 1f : maxAbs[s] / 127f;
        byte[] q = new byte[f * c];
        for (int i = 0; i < f; i++) {
            for (int j = 0; j < c; j++) {
                float scale = scales[perClass ? j : 0];
                int v = Math.round(w[i * c + j] / scale);
                q[i * c + j] = (byte) Math.max(-127, Math.min(127, v));
            }
        }
        return new QuantizedModel(f, c, q, scales, model.bias().clone());
    }

    /** Whether there is one scale per class. */
    public boolean perClass() {
        return scales.length == classes && classes > 1;
    }

    /** The float model these int8 weights stand for ({@code scale * q}), to evaluate with the float kernels. */
    public SoftmaxRegression dequantize() {
        float[] w = new float[features * classes];
        for (int i = 0; i < features; i++) {
            for (int j = 0; j < classes; j++) {
                w[i * classes + j] = scales[scales.length == 1 ? 0 : j] * q[i * classes + j];
            }
        }
        return new SoftmaxRegression(features, classes, w, bias.clone());
    }

    /** Bytes of the parameters: int8 weights, float32 scales and bias. */
    public long bytes() {
        return q.length + 4L * scales.length + 4L * bias.length;
    }
}
