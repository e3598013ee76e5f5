package org.softmax4j.bench;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.softmax4j.Binding;
import org.softmax4j.CeOutputs;
import org.softmax4j.CrossEntropy;
import org.softmax4j.DType;
import org.softmax4j.LinearCe;
import org.softmax4j.LinearCeOutputs;
import org.softmax4j.cuda.CudaKernels;
import org.softmax4j.cuda.DeviceBuffer;

/**
 * The GPU benchmarks of bench/gpu/check.sh, each beside its ceiling measured
 * in the same run: fused softmax-CE forward+backward against the
 * device-to-device copy bandwidth, GEMM 4096^3 (float32, TF32, bf16) against
 * cuBLAS (JavaCPP's CUDA preset, when it loads), the fused linear
 * cross-entropy against the materialised path (our GEMM + fused CE + GEMMs,
 * TF32 both). Writes gpu-bench.md to the
 * folder given as the argument.
 *
 * <p>Timing: synchronise, queue R launches, synchronise; the GPU stays busy
 * throughout, so for kernels of a millisecond or more the host clock reads
 * what CUDA events would, and launch costs hide behind the work. Median of 9
 * such rounds, min and max shown. Inputs are random (never zeros), and every
 * result is checked against a second implementation before it is timed.
 */
public final class GpuBench {
    private static final int ROUNDS = 9;
    private final CudaKernels k = CudaKernels.of(Binding.FFM, false);
    private final CudaKernels kTf32 = CudaKernels.of(Binding.FFM, true);
    private final List<String> rows = new ArrayList<>();
    private final SplittableRandom rnd = new SplittableRandom(42);

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : ".");
        Files.createDirectories(out);
        GpuBench b = new GpuBench();
        double copy = b.copyBandwidth();
        b.crossEntropy(8192, 128256, DType.BF16, copy);
        b.crossEntropy(8192, 32768, DType.F32, copy);
        b.gemm(4096);
        b.linearCrossEntropy(8192, 2048, 128256);
        String md = "# softmax4j GPU benchmarks\n\n| what | softmax4j | ceiling or peer | ratio |\n|---|---|---|---|\n"
                + String.join("\n", b.rows) + "\n";
        Files.writeString(out.resolve("gpu-bench.md"), md);
        System.out.print(md);
    }

    /** Median, min and max seconds per launch of {@code body} (R launches per round). */
    private double[] time(int reps, Runnable body) {
        body.run(); // warm-up
        k.synchronize();
        double[] t = new double[ROUNDS];
        for (int r = 0; r < ROUNDS; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) body.run();
            k.synchronize();
            t[r] = (System.nanoTime() - t0) / 1e9 / reps;
        }
        Arrays.sort(t);
        return new double[] {t[ROUNDS / 2], t[0], t[ROUNDS - 1]};
    }

    private void row(String what, String ours, String peer, double ratio) {
        rows.add("| " + what + " | " + ours + " | " + peer + " | "
                + (Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.3fx", ratio)) + " |");
    }

    private static String fmt(double[] t, double scale, String unit) {
        return String.format(Locale.ROOT, "%.1f %s (%.1f-%.1f)", scale / t[0], unit, scale / t[2], scale / t[1]);
    }

    /** Device-to-device copy of 1 GiB, counting bytes read + written; returns GB/s. */
    private double copyBandwidth() {
        long bytes = 1L << 30;
        try (DeviceBuffer a = DeviceBuffer.allocate(bytes);
                DeviceBuffer b = DeviceBuffer.allocate(bytes)) {
            fillRandom(a, bytes / 4, DType.F32);
            double[] t = time(10, () -> b.copyFrom(a));
            row("device-to-device copy (1 GiB)", fmt(t, 2.0 * bytes / 1e9, "GB/s"), "-", Double.NaN);
            return 2.0 * bytes / 1e9 / t[0];
        }
    }

    /** {@code n} random labels in [0, classes) into {@code y}. */
    private void randomLabels(DeviceBuffer y, int n, int classes) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = rnd.nextInt(classes);
        y.copyFrom(t);
    }

    /** {@code count} random values in [-4, 4) of {@code dtype} (float32 or bf16), 64 MiB at a time. */
    private void fillRandom(DeviceBuffer d, long count, DType dtype) {
        fillRandom(d, count, dtype, 4f);
    }

    /** The same in [-amplitude, amplitude). */
    private void fillRandom(DeviceBuffer d, long count, DType dtype, float amplitude) {
        int chunk = 1 << 24;
        float[] f = dtype == DType.F32 ? new float[chunk] : null;
        short[] h = dtype == DType.F32 ? null : new short[chunk];
        for (long at = 0; at < count; at += chunk) {
            int n = (int) Math.min(chunk, count - at);
            for (int i = 0; i < n; i++) {
                float v = (float) (amplitude * (2 * rnd.nextDouble() - 1));
                if (f != null) f[i] = v;
                else h[i] = (short) (Float.floatToRawIntBits(v) >>> 16); // bf16 by truncation
            }
            MemorySegment src = f != null ? MemorySegment.ofArray(f) : MemorySegment.ofArray(h);
            d.copyFrom(src.asSlice(0, (long) n * dtype.byteSize()), at * dtype.byteSize());
        }
    }

    private void crossEntropy(int n, int c, DType dtype, double copyGbs) {
        long elems = (long) n * c, bytes = elems * dtype.byteSize();
        try (DeviceBuffer x = DeviceBuffer.allocate(bytes);
                DeviceBuffer g = DeviceBuffer.allocate(bytes);
                DeviceBuffer y = DeviceBuffer.allocate(4L * n);
                DeviceBuffer loss = DeviceBuffer.allocate(4)) {
            fillRandom(x, elems, dtype);
            randomLabels(y, n, c);
            CrossEntropy ce = CrossEntropy.defaults();
            CeOutputs out = CeOutputs.gradient(g.segment());
            // correctness first: the device-only call against the checked, waiting one
            float checked = k.crossEntropy(ce, n, c, dtype, x.segment(), y.segment(), out);
            k.crossEntropyOnDevice(ce, n, c, dtype, x.segment(), y.segment(), out, loss.segment());
            float[] l = new float[1];
            loss.copyTo(MemorySegment.ofArray(l));
            if (!(Math.abs(l[0] - checked) <= 1e-5 * Math.abs(checked))) {
                throw new IllegalStateException("cross-entropy disagrees with itself: " + l[0] + " vs " + checked);
            }
            double[] s = time(
                    5, () -> k.crossEntropyOnDevice(ce, n, c, dtype, x.segment(), y.segment(), out, loss.segment()));
            double gbs = 2.0 * bytes / 1e9 / s[0];
            row(
                    "softmax-CE fwd+bwd " + dtype.name().toLowerCase(Locale.ROOT) + " N=" + n + " C=" + c,
                    fmt(s, 2.0 * bytes / 1e9, "GB/s"),
                    String.format(Locale.ROOT, "copy %.1f GB/s", copyGbs),
                    gbs / copyGbs);
        }
    }

    private void gemm(int size) {
        long elems = (long) size * size;
        double flop = 2.0 * size * size * size;
        try (DeviceBuffer a = DeviceBuffer.allocate(4 * elems);
                DeviceBuffer b = DeviceBuffer.allocate(4 * elems);
                DeviceBuffer c = DeviceBuffer.allocate(4 * elems);
                DeviceBuffer c2 = DeviceBuffer.allocate(4 * elems);
                DeviceBuffer a16 = DeviceBuffer.allocate(2 * elems);
                DeviceBuffer b16 = DeviceBuffer.allocate(2 * elems)) {
            fillRandom(a, elems, DType.F32);
            fillRandom(b, elems, DType.F32);
            fillRandom(a16, elems, DType.BF16);
            fillRandom(b16, elems, DType.BF16);
            Cublas blas = Cublas.load();
            String what = "SGEMM " + size + "^3";
            for (boolean tf32 : new boolean[] {false, true}) {
                CudaKernels kk = tf32 ? kTf32 : k;
                double[] ours = time(
                        3,
                        () -> kk.sgemm(
                                false,
                                false,
                                size,
                                size,
                                size,
                                1f,
                                a.segment(),
                                size,
                                b.segment(),
                                size,
                                0f,
                                c.segment(),
                                size));
                String label = what + (tf32 ? " TF32" : " FP32");
                if (blas == null) {
                    row(label, fmt(ours, flop / 1e12, "TFLOP/s"), "cuBLAS not loaded", Double.NaN);
                    continue;
                }
                blas.sgemm(size, a.address(), b.address(), c2.address(), tf32);
                k.synchronize();
                double err = maxRelDiff(c, c2, elems);
                double[] ref = time(3, () -> blas.sgemm(size, a.address(), b.address(), c2.address(), tf32));
                row(
                        label + String.format(Locale.ROOT, " (max rel. diff to cuBLAS %.1e)", err),
                        fmt(ours, flop / 1e12, "TFLOP/s"),
                        "cuBLAS " + fmt(ref, flop / 1e12, "TFLOP/s"),
                        ref[0] / ours[0]);
            }
            double[] ours =
                    time(3, () -> k.gemmBf16(false, false, size, size, size, 1f, a16, size, b16, size, 0f, c, size));
            if (blas == null) {
                row(what + " BF16", fmt(ours, flop / 1e12, "TFLOP/s"), "cuBLAS not loaded", Double.NaN);
            } else {
                blas.gemmBf16(size, a16.address(), b16.address(), c2.address());
                k.synchronize();
                double err = maxRelDiff(c, c2, elems);
                double[] ref = time(3, () -> blas.gemmBf16(size, a16.address(), b16.address(), c2.address()));
                row(
                        what + String.format(Locale.ROOT, " BF16 (max rel. diff to cuBLAS %.1e)", err),
                        fmt(ours, flop / 1e12, "TFLOP/s"),
                        "cuBLAS " + fmt(ref, flop / 1e12, "TFLOP/s"),
                        ref[0] / ours[0]);
            }
        }
    }

    /**
     * Fused linear cross-entropy forward+backward (loss, dX, dW, db; TF32
     * GEMMs) against the materialised path on the same GPU: logits = X W^T + b
     * (TF32 SGEMM), our fused CE writing the gradient in place, dX = G W,
     * dW = G^T X, db = column sums. Extra memory: our workspace against the
     * N x V logits the materialised path holds.
     */
    private void linearCrossEntropy(int n, int d, int v) {
        long nv = (long) n * v;
        CrossEntropy ce = CrossEntropy.defaults();
        LinearCe lin = LinearCe.defaults();
        try (DeviceBuffer x = DeviceBuffer.allocate(4L * n * d);
                DeviceBuffer w = DeviceBuffer.allocate(4L * v * d);
                DeviceBuffer b = DeviceBuffer.allocate(4L * v);
                DeviceBuffer y = DeviceBuffer.allocate(4L * n);
                DeviceBuffer dx = DeviceBuffer.allocate(4L * n * d);
                DeviceBuffer dw = DeviceBuffer.allocate(4L * v * d);
                DeviceBuffer db = DeviceBuffer.allocate(4L * v);
                DeviceBuffer loss = DeviceBuffer.allocate(4);
                DeviceBuffer z = DeviceBuffer.allocate(4 * nv)) {
            fillRandom(x, (long) n * d, DType.F32);
            fillRandom(w, (long) v * d, DType.F32, (float) (4 / Math.sqrt(d))); // logits of a few units
            fillRandom(b, v, DType.F32);
            randomLabels(y, n, v);
            LinearCeOutputs out = new LinearCeOutputs(dx.segment(), dw.segment(), db.segment(), null, null);
            Runnable fused = () ->
                    kTf32.linearCrossEntropy(ce, lin, n, d, v, x.segment(), w.segment(), b.segment(), y.segment(), out);
            Runnable materialised = () -> {
                kTf32.sgemm(false, true, n, v, d, 1f, x.segment(), d, w.segment(), d, 0f, z.segment(), v);
                kTf32.addBias(n, v, b.segment(), z.segment());
                kTf32.crossEntropyOnDevice(
                        ce, n, v, DType.F32, z.segment(), y.segment(), CeOutputs.gradient(z.segment()), loss.segment());
                kTf32.sgemm(false, false, n, d, v, 1f, z.segment(), v, w.segment(), d, 0f, dx.segment(), d);
                kTf32.sgemm(true, false, v, d, n, 1f, z.segment(), v, x.segment(), d, 0f, dw.segment(), d);
                kTf32.columnSums(n, v, 1f, z.segment(), 0f, db.segment());
            };
            // correctness first: both paths give the same loss
            float fusedLoss =
                    kTf32.linearCrossEntropy(ce, lin, n, d, v, x.segment(), w.segment(), b.segment(), y.segment(), out);
            materialised.run();
            float[] l = new float[1];
            loss.copyTo(MemorySegment.ofArray(l));
            if (!(Math.abs(l[0] - fusedLoss) <= 1e-3 * Math.abs(fusedLoss))) {
                throw new IllegalStateException("linear CE: fused " + fusedLoss + " vs materialised " + l[0]);
            }
            double[] f = time(1, fused), m = time(1, materialised);
            String shape = "N=" + n + " D=" + d + " V=" + v;
            row(
                    "linear+CE fwd+bwd TF32 " + shape,
                    String.format(Locale.ROOT, "%.1f ms", 1e3 * f[0]),
                    String.format(Locale.ROOT, "materialised %.1f ms", 1e3 * m[0]),
                    m[0] / f[0]);
            long ws = kTf32.linearCrossEntropyWorkspaceBytes(n, d, v, lin);
            row(
                    "  extra memory",
                    String.format(Locale.ROOT, "%.1f MiB", ws / 1048576.0),
                    String.format(Locale.ROOT, "logits %.0f MiB", 4.0 * nv / 1048576.0),
                    4.0 * nv / ws);
        }
        // the same in bf16 (X, W; float32 gradients), beside the TF32 figure: PyTorch's is in step d
        try (DeviceBuffer x = DeviceBuffer.allocate(2L * n * d);
                DeviceBuffer w = DeviceBuffer.allocate(2L * v * d);
                DeviceBuffer y = DeviceBuffer.allocate(4L * n);
                DeviceBuffer dx = DeviceBuffer.allocate(4L * n * d);
                DeviceBuffer dw = DeviceBuffer.allocate(4L * v * d);
                DeviceBuffer db = DeviceBuffer.allocate(4L * v)) {
            fillRandom(x, (long) n * d, DType.BF16);
            fillRandom(w, (long) v * d, DType.BF16, (float) (4 / Math.sqrt(d)));
            randomLabels(y, n, v);
            LinearCeOutputs out = new LinearCeOutputs(dx.segment(), dw.segment(), db.segment(), null, null);
            float loss = k.linearCrossEntropyBf16(ce, lin, n, d, v, x, w, null, y.segment(), out);
            if (!Float.isFinite(loss)) throw new IllegalStateException("linear CE bf16: loss " + loss);
            double[] f = time(1, () -> k.linearCrossEntropyBf16(ce, lin, n, d, v, x, w, null, y.segment(), out));
            row(
                    "linear+CE fwd+bwd bf16 N=" + n + " D=" + d + " V=" + v,
                    String.format(Locale.ROOT, "%.1f ms", 1e3 * f[0]),
                    "PyTorch: step d",
                    Double.NaN);
        }
    }

    /** max |x - y| / max |y| over the first {@code n} floats of two device buffers. */
    private static double maxRelDiff(DeviceBuffer x, DeviceBuffer y, long n) {
        float[] hx = new float[(int) n], hy = new float[(int) n];
        x.copyTo(hx);
        y.copyTo(hy);
        double diff = 0, scale = 0;
        for (int i = 0; i < n; i++) {
            diff = Math.max(diff, Math.abs(hx[i] - hy[i]));
            scale = Math.max(scale, Math.abs(hy[i]));
        }
        return diff / scale;
    }
}
