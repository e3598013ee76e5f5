/**
 * softmax4j's kernels: fused softmax cross-entropy, SGEMM, fused linear
 * cross-entropy and the training step's helpers, on the CPU (native C) and
 * on NVIDIA GPUs (native CUDA), behind {@link org.softmax4j.Kernels}; the
 * natives ship inside this jar. Exported: the API ({@code org.softmax4j})
 * and the CUDA types ({@code org.softmax4j.cuda}); bindings, ABI and
 * validation stay inside ({@code org.softmax4j.internal}).
 */
module org.softmax4j {
    requires org.bytedeco.javacpp;
    // OpenBLAS is optional: only Gemm.OPENBLAS loads it
    requires static org.bytedeco.openblas;

    exports org.softmax4j;
    exports org.softmax4j.cuda;

    // JavaCPP's Loader reads the JNI classes' annotations to load their glue
    opens org.softmax4j.internal.jni to
            org.bytedeco.javacpp;
}
