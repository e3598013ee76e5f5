package org.softmax4j.cuda;

import java.lang.foreign.MemorySegment;
import org.softmax4j.Binding;
import org.softmax4j.CeOutputs;
import org.softmax4j.CrossEntropy;
import org.softmax4j.DType;
import org.softmax4j.Kernels;
import org.softmax4j.LinearCe;
import org.softmax4j.LinearCeOutputs;
import org.softmax4j.internal.Natives;

/**
 * The kernels on the first CUDA GPU, with the semantics and validation of
 * the CPU ones, plus what only a GPU needs: device memory, streams and
 * graphs, bfloat16 inputs. Arguments may be GPU memory
 * ({@link DeviceBuffer#segment()}), used in place, or host memory (arrays,
 * heap or native segments), staged through device buffers of this instance
 * and copied back for outputs.
 *
 * <p>A call whose arguments all live on the GPU returns as soon as its work
 * is queued (on CUDA's default stream, or the blocking stream of
 * {@link #onStream}: either way ordered with every {@link DeviceBuffer}
 * copy); errors of the execution then surface at the next synchronising
 * call. A call with host arguments, and every call that returns a loss,
 * waits for its result. Labels held on the GPU are copied to the host to be
 * checked when the call waits anyway (cross-entropy); {@link #gatherScaled}
 * with a device index does not check it (rows with an index out of range
 * become NaN). Calls are serialised per instance.
 */
public interface CudaKernels extends Kernels {

    /**
     * The CUDA kernels through {@code binding}; {@code tf32} runs SGEMM on
     * tensor cores with TF32 inputs (faster, ~1e-3 relative error) instead of
     * float32 FMA.
     *
     * @throws UnsupportedOperationException without a usable GPU (the message says why)
     */
    static CudaKernels of(Binding binding, boolean tf32) {
        return Natives.gpuKernels(binding, tf32);
    }

    /** Number of usable CUDA devices through the configured binding; 0 without GPU, driver or library. */
    static int deviceCount() {
        return deviceCount(Binding.configured());
    }

    /** Number of usable CUDA devices through {@code binding}. */
    static int deviceCount(Binding binding) {
        return Natives.cudaDeviceCount(binding);
    }

    /** {@code bytes} of uninitialised GPU memory, freed by {@link DeviceBuffer#close()}. */
    DeviceBuffer allocate(long bytes);

    /** A new stream whose work is ordered with the default stream's (a blocking stream). */
    CudaStream newStream();

    /**
     * These kernels launching on {@code stream} (made by {@link #newStream}),
     * with staging buffers of their own: what a {@link CudaGraph} is captured from.
     */
    CudaKernels onStream(CudaStream stream);

    /** Waits until the GPU work queued here is done; throws for any error it had. */
    void synchronize();

    /**
     * {@link #linearCrossEntropy} with bfloat16 X (n x d) and W (v x d), on
     * bf16 tensor cores (the gradient tile rounded to bf16 for the gradient
     * GEMMs; dX, dW, db, the bias and all statistics float32). X and W are
     * GPU memory; the other arguments GPU or host memory, as everywhere here.
     */
    float linearCrossEntropyBf16(
            CrossEntropy ce,
            LinearCe lin,
            int n,
            int d,
            int v,
            DeviceBuffer x,
            DeviceBuffer w,
            MemorySegment bias,
            MemorySegment targets,
            LinearCeOutputs out);

    /**
     * C = alpha op(A) op(B) + beta C with bfloat16 A and B (as in
     * {@link #sgemm}, float32 C and accumulation) on tensor cores, all three
     * in GPU memory. Returns once queued.
     */
    void gemmBf16(
            boolean transA,
            boolean transB,
            int m,
            int n,
            int k,
            float alpha,
            DeviceBuffer a,
            int lda,
            DeviceBuffer b,
            int ldb,
            float beta,
            DeviceBuffer c,
            int ldc);

    /**
     * Adds a training step's loss and right guesses to running totals on the
     * GPU: {@code *lossSum += *loss * weight} (one double) and
     * {@code *correct += #{i : rowArgmax[i] == targets[i]}} (one int64), so
     * an epoch reads them back once. All arguments are GPU memory; returns once queued.
     */
    void stepStats(
            int n,
            MemorySegment loss,
            float weight,
            MemorySegment rowArgmax,
            MemorySegment targets,
            MemorySegment lossSum,
            MemorySegment correct);

    /**
     * The cross-entropy with every buffer on the GPU and the reduced loss
     * written to {@code lossOut} (one float of GPU memory) instead of being
     * returned: nothing waits, and targets are not checked (check them where
     * they are made, e.g. when a data set is uploaded; an out-of-range label
     * gives a NaN loss). No class weights (their sum would be read back).
     */
    void crossEntropyOnDevice(
            CrossEntropy ce,
            int n,
            int c,
            DType dtype,
            MemorySegment logits,
            MemorySegment targets,
            CeOutputs out,
            MemorySegment lossOut);
}
