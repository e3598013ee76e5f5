package org.softmax4j;

/** Which SGEMM the CPU kernels use; everything else is softmax4j's own either way. */
public enum Gemm {
    /** softmax4j's packed, cache-blocked AVX2/FMA (or scalar) SGEMM. */
    SOFTMAX4J,
    /** OpenBLAS's cblas_sgemm, from the org.bytedeco:openblas preset. */
    OPENBLAS
}
