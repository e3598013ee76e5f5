package org.softmax4j.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentSkipListMap;
import org.softmax4j.cuda.DeviceBuffer;
import org.softmax4j.internal.abi.CudaAbi;

/** {@link DeviceBuffer}: cudaMalloc'ed memory of one binding. */
public final class DeviceMemory implements DeviceBuffer {
    /** Live device ranges, start address to end address, to recognise device segments. */
    private static final ConcurrentSkipListMap<Long, Long> LIVE = new ConcurrentSkipListMap<>();

    private final CudaAbi abi;
    private final long address, bytes;
    private final Arena arena;
    private final MemorySegment segment;

    private DeviceMemory(CudaAbi abi, long address, long bytes) {
        this.abi = abi;
        this.address = address;
        this.bytes = bytes;
        this.arena = Arena.ofShared();
        this.segment = MemorySegment.ofAddress(address).reinterpret(bytes, arena, null);
    }

    /** {@code bytes} of device memory through {@code abi}. */
    static DeviceMemory allocate(CudaAbi abi, long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("bytes = " + bytes + " is negative");
        long[] ptr = {0};
        Cuda.check(abi, abi.malloc(ptr, bytes), "allocating " + bytes + " bytes on the GPU");
        DeviceMemory b = new DeviceMemory(abi, ptr[0], bytes);
        LIVE.put(ptr[0], ptr[0] + Math.max(bytes, 1));
        return b;
    }

    /** Whether {@code s} is (a slice of) a live device buffer's segment. */
    public static boolean isDevice(MemorySegment s) {
        if (s == null || !s.isNative() || LIVE.isEmpty()) return false;
        var e = LIVE.floorEntry(s.address());
        return e != null && s.address() < e.getValue();
    }

    @Override
    public MemorySegment segment() {
        return segment;
    }

    @Override
    public long byteSize() {
        return bytes;
    }

    @Override
    public long address() {
        return address;
    }

    @Override
    public DeviceBuffer copyFrom(MemorySegment host, long offset) {
        range(offset, host.byteSize());
        Cuda.check(
                abi,
                abi.memcpyHost(address + offset, host, host.byteSize(), CudaAbi.HOST_TO_DEVICE, 0),
                "copying to the GPU");
        return this;
    }

    @Override
    public DeviceBuffer copyFrom(DeviceBuffer source) {
        if (!(source instanceof DeviceMemory src) || src.abi != abi) {
            throw new IllegalArgumentException("the source buffer belongs to another binding");
        }
        src.range(0, 0);
        range(0, src.bytes);
        Cuda.check(abi, abi.memcpyDeviceToDevice(address, src.address, src.bytes, 0), "copying on the GPU");
        return this;
    }

    @Override
    public void copyTo(long offset, MemorySegment host) {
        if (host.isReadOnly()) throw new IllegalArgumentException("the host segment is read-only");
        range(offset, host.byteSize());
        Cuda.check(
                abi,
                abi.memcpyHost(address + offset, host, host.byteSize(), CudaAbi.DEVICE_TO_HOST, 0),
                "copying from the GPU");
    }

    @Override
    public void zero(long offset, long bytes) {
        range(offset, bytes);
        Cuda.check(abi, abi.memset(address + offset, 0, bytes, 0), "zeroing GPU memory");
    }

    private void range(long offset, long n) {
        if (!arena.scope().isAlive()) throw new IllegalStateException("the device buffer is closed");
        if (offset < 0 || n > bytes - offset) {
            throw new IllegalArgumentException(
                    n + " bytes at offset " + offset + " do not fit a device buffer of " + bytes + " bytes");
        }
    }

    @Override
    public synchronized void close() {
        if (!arena.scope().isAlive()) return;
        LIVE.remove(address);
        arena.close();
        Cuda.check(abi, abi.free(address), "freeing GPU memory");
    }
}
