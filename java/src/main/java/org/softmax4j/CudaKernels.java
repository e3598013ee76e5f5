package org.softmax4j;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.softmax4j.cuda.Cuda;
import org.softmax4j.cuda.CudaAbi;
import org.softmax4j.cuda.DeviceBuffer;

/**
 * The kernels on the first CUDA GPU, with the semantics and validation of
 * the CPU ones. Arguments may be GPU memory ({@link DeviceBuffer#segment()}),
 * used in place, or host memory (arrays, heap or native segments), staged
 * through device buffers of this instance and copied back for outputs.
 *
 * <p>A call whose arguments all live on the GPU returns as soon as its work
 * is queued (on CUDA's default stream, or the blocking stream of
 * {@link #onStream}: either way ordered with every {@link DeviceBuffer}
 * copy); errors of the execution then surface at the
 * next synchronising call. A call with host arguments, and every call that
 * returns a loss, waits for its result. Labels and gather indexes held on
 * the GPU are copied to the host to be checked when the call waits anyway
 * (cross-entropy); {@link #gatherScaled} with a device index does not check
 * it (rows with an index out of range become NaN). Calls are serialised per
 * instance.
 */
public final class CudaKernels extends AbstractKernels {
    private static final Map<Binding, CudaKernels[]> INSTANCES = new EnumMap<>(Binding.class);

    private final CudaAbi abi;
    private final boolean tf32;
    /** The CUDA stream of every launch: 0 for the default stream, or one of {@link #onStream}. */
    private final long stream;
    /** Staging and workspace buffers, grown on demand and kept. */
    private final List<DeviceBuffer> slots = new ArrayList<>();
    /** A host output staged in device memory during a call, copied back at its end. */
    private record Staged(long device, MemorySegment host) {}

    private final List<Staged> pending = new ArrayList<>();

    private CudaKernels(CudaAbi abi, boolean tf32, long stream) {
        this.abi = abi;
        this.tf32 = tf32;
        this.stream = stream;
    }

    /**
     * These kernels launching on {@code stream} (from {@link CudaAbi#streamCreate},
     * owned by the caller), with staging buffers of their own: what a CUDA
     * graph is recorded from ({@link CudaAbi#graphBegin}).
     */
    public CudaKernels onStream(long stream) {
        return new CudaKernels(abi, tf32, stream);
    }

    /**
     * The CUDA kernels through {@code binding}; {@code tf32} runs SGEMM on
     * tensor cores with TF32 inputs (faster, ~1e-3 relative error) instead of
     * float32 FMA.
     *
     * @throws UnsupportedOperationException without a usable GPU (the message says why)
     */
    public static synchronized CudaKernels of(Binding binding, boolean tf32) {
        if (binding == null) throw new IllegalArgumentException("binding is null");
        CudaKernels[] pair = INSTANCES.get(binding);
        if (pair == null) {
            CudaAbi abi = Cuda.abi(binding);
            pair = new CudaKernels[] {new CudaKernels(abi, false, 0), new CudaKernels(abi, true, 0)};
            INSTANCES.put(binding, pair);
        }
        return pair[tf32 ? 1 : 0];
    }

    @Override
    public String name() {
        return "cuda/" + abi.binding().name().toLowerCase(java.util.Locale.ROOT)
                + (tf32 ? " tf32" : " fp32");
    }

    @Override
    protected boolean acceptsDeviceMemory() {
        return true;
    }

    /** The CUDA functions under this instance. */
    public CudaAbi abi() {
        return abi;
    }

    /** Waits until the GPU work queued here is done; throws for any error it had. */
    public void synchronize() {
        Cuda.check(abi, abi.streamSynchronize(stream), "synchronizing with the GPU");
    }

    // ---- staging ------------------------------------------------------------

    /** Slot {@code i}'s buffer with at least {@code bytes}; its address. */
    private long slot(int i, long bytes) {
        while (slots.size() <= i) slots.add(null);
        DeviceBuffer b = slots.get(i);
        if (b == null || b.byteSize() < bytes) {
            if (b != null) b.close();
            b = DeviceBuffer.allocate(abi, Math.max(bytes, 256));
            slots.set(i, b);
        }
        return b.address();
    }

    /** A device address for an input: itself on the GPU, else a copy in slot i. */
    private long in(int i, MemorySegment s, long bytes) {
        if (s == null) return 0;
        if (DeviceBuffer.isDevice(s)) return s.address();
        long d = slot(i, bytes);
        Cuda.check(abi, abi.memcpyHost(d, s.asSlice(0, bytes), bytes, CudaAbi.HOST_TO_DEVICE, 0),
                "copying an argument to the GPU");
        return d;
    }

    /**
     * A device address for an output: itself on the GPU, else slot i (first
     * filled from the host when the kernel reads it too), copied back by {@link #finish}.
     */
    private long out(int i, MemorySegment s, long bytes, boolean read) {
        if (s == null) return 0;
        if (DeviceBuffer.isDevice(s)) return s.address();
        long d = read ? in(i, s, bytes) : slot(i, bytes);
        pending.add(new Staged(d, s.asSlice(0, bytes)));
        return d;
    }

    /** After a launch: the status, then the staged outputs back to the host (which waits). */
    private void finish(int status, String what) {
        try {
            Cuda.check(abi, status, what);
            for (Staged p : pending) {
                Cuda.check(abi, abi.memcpyHost(p.device(), p.host(), p.host().byteSize(),
                        CudaAbi.DEVICE_TO_HOST, 0), what + ": copying a result to the host");
            }
        } finally {
            pending.clear();
        }
    }

    /** A host copy of {@code s} (n ints), for checks of labels and indexes held on the GPU. */
    private MemorySegment hostInts(MemorySegment s, long n) {
        if (!DeviceBuffer.isDevice(s)) return s;
        int[] copy = new int[Math.toIntExact(n)];
        Cuda.check(abi, abi.memcpyHost(s.address(), MemorySegment.ofArray(copy), 4 * n,
                CudaAbi.DEVICE_TO_HOST, 0), "copying labels to the host");
        return MemorySegment.ofArray(copy);
    }

    // ---- kernels ------------------------------------------------------------

    @Override
    protected synchronized void softmaxImpl(int n, int c, MemorySegment x, MemorySegment y,
                                            boolean log) {
        long bytes = 4L * n * c;
        // x and y may be the same memory: on the GPU the kernel allows it, and a
        // host y is staged apart from x and copied back
        long dx = in(0, x, bytes);
        long dy = out(1, y, bytes, false);
        finish(abi.softmax(n, c, dx, dy, log ? 1 : 0, stream), "softmax");
    }

    @Override
    protected synchronized float crossEntropyImpl(CrossEntropy ce, int n, int c, DType dtype,
                                                  MemorySegment logits, MemorySegment targets,
                                                  CeOutputs out) {
        checkTargets(hostInts(targets, n), n, c, ce.ignoreIndex());
        long bytes = (long) dtype.bytes * n * c;
        long x = in(0, logits, bytes);
        long dx = out(1, out.dlogits(), bytes, false); // in place on the GPU, or staged apart
        long y = in(2, targets, 4L * n);
        float[] w = ce.classWeight();
        long dw = w == null ? 0 : in(3, MemorySegment.ofArray(w), 4L * c);
        long loss = slot(4, 4);
        long workBytes = abi.softmaxCeWorkspaceSize(n), work = slot(5, workBytes);
        int status = abi.softmaxCe(n, c, dtype.code, x, y, dw, ce.ignoreIndex(), ce.reduction().code,
                ce.labelSmoothing(), ce.zLoss(), ce.gradScale(), loss,
                out(6, out.rowLoss(), 4L * n, false), out(7, out.rowLse(), 4L * n, false),
                out(8, out.rowArgmax(), 4L * n, false), dx, work, workBytes, stream);
        float[] result = new float[1];
        pending.add(new Staged(loss, MemorySegment.ofArray(result)));
        finish(status, "cross-entropy");
        return result[0];
    }

    /** Bytes of GPU workspace the fused linear cross-entropy takes (per-row statistics and one tile). */
    @Override
    public long linearCrossEntropyWorkspaceBytes(int n, int d, int v, LinearCe lin) {
        return abi.linearCeWorkspaceSize(n, v, lin.blockClasses(), DType.F32.code);
    }

    @Override
    protected float linearCrossEntropyImpl(CrossEntropy ce, LinearCe lin, int n, int d, int v,
                                           MemorySegment x, MemorySegment w, MemorySegment bias,
                                           MemorySegment targets, LinearCeOutputs out) {
        return linearCe(DType.F32, ce, lin, n, d, v, x, w, bias, targets, out);
    }

    /**
     * {@link #linearCrossEntropy} with bfloat16 X (n x d) and W (v x d), on
     * bf16 tensor cores (the gradient tile rounded to bf16 for the gradient
     * GEMMs; dX, dW, db, the bias and all statistics float32). X and W are
     * GPU memory; the other arguments GPU or host memory, as everywhere here.
     */
    public float linearCrossEntropyBf16(CrossEntropy ce, LinearCe lin, int n, int d, int v,
                                        DeviceBuffer x, DeviceBuffer w, MemorySegment bias,
                                        MemorySegment targets, LinearCeOutputs out) {
        if (x == null || w == null) throw new IllegalArgumentException("x and w are required");
        checkLinearCrossEntropy(ce, lin, n, d, v, x.segment(), w.segment(), bias, targets, out, 2);
        if (n == 0) return ce.reduction() == Reduction.MEAN ? Float.NaN : 0f;
        return linearCe(DType.BF16, ce, lin, n, d, v, x.segment(), w.segment(), bias, targets, out);
    }

    private synchronized float linearCe(DType dtype, CrossEntropy ce, LinearCe lin, int n, int d, int v,
                                        MemorySegment x, MemorySegment w, MemorySegment bias,
                                        MemorySegment targets, LinearCeOutputs out) {
        checkTargets(hostInts(targets, n), n, v, ce.ignoreIndex());
        long gx = in(0, x, (long) dtype.bytes * n * d), gw = in(1, w, (long) dtype.bytes * v * d);
        long gb = bias == null ? 0 : in(2, bias, 4L * v);
        long gy = in(3, targets, 4L * n);
        float[] cw = ce.classWeight();
        long gcw = cw == null ? 0 : in(4, MemorySegment.ofArray(cw), 4L * v);
        long loss = slot(5, 4);
        long workBytes = abi.linearCeWorkspaceSize(n, v, lin.blockClasses(), dtype.code);
        long work = slot(6, workBytes);
        int status = abi.linearCe(n, d, v, dtype.code, gx, gw, gb, gy, gcw, ce.ignoreIndex(),
                ce.reduction().code, ce.labelSmoothing(), ce.zLoss(), lin.softcap(), ce.gradScale(),
                lin.blockClasses(), tf32 ? 1 : 0, loss, out(7, out.rowLoss(), 4L * n, false),
                out(8, out.rowLse(), 4L * n, false), out(9, out.dx(), 4L * n * d, false),
                out(10, out.dw(), 4L * v * d, false), out(11, out.db(), 4L * v, false), work,
                workBytes, stream);
        float[] result = new float[1];
        pending.add(new Staged(loss, MemorySegment.ofArray(result)));
        finish(status, "linear cross-entropy");
        return result[0];
    }

    @Override
    protected synchronized void sgemmImpl(boolean transA, boolean transB, int m, int n, int k,
                                          float alpha, MemorySegment a, int lda, MemorySegment b,
                                          int ldb, float beta, MemorySegment c, int ldc) {
        long aBytes = 4L * ((long) ((transA ? k : m) - 1) * lda + (transA ? m : k));
        long bBytes = 4L * ((long) ((transB ? n : k) - 1) * ldb + (transB ? k : n));
        long cBytes = 4L * ((long) (m - 1) * ldc + n);
        long da = k == 0 ? 0 : in(0, a, aBytes), db = k == 0 ? 0 : in(1, b, bBytes);
        // a staged C goes back whole: read it in when beta uses it or its rows have padding to keep
        long dc = out(2, c, cBytes, beta != 0f || ldc > n);
        finish(abi.sgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, da == 0 ? dc : da, lda,
                db == 0 ? dc : db, ldb, beta, dc, ldc, tf32 ? 1 : 0, stream), "sgemm");
    }

    /**
     * C = alpha op(A) op(B) + beta C with bfloat16 A and B (as in
     * {@link #sgemm}, float32 C and accumulation) on tensor cores, all three
     * in GPU memory. Returns once queued.
     */
    public synchronized void gemmBf16(boolean transA, boolean transB, int m, int n, int k,
                                      float alpha, DeviceBuffer a, int lda, DeviceBuffer b, int ldb,
                                      float beta, DeviceBuffer c, int ldc) {
        if (m < 0 || n < 0 || k < 0) throw new IllegalArgumentException("gemmBf16 sizes must be >= 0");
        bf16Matrix("A", a, transA ? k : m, transA ? m : k, lda);
        bf16Matrix("B", b, transB ? n : k, transB ? k : n, ldb);
        if (ldc < Math.max(1, n) || (m > 0 && n > 0 && c.byteSize() < 4L * ((long) (m - 1) * ldc + n))) {
            throw new IllegalArgumentException("C (" + c.byteSize() + " bytes, ldc " + ldc
                    + ") does not hold " + m + " x " + n + " floats");
        }
        Cuda.check(abi, abi.gemmBf16(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, a.address(), lda,
                b.address(), ldb, beta, c.address(), ldc, stream), "gemmBf16");
    }

    private static void bf16Matrix(String what, DeviceBuffer buf, int rows, int cols, int ld) {
        if (ld < Math.max(1, cols)
                || (rows > 0 && cols > 0 && buf.byteSize() < 2L * ((long) (rows - 1) * ld + cols))) {
            throw new IllegalArgumentException(what + " (" + buf.byteSize() + " bytes, ld " + ld
                    + ") does not hold " + rows + " x " + cols + " bfloat16 values");
        }
    }

    @Override
    protected synchronized void addBiasImpl(int n, int c, MemorySegment bias, MemorySegment y) {
        long db = in(0, bias, 4L * c);
        finish(abi.addBias(n, c, db, out(1, y, 4L * n * c, true), stream), "addBias");
    }

    @Override
    protected synchronized void columnSumsImpl(int n, int c, float alpha, MemorySegment x,
                                               float beta, MemorySegment out) {
        long dx = n == 0 ? 0 : in(0, x, 4L * n * c);
        finish(abi.columnSums(n, c, alpha, dx, beta, out(1, out, 4L * c, beta != 0f), stream),
                "columnSums");
    }

    @Override
    protected synchronized void gatherScaledImpl(int rows, int cols, MemorySegment src,
                                                 long srcRows, MemorySegment index, float scale,
                                                 MemorySegment out) {
        if (!DeviceBuffer.isDevice(index)) checkIndex(index, rows, srcRows);
        if (cols == 0) return;
        long ds = in(0, src, srcRows * cols);
        long di = in(1, index, 4L * rows);
        finish(abi.gatherScaledU8(rows, cols, ds, srcRows, di, scale, out(2, out, 4L * rows * cols, false), stream),
                "gatherScaled");
    }

    @Override
    protected synchronized void sgdStepImpl(long count, float lr, float momentum, float weightDecay,
                                            MemorySegment w, MemorySegment g, MemorySegment v) {
        long dg = in(0, g, 4 * count);
        long dw = out(1, w, 4 * count, true);
        long dv = v == null ? 0 : out(2, v, 4 * count, true);
        finish(abi.sgdStep(count, lr, momentum, weightDecay, dw, dg, dv, stream), "sgdStep");
    }

    /**
     * Adds a training step's loss and right guesses to running totals on the
     * GPU: {@code *lossSum += *loss * weight} (one double) and
     * {@code *correct += #{i : rowArgmax[i] == targets[i]}} (one int64), so
     * an epoch reads them back once. All arguments are GPU memory; returns once queued.
     */
    public synchronized void stepStats(int n, MemorySegment loss, float weight, MemorySegment rowArgmax,
                                       MemorySegment targets, MemorySegment lossSum,
                                       MemorySegment correct) {
        for (MemorySegment s : new MemorySegment[] {loss, rowArgmax, targets, lossSum, correct}) {
            if (!DeviceBuffer.isDevice(s)) throw new IllegalArgumentException("stepStats takes GPU memory only");
        }
        if (n < 0) throw new IllegalArgumentException("rows n = " + n + " is negative");
        input("loss", loss, 1, 4);
        input("rowArgmax", rowArgmax, n, 4);
        input("targets", targets, n, 4);
        output("lossSum", lossSum, 1, 8, true);
        output("correct", correct, 1, 8, true);
        Cuda.check(abi, abi.stepStats(n, loss.address(), weight, rowArgmax.address(), targets.address(),
                lossSum.address(), correct.address(), stream), "stepStats");
    }

    /**
     * The cross-entropy with every buffer on the GPU and the reduced loss
     * written to {@code lossOut} (one float of GPU memory) instead of being
     * returned: nothing waits, and targets are not checked (check them where
     * they are made, e.g. when a data set is uploaded; an out-of-range label
     * gives a NaN loss).
     */
    public synchronized void crossEntropyOnDevice(CrossEntropy ce, int n, int c, DType dtype,
                                                  MemorySegment logits, MemorySegment targets,
                                                  CeOutputs out, MemorySegment lossOut) {
        for (MemorySegment s : new MemorySegment[] {logits, targets, out.dlogits(), out.rowLoss(),
                out.rowLse(), out.rowArgmax(), lossOut}) {
            if (s != null && !DeviceBuffer.isDevice(s)) {
                throw new IllegalArgumentException("crossEntropyOnDevice takes GPU memory only");
            }
        }
        if (ce.classWeight() != null || lossOut == null) {
            throw new IllegalArgumentException("crossEntropyOnDevice: no class weights; lossOut is required");
        }
        if (n < 1 || c < 1) throw new IllegalArgumentException("crossEntropyOnDevice: n and c must be >= 1");
        input("logits", logits, (long) n * c, dtype.bytes);
        input("targets", targets, n, 4);
        output("dlogits", out.dlogits(), (long) n * c, dtype.bytes, false);
        output("rowLoss", out.rowLoss(), n, 4, ce.reduction() == Reduction.NONE);
        output("rowLse", out.rowLse(), n, 4, false);
        output("rowArgmax", out.rowArgmax(), n, 4, false);
        output("lossOut", lossOut, 1, 4, true);
        long ws = abi.softmaxCeWorkspaceSize(n);
        long work = slot(5, ws);
        Cuda.check(abi, abi.softmaxCe(n, c, dtype.code, logits.address(), targets.address(), 0,
                ce.ignoreIndex(), ce.reduction().code, ce.labelSmoothing(), ce.zLoss(), ce.gradScale(),
                lossOut.address(), address(out.rowLoss()), address(out.rowLse()),
                address(out.rowArgmax()), address(out.dlogits()), work, ws, stream), "cross-entropy");
    }

    private static long address(MemorySegment s) {
        return s == null ? 0 : s.address();
    }
}
