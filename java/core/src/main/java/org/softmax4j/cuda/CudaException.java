package org.softmax4j.cuda;

/** A CUDA call failed; the message carries CUDA's own error text. */
public final class CudaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CudaException(String message) {
        super(message);
    }
}
