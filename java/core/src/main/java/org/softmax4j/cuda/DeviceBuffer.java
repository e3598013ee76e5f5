package org.softmax4j.cuda;

import java.lang.foreign.MemorySegment;
import org.softmax4j.Binding;
import org.softmax4j.internal.DeviceMemory;

/**
 * Memory on the GPU. Its {@link #segment()} is what {@link CudaKernels} take
 * to work on device data without copies; Java code must never read such a
 * segment (it holds a device address): the CPU and reference kernels reject
 * it with an exception. Copies to and from the host are synchronous. Close
 * the buffer to free the memory; its segments are then invalid.
 *
 * <pre>{@code
 * try (DeviceBuffer logits = DeviceBuffer.allocate(4L * n * c)) {
 *     logits.copyFrom(hostLogits);
 *     float loss = Kernels.cuda().crossEntropy(ce, n, c, DType.F32, logits.segment(), ...);
 * }
 * }</pre>
 */
public interface DeviceBuffer extends AutoCloseable {

    /**
     * {@code bytes} of device memory (uninitialised) through the configured binding.
     *
     * @throws UnsupportedOperationException without a usable GPU
     */
    static DeviceBuffer allocate(long bytes) {
        return CudaKernels.of(Binding.configured(), false).allocate(bytes);
    }

    /** Whether {@code s} is (a slice of) a live device buffer's segment. */
    static boolean isDevice(MemorySegment s) {
        return DeviceMemory.isDevice(s);
    }

    /** The device memory as a segment for {@link CudaKernels}; never read it from Java. */
    MemorySegment segment();

    long byteSize();

    /** The device address. */
    long address();

    /** Copies {@code host.byteSize()} bytes from the host to {@code offset} bytes into this buffer. */
    DeviceBuffer copyFrom(MemorySegment host, long offset);

    /** Copies {@code host.byteSize()} bytes from {@code offset} bytes into this buffer to the host. */
    void copyTo(long offset, MemorySegment host);

    /**
     * Copies all of {@code source}, a buffer of the same binding no larger
     * than this one, to the start of this buffer on the GPU (queued on the
     * default stream: it does not wait).
     */
    DeviceBuffer copyFrom(DeviceBuffer source);

    /** Sets {@code bytes} bytes from {@code offset} to zero (queued on the default stream). */
    void zero(long offset, long bytes);

    /** Frees the device memory; later use of the buffer or its segments fails. Idempotent. */
    @Override
    void close();

    /** Copies {@code host.byteSize()} bytes from the host to the start of this buffer. */
    default DeviceBuffer copyFrom(MemorySegment host) {
        return copyFrom(host, 0);
    }

    default DeviceBuffer copyFrom(float[] host) {
        return copyFrom(MemorySegment.ofArray(host));
    }

    default DeviceBuffer copyFrom(int[] host) {
        return copyFrom(MemorySegment.ofArray(host));
    }

    default DeviceBuffer copyFrom(byte[] host) {
        return copyFrom(MemorySegment.ofArray(host));
    }

    /** Copies {@code host.byteSize()} bytes from the start of this buffer to the host. */
    default void copyTo(MemorySegment host) {
        copyTo(0, host);
    }

    default void copyTo(float[] host) {
        copyTo(MemorySegment.ofArray(host));
    }

    default void copyTo(int[] host) {
        copyTo(MemorySegment.ofArray(host));
    }
}
