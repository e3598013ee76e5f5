package org.softmax4j.cuda;

/**
 * A recording of kernel launches ({@link CudaStream#endCapture()}) that runs
 * again, all of it, with one call: the launch overhead of thousands of small
 * kernels becomes one. Close it to free it. Not thread-safe.
 */
public interface CudaGraph extends AutoCloseable {

    /** Queues the whole graph on the stream it was recorded from; returns once queued. */
    void launch();

    /** Frees the graph. Idempotent. */
    @Override
    void close();
}
