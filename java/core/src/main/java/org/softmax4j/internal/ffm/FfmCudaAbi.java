package org.softmax4j.internal.ffm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import org.softmax4j.Binding;
import org.softmax4j.internal.abi.CudaAbi;

/**
 * The CUDA functions of libsoftmax4j_cuda.so through FFM downcalls. Device
 * pointers and streams travel as {@code long}s (the same registers as
 * pointers on linux-x86_64, the one platform the jar ships); host buffers as
 * segments, heap ones through critical downcalls, so nothing is copied on
 * the Java side.
 */
public final class FfmCudaAbi implements CudaAbi {
    private static final MemoryLayout P = JAVA_LONG; // a device pointer or stream
    private final MethodHandle deviceCount, lastError, malloc, free, toDevice, toHost, memcpy, memset;
    private final MethodHandle streamCreate, streamDestroy, streamSynchronize, softmax, softmaxCe;
    private final MethodHandle softmaxCeWorkspaceSize, sgemm, gemmBf16, addBias, columnSums;
    private final MethodHandle sgdStep, gatherRows, stepStats, linearCe, linearCeWorkspaceSize;
    private final MethodHandle graphBegin, graphEnd, graphLaunch, graphDestroy, csrMatmul, csrSgdStep;

    private FfmCudaAbi(SymbolLookup lib) {
        var h = new Object() {
            MethodHandle of(String name, FunctionDescriptor fd, Linker.Option... options) {
                return Downcalls.handle(lib, name, fd, options);
            }
        };
        deviceCount =
                h.of("s4j_cuda_device_count", FunctionDescriptor.of(JAVA_INT, ADDRESS), Linker.Option.critical(true));
        lastError = h.of("s4j_cuda_last_error", FunctionDescriptor.of(ADDRESS));
        malloc = h.of(
                "s4j_cuda_malloc", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), Linker.Option.critical(true));
        free = h.of("s4j_cuda_free", FunctionDescriptor.of(JAVA_INT, P));
        // s4j_cuda_memcpy(dst, src, bytes, kind, stream) three ways: host segment as src,
        // host segment as dst, or two device pointers
        toDevice = h.of(
                "s4j_cuda_memcpy",
                FunctionDescriptor.of(JAVA_INT, P, ADDRESS, JAVA_LONG, JAVA_INT, P),
                Linker.Option.critical(true));
        toHost = h.of(
                "s4j_cuda_memcpy",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, P, JAVA_LONG, JAVA_INT, P),
                Linker.Option.critical(true));
        memcpy = h.of("s4j_cuda_memcpy", FunctionDescriptor.of(JAVA_INT, P, P, JAVA_LONG, JAVA_INT, P));
        memset = h.of("s4j_cuda_memset", FunctionDescriptor.of(JAVA_INT, P, JAVA_INT, JAVA_LONG, P));
        streamCreate =
                h.of("s4j_cuda_stream_create", FunctionDescriptor.of(JAVA_INT, ADDRESS), Linker.Option.critical(true));
        streamDestroy = h.of("s4j_cuda_stream_destroy", FunctionDescriptor.of(JAVA_INT, P));
        streamSynchronize = h.of("s4j_cuda_stream_synchronize", FunctionDescriptor.of(JAVA_INT, P));
        graphBegin = h.of("s4j_cuda_graph_begin", FunctionDescriptor.of(JAVA_INT, P));
        graphEnd =
                h.of("s4j_cuda_graph_end", FunctionDescriptor.of(JAVA_INT, P, ADDRESS), Linker.Option.critical(true));
        graphLaunch = h.of("s4j_cuda_graph_launch", FunctionDescriptor.of(JAVA_INT, P, P));
        graphDestroy = h.of("s4j_cuda_graph_destroy", FunctionDescriptor.of(JAVA_INT, P));
        softmax = h.of("s4j_cuda_softmax", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, P, P, JAVA_INT, P));
        softmaxCe = h.of(
                "s4j_cuda_softmax_ce",
                FunctionDescriptor.of(
                        JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, P, P, ADDRESS, P, P, P, P, P, P, JAVA_LONG, P));
        softmaxCeWorkspaceSize =
                h.of("s4j_cuda_softmax_ce_workspace_size", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG));
        sgemm = h.of(
                "s4j_cuda_sgemm",
                FunctionDescriptor.of(
                        JAVA_INT,
                        JAVA_INT,
                        JAVA_INT,
                        JAVA_LONG,
                        JAVA_LONG,
                        JAVA_LONG,
                        JAVA_FLOAT,
                        P,
                        JAVA_LONG,
                        P,
                        JAVA_LONG,
                        JAVA_FLOAT,
                        P,
                        JAVA_LONG,
                        JAVA_INT,
                        P));
        gemmBf16 = h.of(
                "s4j_cuda_gemm_bf16",
                FunctionDescriptor.of(
                        JAVA_INT,
                        JAVA_INT,
                        JAVA_INT,
                        JAVA_LONG,
                        JAVA_LONG,
                        JAVA_LONG,
                        JAVA_FLOAT,
                        P,
                        JAVA_LONG,
                        P,
                        JAVA_LONG,
                        JAVA_FLOAT,
                        P,
                        JAVA_LONG,
                        P));
        linearCe = h.of(
                "s4j_cuda_linear_ce",
                FunctionDescriptor.of(
                        JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, P, P, P, P, ADDRESS, JAVA_LONG, JAVA_INT,
                        P, P, P, P, P, P, P, JAVA_LONG, P));
        linearCeWorkspaceSize = h.of(
                "s4j_cuda_linear_ce_workspace_size",
                FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT),
                Linker.Option.critical(false));
        addBias = h.of("s4j_cuda_add_bias", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, P, P, P));
        columnSums = h.of(
                "s4j_cuda_column_sums",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_FLOAT, P, JAVA_FLOAT, P, P));
        sgdStep = h.of(
                "s4j_cuda_sgd_step",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_FLOAT, JAVA_FLOAT, JAVA_FLOAT, P, P, P, P));
        gatherRows = h.of(
                "s4j_cuda_gather_rows",
                FunctionDescriptor.of(
                        JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT, P, JAVA_LONG, P, JAVA_FLOAT, P, P, P, P));
        stepStats =
                h.of("s4j_cuda_step_stats", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, P, JAVA_FLOAT, P, P, P, P, P));
        csrMatmul = h.of(
                "s4j_cuda_csr_matmul",
                FunctionDescriptor.of(
                        JAVA_INT,
                        JAVA_LONG,
                        JAVA_LONG,
                        JAVA_LONG,
                        P,
                        P,
                        P,
                        JAVA_FLOAT,
                        P,
                        JAVA_LONG,
                        P,
                        JAVA_FLOAT,
                        P,
                        JAVA_LONG,
                        P,
                        JAVA_LONG,
                        P));
        csrSgdStep = h.of(
                "s4j_cuda_csr_sgd_step",
                FunctionDescriptor.of(
                        JAVA_INT,
                        JAVA_LONG,
                        JAVA_LONG,
                        JAVA_LONG,
                        P,
                        P,
                        P,
                        P,
                        ADDRESS,
                        JAVA_FLOAT,
                        JAVA_FLOAT,
                        JAVA_FLOAT,
                        P,
                        JAVA_LONG,
                        P,
                        P,
                        P,
                        P,
                        P,
                        JAVA_LONG,
                        P));
    }

    /**
     * Loads libsoftmax4j_cuda from the jar through JavaCPP's loader (one
     * extracted copy for both bindings). It loads without a GPU or driver.
     *
     * @throws UnsupportedOperationException when the jar has no CUDA library
     */
    /**
     * The jar's libsoftmax4j_cuda.so, or the one that
     * {@code -Dsoftmax4j.cuda.library=PATH} names (a build of one's own; the
     * tests point it at the CPU emulator's build).
     */
    public static FfmCudaAbi load() {
        return new FfmCudaAbi(Downcalls.load("softmax4j_cuda", LIBRARY_PROPERTY));
    }

    @Override
    public Binding binding() {
        return Binding.FFM;
    }

    @Override
    public int deviceCount(int[] count) {
        try {
            return (int) deviceCount.invokeExact(MemorySegment.ofArray(count));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public String lastError() {
        try {
            return ((MemorySegment) lastError.invokeExact()).reinterpret(512).getString(0);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int malloc(long[] ptr, long bytes) {
        try {
            return (int) malloc.invokeExact(MemorySegment.ofArray(ptr), bytes);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int free(long ptr) {
        try {
            return (int) free.invokeExact(ptr);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int memcpyHost(long device, MemorySegment host, long bytes, int kind, long stream) {
        try {
            return kind == HOST_TO_DEVICE
                    ? (int) toDevice.invokeExact(device, host, bytes, kind, stream)
                    : (int) toHost.invokeExact(host, device, bytes, kind, stream);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int memcpyDeviceToDevice(long dst, long src, long bytes, long stream) {
        try {
            return (int) memcpy.invokeExact(dst, src, bytes, 2, stream);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int memset(long ptr, int value, long bytes, long stream) {
        try {
            return (int) memset.invokeExact(ptr, value, bytes, stream);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int streamCreate(long[] stream) {
        try {
            return (int) streamCreate.invokeExact(MemorySegment.ofArray(stream));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int streamDestroy(long stream) {
        try {
            return (int) streamDestroy.invokeExact(stream);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int streamSynchronize(long stream) {
        try {
            return (int) streamSynchronize.invokeExact(stream);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int graphBegin(long stream) {
        try {
            return (int) graphBegin.invokeExact(stream);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int graphEnd(long stream, long[] graph) {
        try {
            return (int) graphEnd.invokeExact(stream, MemorySegment.ofArray(graph));
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int graphLaunch(long graph, long stream) {
        try {
            return (int) graphLaunch.invokeExact(graph, stream);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int graphDestroy(long graph) {
        try {
            return (int) graphDestroy.invokeExact(graph);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int softmax(long n, long c, long x, long y, int log, long stream) {
        try {
            return (int) softmax.invokeExact(n, c, x, y, log, stream);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int softmaxCe(
            long n,
            long c,
            int dtype,
            long logits,
            long targets,
            MemorySegment options,
            long loss,
            long rowLoss,
            long rowLse,
            long rowArgmax,
            long dlogits,
            long work,
            long workBytes,
            long stream) {
        try {
            return (int) softmaxCe.invokeExact(
                    n, c, dtype, logits, targets, options, loss, rowLoss, rowLse, rowArgmax, dlogits, work, workBytes,
                    stream);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public long softmaxCeWorkspaceSize(long n) {
        try {
            return (long) softmaxCeWorkspaceSize.invokeExact(n);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int sgemm(
            int transA,
            int transB,
            long m,
            long n,
            long k,
            float alpha,
            long a,
            long lda,
            long b,
            long ldb,
            float beta,
            long c,
            long ldc,
            int math,
            long stream) {
        try {
            return (int) sgemm.invokeExact(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, math, stream);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int gemmBf16(
            int transA,
            int transB,
            long m,
            long n,
            long k,
            float alpha,
            long a,
            long lda,
            long b,
            long ldb,
            float beta,
            long c,
            long ldc,
            long stream) {
        try {
            return (int) gemmBf16.invokeExact(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, stream);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int linearCe(
            long n,
            long d,
            long v,
            int dtype,
            long x,
            long w,
            long bias,
            long targets,
            MemorySegment options,
            long blockV,
            int math,
            long loss,
            long rowLoss,
            long rowLse,
            long dx,
            long dw,
            long db,
            long work,
            long workBytes,
            long stream) {
        try {
            return (int) linearCe.invokeExact(
                    n, d, v, dtype, x, w, bias, targets, options, blockV, math, loss, rowLoss, rowLse, dx, dw, db, work,
                    workBytes, stream);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public long linearCeWorkspaceSize(long n, long v, long blockV, int dtype) {
        try {
            return (long) linearCeWorkspaceSize.invokeExact(n, v, blockV, dtype);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int addBias(long n, long c, long bias, long y, long stream) {
        try {
            return (int) addBias.invokeExact(n, c, bias, y, stream);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int columnSums(long n, long c, float alpha, long x, float beta, long out, long stream) {
        try {
            return (int) columnSums.invokeExact(n, c, alpha, x, beta, out, stream);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int sgdStep(long count, float lr, float momentum, float weightDecay, long w, long g, long v, long stream) {
        try {
            return (int) sgdStep.invokeExact(count, lr, momentum, weightDecay, w, g, v, stream);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int gatherRows(
            long rows,
            long cols,
            int srcDtype,
            long src,
            long srcRows,
            long index,
            float scale,
            long shift,
            long colScale,
            long out,
            long stream) {
        try {
            return (int) gatherRows.invokeExact(
                    rows, cols, srcDtype, src, srcRows, index, scale, shift, colScale, out, stream);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int stepStats(
            long n, long loss, float weight, long rowArgmax, long targets, long lossSum, long correct, long stream) {
        try {
            return (int) stepStats.invokeExact(n, loss, weight, rowArgmax, targets, lossSum, correct, stream);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int csrMatmul(
            long m,
            long n,
            long k,
            long rowPtr,
            long colIdx,
            long values,
            float alpha,
            long b,
            long ldb,
            long bias,
            float beta,
            long c,
            long ldc,
            long cRows,
            long cRowCount,
            long stream) {
        try {
            return (int) csrMatmul.invokeExact(
                    m, n, k, rowPtr, colIdx, values, alpha, b, ldb, bias, beta, c, ldc, cRows, cRowCount, stream);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }

    @Override
    public int csrSgdStep(
            long m,
            long c,
            long k,
            long rowPtr,
            long colIdx,
            long values,
            long targets,
            MemorySegment options,
            float scale,
            float alpha,
            float biasLr,
            long v,
            long ldv,
            long bias,
            long logits,
            long loss,
            long rowArgmax,
            long work,
            long workBytes,
            long stream) {
        try {
            return (int) csrSgdStep.invokeExact(
                    m, c, k, rowPtr, colIdx, values, targets, options, scale, alpha, biasLr, v, ldv, bias, logits, loss,
                    rowArgmax, work, workBytes, stream);
        } catch (Throwable t) {
            throw Downcalls.rethrow(t);
        }
    }
}
