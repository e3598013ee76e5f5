/**
 * The CUDA backend: {@link org.softmax4j.cuda.CudaKernels} (the
 * {@link org.softmax4j.Kernels} of the GPU plus device memory, streams and
 * graphs), {@link org.softmax4j.cuda.DeviceBuffer},
 * {@link org.softmax4j.cuda.CudaStream}, {@link org.softmax4j.cuda.CudaGraph}.
 * The CUDA library loads only when one of them is asked for.
 */
package org.softmax4j.cuda;
