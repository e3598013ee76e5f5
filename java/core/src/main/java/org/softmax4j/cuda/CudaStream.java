package org.softmax4j.cuda;

/**
 * A CUDA stream of {@link CudaKernels#newStream()}: work queued on it runs in
 * order, after the default stream's earlier work. Close it to destroy it
 * (after its work is done). Not thread-safe.
 */
public interface CudaStream extends AutoCloseable {

    /** Waits until everything queued on this stream is done; throws for any error it had. */
    void synchronize();

    /**
     * Starts recording what is queued on this stream (through
     * {@link CudaKernels#onStream}) instead of running it, until
     * {@link #endCapture()}.
     */
    void beginCapture();

    /**
     * Stops recording and returns what was queued since {@link #beginCapture()}
     * as a graph that replays it, with the arguments as they were recorded.
     * On failure the stream stays usable and nothing recorded has run.
     */
    CudaGraph endCapture();

    /** Destroys the stream. Idempotent. */
    @Override
    void close();
}
