package org.softmax4j.internal;

import org.softmax4j.cuda.CudaGraph;
import org.softmax4j.cuda.CudaStream;
import org.softmax4j.internal.abi.CudaAbi;

/** {@link CudaStream}: a created (blocking) cudaStream_t of one binding. */
final class GpuStream implements CudaStream {
    private final CudaAbi abi;
    private long handle;

    private GpuStream(CudaAbi abi, long handle) {
        this.abi = abi;
        this.handle = handle;
    }

    static GpuStream create(CudaAbi abi) {
        long[] made = {0};
        Cuda.check(abi, abi.streamCreate(made), "creating a CUDA stream");
        return new GpuStream(abi, made[0]);
    }

    CudaAbi abi() {
        return abi;
    }

    long handle() {
        if (handle == 0) throw new IllegalStateException("the CUDA stream is closed");
        return handle;
    }

    @Override
    public void synchronize() {
        Cuda.check(abi, abi.streamSynchronize(handle()), "synchronizing a CUDA stream");
    }

    @Override
    public void beginCapture() {
        Cuda.check(abi, abi.graphBegin(handle()), "starting a CUDA graph");
    }

    @Override
    public CudaGraph endCapture() {
        long[] made = {0};
        int status = abi.graphEnd(handle(), made);
        if (status != CudaAbi.OK && made[0] != 0) abi.graphDestroy(made[0]);
        Cuda.check(abi, status, "ending a CUDA graph");
        return new Graph(made[0]);
    }

    @Override
    public void close() {
        if (handle == 0) return;
        long h = handle;
        handle = 0;
        Cuda.check(abi, abi.streamDestroy(h), "destroying a CUDA stream");
    }

    /** A graph captured on this stream, launched on it. */
    private final class Graph implements CudaGraph {
        private long graph;

        Graph(long graph) {
            this.graph = graph;
        }

        @Override
        public void launch() {
            if (graph == 0) throw new IllegalStateException("the CUDA graph is closed");
            Cuda.check(abi, abi.graphLaunch(graph, handle()), "launching a CUDA graph");
        }

        @Override
        public void close() {
            if (graph == 0) return;
            long g = graph;
            graph = 0;
            Cuda.check(abi, abi.graphDestroy(g), "destroying a CUDA graph");
        }
    }
}
