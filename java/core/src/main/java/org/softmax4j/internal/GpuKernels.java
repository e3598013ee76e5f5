package org.softmax4j.internal;

import static java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.softmax4j.CeOutputs;
import org.softmax4j.CrossEntropy;
import org.softmax4j.DType;
import org.softmax4j.LinearCe;
import org.softmax4j.LinearCeOutputs;
import org.softmax4j.Reduction;
import org.softmax4j.cuda.CudaKernels;
import org.softmax4j.cuda.CudaStream;
import org.softmax4j.cuda.DeviceBuffer;
import org.softmax4j.internal.abi.CeOptionsStruct;
import org.softmax4j.internal.abi.CudaAbi;

/**
 * {@link CudaKernels}: the CPU kernels' validation ({@link AbstractKernels}),
 * then staging of host arguments through device buffers of this instance
 * and launches on its stream.
 */
final class GpuKernels extends AbstractKernels implements CudaKernels {
    private final CudaAbi abi;
    private final boolean tf32;
    /** The stream of every launch: null for the default stream, or one of {@link #onStream}. */
    private final GpuStream stream;
    /** Staging and workspace buffers, grown on demand and kept. */
    private final List<DeviceMemory> slots = new ArrayList<>();
    /** A host output staged in device memory during a call, copied back at its end. */
    private record Staged(long device, MemorySegment host) {}

    private final List<Staged> pending = new ArrayList<>();
    /** The options struct of the next launch (host memory; calls are serialised per instance). */
    private final MemorySegment options = Arena.ofAuto().allocate(CeOptionsStruct.LAYOUT);

    GpuKernels(CudaAbi abi, boolean tf32, GpuStream stream) {
        this.abi = abi;
        this.tf32 = tf32;
        this.stream = stream;
    }

    /** The stream handle launches take (0: the default stream). */
    private long stream() {
        return stream == null ? 0 : stream.handle();
    }

    @Override
    public CudaKernels onStream(CudaStream s) {
        if (!(s instanceof GpuStream g) || g.abi() != abi) {
            throw new IllegalArgumentException("the stream was not made by these kernels' newStream()");
        }
        return new GpuKernels(abi, tf32, g);
    }

    @Override
    public CudaStream newStream() {
        return GpuStream.create(abi);
    }

    @Override
    public DeviceBuffer allocate(long bytes) {
        return DeviceMemory.allocate(abi, bytes);
    }

    @Override
    public String name() {
        return "cuda/" + abi.binding().name().toLowerCase(java.util.Locale.ROOT) + (tf32 ? " tf32" : " fp32");
    }

    @Override
    protected boolean acceptsDeviceMemory() {
        return true;
    }

    @Override
    public void synchronize() {
        Cuda.check(abi, abi.streamSynchronize(stream()), "synchronizing with the GPU");
    }

    // ---- staging ------------------------------------------------------------

    /** Slot {@code i}'s buffer with at least {@code bytes}; its address. */
    private long slot(int i, long bytes) {
        while (slots.size() <= i) slots.add(null);
        DeviceMemory b = slots.get(i);
        if (b == null || b.byteSize() < bytes) {
            if (b != null) b.close();
            b = DeviceMemory.allocate(abi, Math.max(bytes, 256));
            slots.set(i, b);
        }
        return b.address();
    }

    /** A device address for an input: itself on the GPU, else a copy in slot i. */
    private long in(int i, MemorySegment s, long bytes) {
        if (s == null) return 0;
        if (DeviceMemory.isDevice(s)) return s.address();
        long d = slot(i, bytes);
        Cuda.check(
                abi,
                abi.memcpyHost(d, s.asSlice(0, bytes), bytes, CudaAbi.HOST_TO_DEVICE, 0),
                "copying an argument to the GPU");
        return d;
    }

    /**
     * A device address for an output: itself on the GPU, else slot i (first
     * filled from the host when the kernel reads it too), copied back by {@link #finish}.
     */
    private long out(int i, MemorySegment s, long bytes, boolean read) {
        if (s == null) return 0;
        if (DeviceMemory.isDevice(s)) return s.address();
        long d = read ? in(i, s, bytes) : slot(i, bytes);
        pending.add(new Staged(d, s.asSlice(0, bytes)));
        return d;
    }

    /** After a launch: the status, then the staged outputs back to the host (which waits). */
    private void finish(int status, String what) {
        try {
            Cuda.check(abi, status, what);
            for (Staged p : pending) {
                Cuda.check(
                        abi,
                        abi.memcpyHost(p.device(), p.host(), p.host().byteSize(), CudaAbi.DEVICE_TO_HOST, 0),
                        what + ": copying a result to the host");
            }
        } finally {
            pending.clear();
        }
    }

    /** A host copy of {@code s} (n ints), for checks of labels and indexes held on the GPU. */
    private MemorySegment hostInts(MemorySegment s, long n) {
        return DeviceMemory.isDevice(s) ? toHost(s, MemorySegment.ofArray(new int[Math.toIntExact(n)])) : s;
    }

    /** The same with n longs. */
    private MemorySegment hostLongs(MemorySegment s, long n) {
        return DeviceMemory.isDevice(s) ? toHost(s, MemorySegment.ofArray(new long[Math.toIntExact(n)])) : s;
    }

    /** {@code copy} filled from the start of the device segment {@code s}. */
    private MemorySegment toHost(MemorySegment s, MemorySegment copy) {
        Cuda.check(
                abi,
                abi.memcpyHost(s.address(), copy, copy.byteSize(), CudaAbi.DEVICE_TO_HOST, 0),
                "copying labels or indexes to the host for their checks");
        return copy;
    }

    /** The options struct, filled; {@code classWeights}: a device address or 0. */
    private MemorySegment options(CrossEntropy ce, float softcap, long classWeights) {
        return CeOptionsStruct.write(options, ce, softcap, classWeights);
    }

    // ---- kernels ------------------------------------------------------------

    @Override
    protected synchronized void softmaxImpl(int n, int c, MemorySegment x, MemorySegment y, boolean log) {
        long bytes = 4L * n * c;
        // x and y may be the same memory: on the GPU the kernel allows it, and a
        // host y is staged apart from x and copied back
        long dx = in(0, x, bytes);
        long dy = out(1, y, bytes, false);
        finish(abi.softmax(n, c, dx, dy, log ? 1 : 0, stream()), "softmax");
    }

    @Override
    protected synchronized float crossEntropyImpl(
            CrossEntropy ce, int n, int c, DType dtype, MemorySegment logits, MemorySegment targets, CeOutputs out) {
        checkTargets(hostInts(targets, n), n, c, ce.ignoreIndex());
        long bytes = (long) dtype.byteSize() * n * c;
        long x = in(0, logits, bytes);
        long dx = out(1, out.dlogits(), bytes, false); // in place on the GPU, or staged apart
        long y = in(2, targets, 4L * n);
        float[] w = ce.classWeight();
        long dw = w == null ? 0 : in(3, MemorySegment.ofArray(w), 4L * c);
        long loss = slot(4, 4);
        long workBytes = abi.softmaxCeWorkspaceSize(n), work = slot(5, workBytes);
        int status = abi.softmaxCe(
                n,
                c,
                Codes.of(dtype),
                x,
                y,
                options(ce, 0f, dw),
                loss,
                out(6, out.rowLoss(), 4L * n, false),
                out(7, out.rowLse(), 4L * n, false),
                out(8, out.rowArgmax(), 4L * n, false),
                dx,
                work,
                workBytes,
                stream());
        float[] result = new float[1];
        pending.add(new Staged(loss, MemorySegment.ofArray(result)));
        finish(status, "cross-entropy");
        return result[0];
    }

    /** Bytes of GPU workspace the fused linear cross-entropy takes (per-row statistics and one tile). */
    @Override
    public long linearCrossEntropyWorkspaceBytes(int n, int d, int v, LinearCe lin) {
        return abi.linearCeWorkspaceSize(n, v, lin.blockClasses(), Codes.of(DType.F32));
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
        return linearCe(DType.F32, ce, lin, n, d, v, x, w, bias, targets, out);
    }

    @Override
    public float linearCrossEntropyBf16(
            CrossEntropy ce,
            LinearCe lin,
            int n,
            int d,
            int v,
            DeviceBuffer x,
            DeviceBuffer w,
            MemorySegment bias,
            MemorySegment targets,
            LinearCeOutputs out) {
        if (x == null || w == null) throw new IllegalArgumentException("x and w are required");
        checkLinearCrossEntropy(ce, lin, n, d, v, x.segment(), w.segment(), bias, targets, out, 2);
        if (n == 0) return ce.reduction() == Reduction.MEAN ? Float.NaN : 0f;
        return linearCe(DType.BF16, ce, lin, n, d, v, x.segment(), w.segment(), bias, targets, out);
    }

    private synchronized float linearCe(
            DType dtype,
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
        checkTargets(hostInts(targets, n), n, v, ce.ignoreIndex());
        long gx = in(0, x, (long) dtype.byteSize() * n * d), gw = in(1, w, (long) dtype.byteSize() * v * d);
        long gb = bias == null ? 0 : in(2, bias, 4L * v);
        long gy = in(3, targets, 4L * n);
        float[] cw = ce.classWeight();
        long gcw = cw == null ? 0 : in(4, MemorySegment.ofArray(cw), 4L * v);
        long loss = slot(5, 4);
        long workBytes = abi.linearCeWorkspaceSize(n, v, lin.blockClasses(), Codes.of(dtype));
        long work = slot(6, workBytes);
        int status = abi.linearCe(
                n,
                d,
                v,
                Codes.of(dtype),
                gx,
                gw,
                gb,
                gy,
                options(ce, lin.softcap(), gcw),
                lin.blockClasses(),
                tf32 ? 1 : 0,
                loss,
                out(7, out.rowLoss(), 4L * n, false),
                out(8, out.rowLse(), 4L * n, false),
                out(9, out.dx(), 4L * n * d, false),
                out(10, out.dw(), 4L * v * d, false),
                out(11, out.db(), 4L * v, false),
                work,
                workBytes,
                stream());
        float[] result = new float[1];
        pending.add(new Staged(loss, MemorySegment.ofArray(result)));
        finish(status, "linear cross-entropy");
        return result[0];
    }

    @Override
    protected synchronized void sgemmImpl(
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
        long aBytes = 4L * ((long) ((transA ? k : m) - 1) * lda + (transA ? m : k));
        long bBytes = 4L * ((long) ((transB ? n : k) - 1) * ldb + (transB ? k : n));
        long cBytes = 4L * ((long) (m - 1) * ldc + n);
        long da = k == 0 ? 0 : in(0, a, aBytes), db = k == 0 ? 0 : in(1, b, bBytes);
        // a staged C goes back whole: read it in when beta uses it or its rows have padding to keep
        long dc = out(2, c, cBytes, beta != 0f || ldc > n);
        finish(
                abi.sgemm(
                        transA ? 1 : 0,
                        transB ? 1 : 0,
                        m,
                        n,
                        k,
                        alpha,
                        da == 0 ? dc : da,
                        lda,
                        db == 0 ? dc : db,
                        ldb,
                        beta,
                        dc,
                        ldc,
                        tf32 ? 1 : 0,
                        stream()),
                "sgemm");
    }

    @Override
    public synchronized void gemmBf16(
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
            int ldc) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("gemmBf16 sizes must be >= 0");
        bf16Matrix("A", a, transA ? k : m, transA ? m : k, lda);
        bf16Matrix("B", b, transB ? n : k, transB ? k : n, ldb);
        if (ldc < Math.max(1, n) || (m > 0 && n > 0 && c.byteSize() < 4L * ((long) (m - 1) * ldc + n))) {
            throw new IllegalArgumentException(
                    "C (" + c.byteSize() + " bytes, ldc " + ldc + ") does not hold " + m + " x " + n + " floats");
        }
        Cuda.check(
                abi,
                abi.gemmBf16(
                        transA ? 1 : 0,
                        transB ? 1 : 0,
                        m,
                        n,
                        k,
                        alpha,
                        a.address(),
                        lda,
                        b.address(),
                        ldb,
                        beta,
                        c.address(),
                        ldc,
                        stream()),
                "gemmBf16");
    }

    private static void bf16Matrix(String what, DeviceBuffer buf, int rows, int cols, int ld) {
        if (ld < Math.max(1, cols) || (rows > 0 && cols > 0 && buf.byteSize() < 2L * ((long) (rows - 1) * ld + cols))) {
            throw new IllegalArgumentException(what + " (" + buf.byteSize() + " bytes, ld " + ld + ") does not hold "
                    + rows + " x " + cols + " bfloat16 values");
        }
    }

    @Override
    protected synchronized void addBiasImpl(int n, int c, MemorySegment bias, MemorySegment y) {
        long db = in(0, bias, 4L * c);
        finish(abi.addBias(n, c, db, out(1, y, 4L * n * c, true), stream()), "addBias");
    }

    @Override
    protected synchronized void columnSumsImpl(
            int n, int c, float alpha, MemorySegment x, float beta, MemorySegment out) {
        long dx = n == 0 ? 0 : in(0, x, 4L * n * c);
        finish(abi.columnSums(n, c, alpha, dx, beta, out(1, out, 4L * c, beta != 0f), stream()), "columnSums");
    }

    @Override
    protected synchronized void gatherRowsImpl(
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
        if (!DeviceMemory.isDevice(index)) checkIndex(index, rows, srcRows);
        if (cols == 0) return;
        long ds = in(0, src, srcRows * cols * srcType.byteSize());
        long di = in(1, index, 4L * rows);
        long dsh = in(3, shift, 4L * cols), dcs = in(4, colScale, 4L * cols);
        finish(
                abi.gatherRows(
                        rows,
                        cols,
                        Codes.of(srcType),
                        ds,
                        srcRows,
                        di,
                        scale,
                        dsh,
                        dcs,
                        out(2, out, 4L * rows * cols, false),
                        stream()),
                "gatherRows");
    }

    @Override
    protected synchronized void csrMatmulImpl(
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
        // the kernel trusts its CSR matrix: checked here first, on a host copy where it lies on the GPU
        MemorySegment ptr = hostLongs(rowPtr, m + 1L);
        long nnz = ptr.getAtIndex(JAVA_LONG_UNALIGNED, m);
        checkCsr(m, k, ptr, hostInts(colIdx, nnz), cRows == null ? null : hostInts(cRows, m), cRowCount);
        long dp = in(0, rowPtr, 8L * (m + 1));
        long dcol = in(1, colIdx, 4 * nnz), dval = in(2, values, 4 * nnz);
        long db = k == 0 ? 0 : in(3, b, 4L * ((long) (k - 1) * ldb + n));
        long dbias = in(4, bias, 4L * n), drows = in(5, cRows, 4L * m);
        // a staged C goes back whole: read it in when beta uses it, or to keep the
        // rows not scattered to and the row padding
        long cBytes = 4L * ((long) ((cRows != null ? cRowCount : m) - 1) * ldc + n);
        long dc = out(6, c, cBytes, beta != 0f || cRows != null || ldc > n);
        finish(
                abi.csrMatmul(
                        m, n, k, dp, dcol, dval, alpha, db, ldb, dbias, beta, dc, ldc, drows, cRowCount, stream()),
                "csrMatmul");
    }

    @Override
    protected synchronized float csrSgdStepImpl(
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
        // the kernels trust the batch and its targets: checked here first, on host copies
        MemorySegment ptr = hostLongs(rowPtr, m + 1L);
        long nnz = ptr.getAtIndex(JAVA_LONG_UNALIGNED, m);
        checkCsr(m, k, ptr, hostInts(colIdx, nnz), null, 0);
        checkTargets(hostInts(targets, m), m, c, ce.ignoreIndex());
        long dp = in(0, rowPtr, 8L * (m + 1));
        long dcol = in(1, colIdx, 4 * nnz), dval = in(2, values, 4 * nnz), dy = in(3, targets, 4L * m);
        float[] w = ce.classWeight();
        long dw = w == null ? 0 : in(4, MemorySegment.ofArray(w), 4L * c);
        // V and bias are read and written: a staged copy goes in whole and comes back whole
        long dv = k == 0 ? 0 : out(5, v, 4L * ((long) (k - 1) * ldv + c), true);
        long dbias = out(6, bias, 4L * c, true);
        long dz = out(7, logits, 4L * m * c, false);
        long dam = out(8, rowArgmax, 4L * m, false);
        long loss = slot(9, 4);
        long workBytes = abi.softmaxCeWorkspaceSize(m), work = slot(10, workBytes);
        int status = abi.csrSgdStep(
                m,
                c,
                k,
                dp,
                dcol,
                dval,
                dy,
                options(ce, 0f, dw),
                scale,
                alpha,
                biasLr,
                dv,
                ldv,
                dbias,
                dz,
                loss,
                dam,
                work,
                workBytes,
                stream());
        float[] result = new float[1];
        pending.add(new Staged(loss, MemorySegment.ofArray(result)));
        finish(status, "csrSgdStep");
        return result[0];
    }

    @Override
    protected long csrEntryCount(MemorySegment rowPtr, int m) {
        if (!DeviceMemory.isDevice(rowPtr)) return super.csrEntryCount(rowPtr, m);
        return toHost(rowPtr.asSlice(8L * m, 8), MemorySegment.ofArray(new long[1]))
                .getAtIndex(JAVA_LONG_UNALIGNED, 0);
    }

    @Override
    protected synchronized void sgdStepImpl(
            long count,
            float lr,
            float momentum,
            float weightDecay,
            MemorySegment w,
            MemorySegment g,
            MemorySegment v) {
        long dg = in(0, g, 4 * count);
        long dw = out(1, w, 4 * count, true);
        long dv = v == null ? 0 : out(2, v, 4 * count, true);
        finish(abi.sgdStep(count, lr, momentum, weightDecay, dw, dg, dv, stream()), "sgdStep");
    }

    @Override
    public synchronized void stepStats(
            int n,
            MemorySegment loss,
            float weight,
            MemorySegment rowArgmax,
            MemorySegment targets,
            MemorySegment lossSum,
            MemorySegment correct) {
        for (MemorySegment s : new MemorySegment[] {loss, rowArgmax, targets, lossSum, correct}) {
            if (!DeviceMemory.isDevice(s)) throw new IllegalArgumentException("stepStats takes GPU memory only");
        }
        if (n < 0) throw new IllegalArgumentException("rows n = " + n + " is negative");
        input("loss", loss, 1, 4);
        input("rowArgmax", rowArgmax, n, 4);
        input("targets", targets, n, 4);
        output("lossSum", lossSum, 1, 8, true);
        output("correct", correct, 1, 8, true);
        Cuda.check(
                abi,
                abi.stepStats(
                        n,
                        loss.address(),
                        weight,
                        rowArgmax.address(),
                        targets.address(),
                        lossSum.address(),
                        correct.address(),
                        stream()),
                "stepStats");
    }

    @Override
    public synchronized void crossEntropyOnDevice(
            CrossEntropy ce,
            int n,
            int c,
            DType dtype,
            MemorySegment logits,
            MemorySegment targets,
            CeOutputs out,
            MemorySegment lossOut) {
        for (MemorySegment s : new MemorySegment[] {
            logits, targets, out.dlogits(), out.rowLoss(), out.rowLse(), out.rowArgmax(), lossOut
        }) {
            if (s != null && !DeviceMemory.isDevice(s)) {
                throw new IllegalArgumentException("crossEntropyOnDevice takes GPU memory only");
            }
        }
        if (ce.classWeight() != null || lossOut == null) {
            throw new IllegalArgumentException("crossEntropyOnDevice: no class weights; lossOut is required");
        }
        if (n < 1 || c < 1) throw new IllegalArgumentException("crossEntropyOnDevice: n and c must be >= 1");
        input("logits", logits, (long) n * c, dtype.byteSize());
        input("targets", targets, n, 4);
        output("dlogits", out.dlogits(), (long) n * c, dtype.byteSize(), false);
        output("rowLoss", out.rowLoss(), n, 4, ce.reduction() == Reduction.NONE);
        output("rowLse", out.rowLse(), n, 4, false);
        output("rowArgmax", out.rowArgmax(), n, 4, false);
        output("lossOut", lossOut, 1, 4, true);
        long ws = abi.softmaxCeWorkspaceSize(n);
        long work = slot(5, ws);
        Cuda.check(
                abi,
                abi.softmaxCe(
                        n,
                        c,
                        Codes.of(dtype),
                        logits.address(),
                        targets.address(),
                        options(ce, 0f, 0),
                        lossOut.address(),
                        address(out.rowLoss()),
                        address(out.rowLse()),
                        address(out.rowArgmax()),
                        address(out.dlogits()),
                        work,
                        ws,
                        stream()),
                "cross-entropy");
    }

    private static long address(MemorySegment s) {
        return s == null ? 0 : s.address();
    }
}
