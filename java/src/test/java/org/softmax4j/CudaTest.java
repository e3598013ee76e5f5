package org.softmax4j;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import org.softmax4j.cuda.CudaRuntime;

/**
 * Asking for CUDA where there is none fails cleanly, with CUDA's reason; the
 * library loads without a driver (static CUDA runtime). The kernels' own
 * tests run in native/test/test_cuda.c wherever a GPU is present.
 */
class CudaTest {
    private static boolean gpuPresent() {
        try {
            return CudaRuntime.get().deviceCount() > 0;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    @Test
    void withoutAGpuCudaSaysWhy() {
        assumeTrue(!gpuPresent(), "a CUDA device is present: the no-GPU path cannot be shown here");
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, Kernels::cuda);
        assertTrue(e.getMessage().contains("no usable NVIDIA GPU") || e.getMessage().contains("no CUDA library"),
                e.getMessage());
        // and the CPU still works afterwards
        float[] y = new float[3];
        Kernels.cpu().softmax(1, 3, new float[] {1, 2, 3}, y);
        assertTrue(y[2] > y[1] && y[1] > y[0]);
    }
}
