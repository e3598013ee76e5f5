package org.softmax4j.internal;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.softmax4j.CeOutputs;
import org.softmax4j.CrossEntropy;
import org.softmax4j.DType;
import org.softmax4j.Gemm;
import org.softmax4j.LinearCe;
import org.softmax4j.LinearCeOutputs;
import org.softmax4j.internal.abi.CeOptionsStruct;
import org.softmax4j.internal.abi.NativeAbi;

/** The native CPU kernels, reached through one {@link NativeAbi} binding. */
final class CpuKernels extends AbstractKernels {
    private final NativeAbi abi;
    private final Gemm gemm;
    /**
     * Per-thread native scratch for the kernels that take a workspace (GEMM
     * packing, cross-entropy rows): allocated on first need, grown when a call
     * needs more, reused otherwise; freed with its thread.
     */
    private final ThreadLocal<MemorySegment> workspace = new ThreadLocal<>();
    /** Per-thread native options struct (and class weights) of the cross-entropy calls. */
    private final ThreadLocal<MemorySegment> options = new ThreadLocal<>();

    CpuKernels(NativeAbi abi, Gemm gemm) {
        this.abi = abi;
        this.gemm = gemm;
    }

    @Override
    public String name() {
        return "cpu/" + abi.binding().name().toLowerCase(java.util.Locale.ROOT) + " "
                + Codes.isa(abi.isa()).name().toLowerCase(java.util.Locale.ROOT) + " x"
                + abi.numThreads() + " threads" + (gemm == Gemm.OPENBLAS ? " +openblas" : "");
    }

    @Override
    protected void softmaxImpl(int n, int c, MemorySegment x, MemorySegment y, boolean log) {
        check(abi.softmax(n, c, x, y, log ? 1 : 0));
    }

    @Override
    protected float crossEntropyImpl(
            CrossEntropy ce, int n, int c, DType dtype, MemorySegment logits, MemorySegment targets, CeOutputs out) {
        float[] loss = new float[1];
        long[] errRow = {-1};
        long need = out.dlogits() != null && dtype == DType.F32 ? abi.softmaxCeWorkspaceSize(c) : 0;
        MemorySegment work = need > 0 ? workspace(need) : null;
        int status = abi.softmaxCe(
                n,
                c,
                Codes.of(dtype),
                logits,
                targets,
                options(ce, 0f),
                MemorySegment.ofArray(loss),
                out.rowLoss(),
                out.rowLse(),
                out.rowArgmax(),
                out.dlogits(),
                MemorySegment.ofArray(errRow),
                work,
                work == null ? 0 : work.byteSize());
        if (status == NativeAbi.ERR_TARGET) throw badTarget(targets, errRow[0], c, ce.ignoreIndex());
        check(status);
        return loss[0];
    }

    @Override
    public long linearCrossEntropyWorkspaceBytes(int n, int d, int v, LinearCe lin) {
        return abi.linearCeWorkspaceSize(n, d, v, plan(lin), lin.softcap());
    }

    @Override
    protected float linearCrossEntropyImpl(
            CrossEntropy ce,
            LinearCe lin,
            int n,
            int d,
            int v,
            MemorySegment x,
            MemorySegment w,
            MemorySegment bias,
            MemorySegment targets,
            LinearCeOutputs out) {
        float[] loss = new float[1];
        long[] errRow = {-1};
        MemorySegment work = workspace(linearCrossEntropyWorkspaceBytes(n, d, v, lin));
        int status = abi.linearCe(
                n,
                d,
                v,
                x,
                w,
                bias,
                targets,
                options(ce, lin.softcap()),
                plan(lin),
                MemorySegment.ofArray(loss),
                out.rowLoss(),
                out.rowLse(),
                out.dx(),
                out.dw(),
                out.db(),
                work,
                work.byteSize(),
                MemorySegment.ofArray(errRow));
        if (status == NativeAbi.ERR_TARGET) throw badTarget(targets, errRow[0], v, ce.ignoreIndex());
        check(status);
        return loss[0];
    }

    @Override
    protected void sgemmImpl(
            boolean transA,
            boolean transB,
            int m,
            int n,
            int k,
            float alpha,
            MemorySegment a,
            int lda,
            MemorySegment b,
            int ldb,
            float beta,
            MemorySegment c,
            int ldc) {
        if (gemm == Gemm.OPENBLAS) {
            MemorySegment fn = OpenBlas.sgemm();
            OpenBlas.useThreads(abi.numThreads());
            abi.cblasSgemm(fn, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        MemorySegment work = workspace(abi.sgemmWorkspaceSize());
        check(abi.sgemm(
                transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, work, work.byteSize()));
    }

    @Override
    protected void addBiasImpl(int n, int c, MemorySegment bias, MemorySegment y) {
        check(abi.addBias(n, c, bias, y));
    }

    @Override
    protected void columnSumsImpl(int n, int c, float alpha, MemorySegment x, float beta, MemorySegment out) {
        check(abi.columnSums(n, c, alpha, x, beta, out));
    }

    @Override
    protected void gatherRowsImpl(
            int rows,
            int cols,
            DType srcType,
            MemorySegment src,
            long srcRows,
            MemorySegment index,
            float scale,
            MemorySegment shift,
            MemorySegment colScale,
            MemorySegment out) {
        long[] errRow = {-1};
        int status = abi.gatherRows(
                rows,
                cols,
                Codes.of(srcType),
                src,
                srcRows,
                index,
                scale,
                shift,
                colScale,
                out,
                MemorySegment.ofArray(errRow));
        if (status == NativeAbi.ERR_ARGUMENT && errRow[0] >= 0) {
            throw badIndex(errRow[0], index.getAtIndex(JAVA_INT_UNALIGNED, errRow[0]), srcRows);
        }
        check(status);
    }

    @Override
    protected void sgdStepImpl(
            long count,
            float lr,
            float momentum,
            float weightDecay,
            MemorySegment w,
            MemorySegment g,
            MemorySegment v) {
        check(abi.sgdStep(count, lr, momentum, weightDecay, w, g, v));
    }

    @Override
    protected void csrMatmulImpl(
            int m,
            int n,
            int k,
            MemorySegment rowPtr,
            MemorySegment colIdx,
            MemorySegment values,
            float alpha,
            MemorySegment b,
            int ldb,
            MemorySegment bias,
            float beta,
            MemorySegment c,
            int ldc,
            MemorySegment cRows,
            int cRowCount) {
        long[] errRow = {-1};
        int status = abi.csrMatmul(
                m,
                n,
                k,
                rowPtr,
                colIdx,
                values,
                alpha,
                b,
                ldb,
                bias,
                beta,
                c,
                ldc,
                cRows,
                cRowCount,
                MemorySegment.ofArray(errRow));
        if (status == NativeAbi.ERR_ARGUMENT && errRow[0] >= 0) {
            throw badCsr(errRow[0], m, k, rowPtr, colIdx, cRows, cRowCount);
        }
        check(status);
    }

    private MemorySegment workspace(long bytes) {
        return grown(workspace, bytes);
    }

    @Override
    protected float csrSgdStepImpl(
            CrossEntropy ce,
            int m,
            int c,
            int k,
            MemorySegment rowPtr,
            MemorySegment colIdx,
            MemorySegment values,
            MemorySegment targets,
            float scale,
            float alpha,
            float biasLr,
            MemorySegment v,
            int ldv,
            MemorySegment bias,
            MemorySegment logits,
            MemorySegment rowArgmax) {
        float[] loss = new float[1];
        long[] errRow = {-1};
        int status = abi.csrSgdStep(
                m,
                c,
                k,
                rowPtr,
                colIdx,
                values,
                targets,
                options(ce, 0f),
                scale,
                alpha,
                biasLr,
                v,
                ldv,
                bias,
                logits,
                MemorySegment.ofArray(loss),
                rowArgmax,
                MemorySegment.ofArray(errRow));
        if (status == NativeAbi.ERR_TARGET) throw badTarget(targets, errRow[0], c, ce.ignoreIndex());
        if (status == NativeAbi.ERR_ARGUMENT && errRow[0] >= 0) {
            throw badCsr(errRow[0], m, k, rowPtr, colIdx, null, 0);
        }
        check(status);
        return loss[0];
    }

    /**
     * This thread's options struct for the next call, filled; the class
     * weights copied behind it, because the struct holds their address and
     * a Java array has none (the copy is C floats, less than the kernel's
     * one read of the weights per row).
     */
    private MemorySegment options(CrossEntropy ce, float softcap) {
        float[] w = ce.classWeight();
        long at = 64; // the struct, rounded up to a cache line
        MemorySegment s = grown(options, at + (w == null ? 0 : 4L * w.length));
        if (w != null) MemorySegment.copy(w, 0, s, ValueLayout.JAVA_FLOAT, at, w.length);
        return CeOptionsStruct.write(s, ce, softcap, w == null ? 0 : s.address() + at);
    }

    /** The thread's buffer in {@code slot}, grown to {@code bytes} when smaller; freed with its thread. */
    private static MemorySegment grown(ThreadLocal<MemorySegment> slot, long bytes) {
        MemorySegment s = slot.get();
        if (s == null || s.byteSize() < bytes) {
            s = Arena.ofAuto().allocate(bytes, 64);
            slot.set(s);
        }
        return s;
    }

    private static IllegalArgumentException badTarget(MemorySegment targets, long row, int c, int ignoreIndex) {
        return badTarget(row, targets.getAtIndex(JAVA_INT_UNALIGNED, row), c, ignoreIndex);
    }

    /** Native status to exception; the other arguments were validated, so errors here are bugs. */
    private static void check(int status) {
        if (status != NativeAbi.OK) {
            throw new IllegalArgumentException("native kernel rejected its arguments (status " + status + ")");
        }
    }

    /** The ABI's block_v: the tiles' classes, minus the chunks' rows, or 0 (automatic). */
    private static long plan(LinearCe lin) {
        return lin.chunkRows() > 0 ? -lin.chunkRows() : lin.blockClasses();
    }
}
