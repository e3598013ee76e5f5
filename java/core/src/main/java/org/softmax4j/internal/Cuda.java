package org.softmax4j.internal;

import org.softmax4j.cuda.CudaException;
import org.softmax4j.internal.abi.CudaAbi;

/** CUDA status codes as exceptions. */
final class Cuda {
    private Cuda() {}

    /** Throws for a failed status: bad arguments, or CUDA's error with its text. */
    static void check(CudaAbi abi, int status, String what) {
        switch (status) {
            case CudaAbi.OK -> {}
            case CudaAbi.ERR_CUDA -> throw new CudaException("softmax4j: " + what + ": " + abi.lastError());
            default ->
                throw new IllegalArgumentException(
                        "softmax4j: " + what + ": the CUDA kernel rejected its arguments (status " + status + ")");
        }
    }
}
