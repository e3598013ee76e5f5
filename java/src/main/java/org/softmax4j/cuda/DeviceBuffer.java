package org.softmax4j.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentSkipListMap;
import org.softmax4j.Binding;

/**
 * Memory on the GPU. Its {@link #segment()} is what {@link CudaKernels} take
 * to work on device data without copies; Java code must never read such a
 * segment (it holds a device address): the CPU and reference kernels reject
 * it with an exception. Copies to and from the host are synchronous.
 * Close the buffer to free the memory; its segments are then invalid.
 *
 * <pre>{@code
 * try (DeviceBuffer logits = DeviceBuffer.allocate(4L * n * c)) {
 *     logits.copyFrom(hostLogits);
 *     float loss = Kernels.cuda().crossEntropy(ce, n, c, DType.F32, logits.segment(), ...);
 * }
 * }</pre>
 */
public final class DeviceBuffer implements AutoCloseable {
    /** Live device ranges, start address to end address, to recognise device segments. */
    private static final ConcurrentSkipListMap<Long, Long> LIVE = new ConcurrentSkipListMap<>();

    private final CudaAbi abi;
    private final long address, bytes;
    private final Arena arena;
    private final MemorySegment segment;

    private DeviceBuffer(CudaAbi abi, long address, long bytes) {
        this.abi = abi;
        this.address = address;
        this.bytes = bytes;
        this.arena = Arena.ofShared();
        this.segment = MemorySegment.ofAddress(address).reinterpret(bytes, arena, null);
    }

    /** {@code bytes} of device memory (uninitialised) through the default binding. */
    public static DeviceBuffer allocate(long bytes) {
        return allocate(Cuda.abi(Binding.fromSystemProperty()), bytes);
    }

    /** {@code bytes} of device memory through {@code abi}. */
    public static DeviceBuffer allocate(CudaAbi abi, long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("bytes = " + bytes + " is negative");
        long[] ptr = {0};
        Cuda.check(abi, abi.malloc(ptr, bytes), "allocating " + bytes + " bytes on the GPU");
        DeviceBuffer b = new DeviceBuffer(abi, ptr[0], bytes);
        LIVE.put(ptr[0], ptr[0] + Math.max(bytes, 1));
        return b;
    }

    /** Whether {@code s} is (a slice of) a live device buffer's segment. */
    public static boolean isDevice(MemorySegment s) {
        if (s == null || !s.isNative() || LIVE.isEmpty()) return false;
        var e = LIVE.floorEntry(s.address());
        return e != null && s.address() < e.getValue();
    }

    /** The device memory as a segment for {@link CudaKernels}; never read it from Java. */
    public MemorySegment segment() {
        return segment;
    }

    public long byteSize() {
        return bytes;
    }

    /** The device address. */
    public long address() {
        return address;
    }

    /** Copies {@code host.byteSize()} bytes from the host to the start of this buffer. */
    public DeviceBuffer copyFrom(MemorySegment host) {
        return copyFrom(host, 0);
    }

    /** Copies {@code host.byteSize()} bytes from the host to {@code offset} bytes into this buffer. */
    public DeviceBuffer copyFrom(MemorySegment host, long offset) {
        range(offset, host.byteSize());
        Cuda.check(abi, abi.memcpyHost(address + offset, host, host.byteSize(), CudaAbi.HOST_TO_DEVICE, 0),
                "copying to the GPU");
        return this;
    }

    public DeviceBuffer copyFrom(float[] host) {
        return copyFrom(MemorySegment.ofArray(host));
    }

    public DeviceBuffer copyFrom(int[] host) {
        return copyFrom(MemorySegment.ofArray(host));
    }

    public DeviceBuffer copyFrom(byte[] host) {
        return copyFrom(MemorySegment.ofArray(host));
    }

    /** Copies {@code host.byteSize()} bytes from the start of this buffer to the host. */
    public void copyTo(MemorySegment host) {
        copyTo(0, host);
    }

    /** Copies {@code host.byteSize()} bytes from {@code offset} bytes into this buffer to the host. */
    public void copyTo(long offset, MemorySegment host) {
        if (host.isReadOnly()) throw new IllegalArgumentException("the host segment is read-only");
        range(offset, host.byteSize());
        Cuda.check(abi, abi.memcpyHost(address + offset, host, host.byteSize(), CudaAbi.DEVICE_TO_HOST, 0),
                "copying from the GPU");
    }

    public void copyTo(float[] host) {
        copyTo(MemorySegment.ofArray(host));
    }

    public void copyTo(int[] host) {
        copyTo(MemorySegment.ofArray(host));
    }

    /** Sets {@code bytes} bytes from {@code offset} to zero (queued on the default stream). */
    public void zero(long offset, long bytes) {
        range(offset, bytes);
        Cuda.check(abi, abi.memset(address + offset, 0, bytes, 0), "zeroing GPU memory");
    }

    private void range(long offset, long n) {
        if (!arena.scope().isAlive()) throw new IllegalStateException("the device buffer is closed");
        if (offset < 0 || n > bytes - offset) {
            throw new IllegalArgumentException(n + " bytes at offset " + offset
                    + " do not fit a device buffer of " + bytes + " bytes");
        }
    }

    /** Frees the device memory; later use of the buffer or its segments fails. Idempotent. */
    @Override
    public synchronized void close() {
        if (!arena.scope().isAlive()) return;
        LIVE.remove(address);
        arena.close();
        Cuda.check(abi, abi.free(address), "freeing GPU memory");
    }
}
