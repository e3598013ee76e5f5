package org.softmax4j.bench;

import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F;
import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F_FAST_TF32;
import static org.bytedeco.cuda.global.cublas.CUBLAS_GEMM_DEFAULT;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasGemmEx;
import static org.bytedeco.cuda.global.cublas.cublasSgemm_v2;
import static org.bytedeco.cuda.global.cudart.CUDA_R_16BF;
import static org.bytedeco.cuda.global.cudart.CUDA_R_32F;

import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;

/**
 * cuBLAS through JavaCPP's CUDA preset, the GEMM yardstick of
 * {@link GpuBench}: on softmax4j's device buffers (same process, same
 * primary context, default stream). Loaded with care (TOOLCHAIN.md item
 * 10): the preset needs the driver and the machine's CUDA libraries, and
 * only functions that CUDA 13.0 has are called.
 */
final class Cublas {
    private final cublasContext handle;
    private final FloatPointer one = new FloatPointer(1f), zero = new FloatPointer(0f);

    private Cublas(cublasContext handle) {
        this.handle = handle;
    }

    /** cuBLAS, or null (with a line on stderr saying why) when it does not load. */
    static Cublas load() {
        try {
            Loader.load(org.bytedeco.cuda.global.cublas.class);
            cublasContext h = new cublasContext();
            int status = cublasCreate_v2(h);
            if (status != 0) {
                System.err.println("cuBLAS skipped: cublasCreate failed with status " + status);
                return null;
            }
            return new Cublas(h);
        } catch (Throwable t) { // UnsatisfiedLinkError, NoClassDefFoundError: no driver or libraries
            System.err.println("cuBLAS skipped: " + t);
            return null;
        }
    }

    private static Pointer at(long address) {
        return new Pointer() {
            {
                this.address = address;
            }
        };
    }

    private static FloatPointer floatsAt(long address) {
        return new FloatPointer() {
            {
                this.address = address;
            }
        };
    }

    /**
     * Row-major C = A B for n x n float32 matrices (cuBLAS is column-major:
     * it computes C^T = B^T A^T, so A and B trade places); TF32 tensor cores or plain float32.
     */
    void sgemm(int n, long a, long b, long c, boolean tf32) {
        int status = tf32
                ? cublasGemmEx(
                        handle,
                        CUBLAS_OP_N,
                        CUBLAS_OP_N,
                        n,
                        n,
                        n,
                        one,
                        at(b),
                        CUDA_R_32F,
                        n,
                        at(a),
                        CUDA_R_32F,
                        n,
                        zero,
                        at(c),
                        CUDA_R_32F,
                        n,
                        CUBLAS_COMPUTE_32F_FAST_TF32,
                        CUBLAS_GEMM_DEFAULT)
                : cublasSgemm_v2(
                        handle,
                        CUBLAS_OP_N,
                        CUBLAS_OP_N,
                        n,
                        n,
                        n,
                        one,
                        floatsAt(b),
                        n,
                        floatsAt(a),
                        n,
                        zero,
                        floatsAt(c),
                        n);
        if (status != 0) throw new IllegalStateException("cuBLAS GEMM failed: status " + status);
    }

    /** Row-major C = A B, bf16 A and B, float32 C and accumulation. */
    void gemmBf16(int n, long a, long b, long c) {
        int status = cublasGemmEx(
                handle,
                CUBLAS_OP_N,
                CUBLAS_OP_N,
                n,
                n,
                n,
                one,
                at(b),
                CUDA_R_16BF,
                n,
                at(a),
                CUDA_R_16BF,
                n,
                zero,
                at(c),
                CUDA_R_32F,
                n,
                CUBLAS_COMPUTE_32F,
                CUBLAS_GEMM_DEFAULT);
        if (status != 0) throw new IllegalStateException("cuBLAS bf16 GEMM failed: status " + status);
    }
}
