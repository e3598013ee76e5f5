package org.softmax4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.softmax4j.cuda.CudaKernels;
import org.softmax4j.cuda.DeviceBuffer;

/**
 * CUDA beyond the shared suites (SoftmaxCrossEntropyTest, GemmTest and
 * BadInputTest run against the CUDA kernels wherever a GPU is present):
 * without one, asking for CUDA fails cleanly with CUDA's reason and nothing
 * else changes; with one, device-resident calls, the device-only entry
 * points of the trainer, and what the CPU kernels do with GPU memory.
 */
class CudaTest {

    @ParameterizedTest
    @EnumSource(Binding.class)
    void withoutAGpuCudaSaysWhy(Binding binding) {
        assumeTrue(
                !Impl.gpuPresent() && System.getProperty("softmax4j.cuda.library") == null,
                "a CUDA device (or the emulator) is present: the no-GPU path cannot be shown here");
        UnsupportedOperationException e =
                assertThrows(UnsupportedOperationException.class, () -> Kernels.cuda(binding));
        assertTrue(e.getMessage().contains("no usable NVIDIA GPU"), e.getMessage());
        // the runtime's "driver version is insufficient" means no driver at all as often: say which
        assertTrue(
                e.getMessage().contains("no NVIDIA driver found (libcuda.so.1 cannot be loaded)")
                        || e.getMessage().contains("update the driver")
                        || e.getMessage().contains("no CUDA device"),
                e.getMessage());
        assertThrows(UnsupportedOperationException.class, () -> DeviceBuffer.allocate(16));
        // and the CPU still works afterwards
        float[] y = new float[3];
        Kernels.cpu(binding).softmax(1, 3, new float[] {1, 2, 3}, y);
        assertTrue(y[2] > y[1] && y[1] > y[0]);
    }

    @ParameterizedTest
    @EnumSource(Binding.class)
    void deviceResidentStepMatchesTheCpu(Binding binding) {
        assumeTrue(Impl.gpuPresent(binding), "no usable CUDA device here through " + binding);
        CudaKernels gpu = (CudaKernels) Kernels.cuda(binding);
        Kernels cpu = Kernels.cpu(binding);
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        int n = 200, f = 37, c = 10;
        float[] x = new float[n * f], w = new float[f * c], b = new float[c];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) x[i] = rnd.nextFloat();
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < c; i++) b[i] = rnd.nextFloat();
        for (int i = 0; i < n; i++) y[i] = rnd.nextInt(c);
        try (DeviceBuffer dx = DeviceBuffer.allocate(4L * x.length).copyFrom(x);
                DeviceBuffer dw = DeviceBuffer.allocate(4L * w.length).copyFrom(w);
                DeviceBuffer db = DeviceBuffer.allocate(4L * c).copyFrom(b);
                DeviceBuffer dy = DeviceBuffer.allocate(4L * n).copyFrom(y);
                DeviceBuffer dz = DeviceBuffer.allocate(4L * n * c);
                DeviceBuffer dam = DeviceBuffer.allocate(4L * n);
                DeviceBuffer loss = DeviceBuffer.allocate(4);
                DeviceBuffer sum = DeviceBuffer.allocate(8);
                DeviceBuffer correct = DeviceBuffer.allocate(8)) {
            gpu.sgemm(false, false, n, c, f, 1f, dx.segment(), f, dw.segment(), c, 0f, dz.segment(), c);
            gpu.addBias(n, c, db.segment(), dz.segment());
            sum.zero(0, 8);
            correct.zero(0, 8);
            gpu.crossEntropyOnDevice(
                    CrossEntropy.defaults(),
                    n,
                    c,
                    DType.F32,
                    dz.segment(),
                    dy.segment(),
                    CeOutputs.gradient(dz.segment()).withRowArgmax(dam.segment()),
                    loss.segment());
            gpu.stepStats(n, loss.segment(), n, dam.segment(), dy.segment(), sum.segment(), correct.segment());
            float[] grad = new float[n * c], lossHost = new float[1];
            long[] ok = new long[1];
            double[] total = new double[1];
            dz.copyTo(grad);
            loss.copyTo(MemorySegment.ofArray(lossHost));
            correct.copyTo(MemorySegment.ofArray(ok));
            sum.copyTo(MemorySegment.ofArray(total));

            float[] z = new float[n * c];
            int[] am = new int[n];
            cpu.sgemm(false, false, n, c, f, 1f, x, f, w, c, 0f, z, c);
            cpu.addBias(n, c, b, z);
            float cpuLoss = cpu.crossEntropy(
                    CrossEntropy.defaults(), n, c, z, y, CeOutputs.gradient(z).withRowArgmax(am));
            long cpuOk = 0;
            for (int i = 0; i < n; i++) if (am[i] == y[i]) cpuOk++;
            assertEquals(cpuLoss, lossHost[0], 1e-5 * Math.abs(cpuLoss), "seed " + seed);
            assertEquals(cpuOk, ok[0], "seed " + seed);
            assertEquals(cpuLoss * n, total[0], 1e-4 * Math.abs(cpuLoss * n), "seed " + seed);
            for (int i = 0; i < grad.length; i++) assertEquals(z[i], grad[i], 1e-6, "seed " + seed + " at " + i);
        }
    }

    @ParameterizedTest
    @EnumSource(Binding.class)
    void cpuKernelsRejectGpuMemoryAndClosedBuffersAreRejected(Binding binding) {
        assumeTrue(Impl.gpuPresent(binding), "no usable CUDA device here through " + binding);
        DeviceBuffer d = DeviceBuffer.allocate(64);
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> Kernels.cpu(binding).softmax(1, 16, d.segment(), MemorySegment.ofArray(new float[16])));
        assertTrue(e.getMessage().contains("GPU memory"), e.getMessage());
        float[] back = new float[16];
        d.copyFrom(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
                .copyTo(back);
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, back);
        d.close();
        d.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> d.copyTo(back));
        assertThrows(
                IllegalArgumentException.class, () -> Kernels.cuda(binding).softmax(1, 16, d.segment(), d.segment()));
    }

    /**
     * Fused linear cross-entropy with everything on the GPU and TF32 GEMMs:
     * the CPU kernel's loss and gradients to TF32 accuracy; at the GPU
     * benchmark shape (N=8192, V=128256) the workspace stays under 1% of the logits.
     */
    @ParameterizedTest
    @EnumSource(Binding.class)
    void linearCrossEntropyOnDeviceMemory(Binding binding) {
        assumeTrue(Impl.gpuPresent(binding), "no usable CUDA device here through " + binding);
        CudaKernels gpu = CudaKernels.of(binding, true);
        long logits = 8192L * 128256 * 4;
        long ws = gpu.linearCrossEntropyWorkspaceBytes(8192, 2048, 128256, LinearCe.defaults());
        assertTrue(ws > 0 && ws <= logits / 100, "workspace " + ws + " of logits " + logits);

        int n = 200, d = 48, v = 2100; // two class blocks
        Random r = new Random();
        float[] x = new float[n * d], w = new float[v * d], b = new float[v];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian() / 8;
        for (int i = 0; i < v; i++) b[i] = (float) r.nextGaussian();
        for (int i = 0; i < n; i++) y[i] = r.nextInt(4) == 0 ? -100 : r.nextInt(v);
        CrossEntropy ce = CrossEntropy.defaults().withLabelSmoothing(0.1f);
        LinearCe lin = LinearCe.defaults().withSoftcap(30f);
        float[] dx = new float[n * d], dw = new float[v * d], db = new float[v];
        float want = Kernels.cpu(binding)
                .linearCrossEntropy(ce, lin, n, d, v, x, w, b, y, LinearCeOutputs.gradients(dx, dw, db));
        try (DeviceBuffer gx = DeviceBuffer.allocate(4L * x.length).copyFrom(x);
                DeviceBuffer gw = DeviceBuffer.allocate(4L * w.length).copyFrom(w);
                DeviceBuffer gb = DeviceBuffer.allocate(4L * v).copyFrom(b);
                DeviceBuffer gy = DeviceBuffer.allocate(4L * n).copyFrom(y);
                DeviceBuffer gdx = DeviceBuffer.allocate(4L * dx.length);
                DeviceBuffer gdw = DeviceBuffer.allocate(4L * dw.length);
                DeviceBuffer gdb = DeviceBuffer.allocate(4L * v)) {
            float got = gpu.linearCrossEntropy(
                    ce,
                    lin,
                    n,
                    d,
                    v,
                    gx.segment(),
                    gw.segment(),
                    gb.segment(),
                    gy.segment(),
                    new LinearCeOutputs(gdx.segment(), gdw.segment(), gdb.segment(), null, null));
            assertEquals(want, got, 2e-3 * Math.abs(want));
            float[] gotDx = new float[dx.length], gotDw = new float[dw.length], gotDb = new float[v];
            gdx.copyTo(gotDx);
            gdw.copyTo(gotDw);
            gdb.copyTo(gotDb);
            assertTrue(relErr(gotDx, dx) < 5e-3, "dx " + relErr(gotDx, dx));
            assertTrue(relErr(gotDw, dw) < 5e-3, "dw " + relErr(gotDw, dw));
            assertTrue(relErr(gotDb, db) < 5e-3, "db " + relErr(gotDb, db));
        }
    }

    /** bfloat16 X and W: the CPU kernel's results on the same (rounded) values, to bf16 accuracy. */
    @ParameterizedTest
    @EnumSource(Binding.class)
    void linearCrossEntropyWithBf16Inputs(Binding binding) {
        assumeTrue(Impl.gpuPresent(binding), "no usable CUDA device here through " + binding);
        CudaKernels gpu = CudaKernels.of(binding, false);
        int n = 70, d = 40, v = 300;
        Random r = new Random();
        float[] x = new float[n * d], w = new float[v * d];
        short[] x16 = new short[x.length], w16 = new short[w.length];
        int[] y = new int[n];
        for (int i = 0; i < x.length; i++)
            x[i] = HalfFloats.bf16ToFloat(x16[i] = HalfFloats.floatToBf16((float) r.nextGaussian()));
        for (int i = 0; i < w.length; i++)
            w[i] = HalfFloats.bf16ToFloat(w16[i] = HalfFloats.floatToBf16((float) r.nextGaussian() / 4));
        for (int i = 0; i < n; i++) y[i] = r.nextInt(5) == 0 ? -100 : r.nextInt(v);
        CrossEntropy ce = CrossEntropy.defaults().withZLoss(1e-3f);
        LinearCe lin = LinearCe.defaults().withBlockClasses(128);
        float[] dx = new float[n * d], dw = new float[v * d], db = new float[v];
        float want = Kernels.cpu(binding)
                .linearCrossEntropy(ce, lin, n, d, v, x, w, null, y, LinearCeOutputs.gradients(dx, dw, db));
        float[] gotDx = new float[dx.length], gotDw = new float[dw.length], gotDb = new float[v];
        try (DeviceBuffer gx = DeviceBuffer.allocate(2L * x.length).copyFrom(MemorySegment.ofArray(x16));
                DeviceBuffer gw = DeviceBuffer.allocate(2L * w.length).copyFrom(MemorySegment.ofArray(w16))) {
            float got = gpu.linearCrossEntropyBf16(
                    ce,
                    lin,
                    n,
                    d,
                    v,
                    gx,
                    gw,
                    null,
                    MemorySegment.ofArray(y),
                    LinearCeOutputs.gradients(gotDx, gotDw, gotDb));
            assertEquals(want, got, 2e-3 * Math.abs(want));
            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class,
                    () -> gpu.linearCrossEntropyBf16(
                            ce, lin, n, d + 1, v, gx, gw, null, MemorySegment.ofArray(y), LinearCeOutputs.none()));
            assertTrue(e.getMessage().contains("x holds"), e.getMessage());
        }
        assertTrue(relErr(gotDx, dx) < 2e-2, "dx " + relErr(gotDx, dx));
        assertTrue(relErr(gotDw, dw) < 2e-2, "dw " + relErr(gotDw, dw));
        assertTrue(relErr(gotDb, db) < 1e-3, "db " + relErr(gotDb, db));
    }

    private static double relErr(float[] got, float[] want) {
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            num += (got[i] - want[i]) * (double) (got[i] - want[i]);
            den += want[i] * (double) want[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-30));
    }
}
