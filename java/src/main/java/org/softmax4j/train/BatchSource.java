package org.softmax4j.train;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.LockSupport;
import org.softmax4j.Kernels;
import org.softmax4j.data.Dataset;

/**
 * Supplies the input of each training step: the batch's rows of pixels,
 * gathered and scaled to [0, 1] floats by {@link Kernels#gatherScaled}, and
 * its labels. Either inline (each batch gathered when asked for) or
 * prefetching: a background thread gathers batch s+1 into the second of two
 * buffers while the caller trains on batch s. Gathering shuffled rows out of
 * 47 MB is bound by memory latency, not compute, so on two cores it overlaps
 * almost fully with the GEMMs and the cross-entropy of the step. The data are
 * identical either way (the same kernel writes the same bytes), so results do
 * not depend on the choice.
 *
 * <p>Protocol per epoch: {@link #startEpoch}, then for s = 0, 1, ...:
 * {@link #acquire}(s), train on {@link #x}/{@link #targets} of
 * {@link #slot}(s), {@link #release}(s). Nothing is allocated per batch;
 * the threads hand over batches through two volatile counters.
 */
final class BatchSource implements AutoCloseable {
    /**
     * Busy-wait this long before parking. Short: on two cores a spinning thread
     * steals time from the JIT compiler and the other thread (measured: 50 us
     * of spinning made epochs slower than parking at once).
     */
    private static final long SPIN_NANOS = 2_000;

    private final Kernels kernels;
    private final Dataset data;
    private final int features;
    private final MemorySegment src;
    private final int slots;
    private final float[][] x;
    private final MemorySegment[] xSeg;
    private final int[][] index;
    private final MemorySegment[] indexSeg;
    private final int[][] targets;
    private final MemorySegment[] targetsSeg;
    private final Thread worker;
    private final Thread owner;

    // The current epoch's job, published by the volatile write of jobId.
    private int[] order;
    private int n;
    private int batch;
    private int batches;
    private volatile long jobId;
    private volatile int produced;
    private volatile int consumed;
    private volatile boolean closed;
    private volatile Throwable failure;

    /**
     * @param prefetch gather on a background thread (two buffers) instead of inline
     */
    BatchSource(Kernels kernels, Dataset data, int maxBatch, boolean prefetch) {
        this.kernels = kernels;
        this.data = data;
        this.features = data.features();
        this.src = MemorySegment.ofArray(data.sourcePixels());
        this.slots = prefetch ? 2 : 1;
        x = new float[slots][];
        xSeg = new MemorySegment[slots];
        index = new int[slots][];
        indexSeg = new MemorySegment[slots];
        targets = new int[slots][];
        targetsSeg = new MemorySegment[slots];
        for (int i = 0; i < slots; i++) {
            x[i] = new float[Math.multiplyExact(maxBatch, features)];
            xSeg[i] = MemorySegment.ofArray(x[i]);
            index[i] = new int[maxBatch];
            indexSeg[i] = MemorySegment.ofArray(index[i]);
            targets[i] = new int[maxBatch];
            targetsSeg[i] = MemorySegment.ofArray(targets[i]);
        }
        owner = Thread.currentThread();
        if (prefetch) {
            worker = new Thread(this::work, "softmax4j-gather");
            worker.setDaemon(true);
            worker.start();
        } else {
            worker = null;
        }
    }

    /** Begins an epoch over {@code order} (source rows) in batches of {@code batch}. */
    void startEpoch(int[] order, int n, int batch) {
        this.order = order;
        this.n = n;
        this.batch = batch;
        this.batches = (n + batch - 1) / batch;
        produced = 0;
        consumed = 0;
        if (worker != null) {
            jobId = jobId + 1; // publishes the fields above
            LockSupport.unpark(worker);
        }
    }

    /** Waits until batch s is ready and returns its row count. */
    int acquire(int s) {
        if (worker == null) {
            gather(s, 0);
        } else {
            long spinUntil = 0;
            while (produced <= s) {
                Throwable t = failure;
                if (t != null) throw new IllegalStateException("gathering a batch failed: " + t, t);
                spinUntil = waitABit(spinUntil);
            }
        }
        return Math.min(batch, n - s * batch);
    }

    /** The buffer slot of batch s. */
    int slot(int s) {
        return s % slots;
    }

    MemorySegment x(int slot) {
        return xSeg[slot];
    }

    int[] targets(int slot) {
        return targets[slot];
    }

    MemorySegment targetsSegment(int slot) {
        return targetsSeg[slot];
    }

    /** Hands batch s's buffer back for reuse. */
    void release(int s) {
        consumed = s + 1;
        if (worker != null) LockSupport.unpark(worker);
    }

    private void gather(int s, int slot) {
        int from = s * batch, rows = Math.min(batch, n - from);
        int[] idx = index[slot], tgt = targets[slot];
        System.arraycopy(order, from, idx, 0, rows);
        for (int i = 0; i < rows; i++) tgt[i] = data.labelOfSourceRow(idx[i]);
        kernels.gatherScaled(rows, features, src, data.sourceRows(), indexSeg[slot],
                MinibatchStep.PIXEL_SCALE, xSeg[slot]);
    }

    private void work() {
        long seen = 0;
        try {
            while (true) {
                long spinUntil = 0;
                while (jobId == seen && !closed) spinUntil = waitABit(spinUntil);
                if (closed) return;
                seen = jobId;
                for (int s = 0; s < batches; s++) {
                    spinUntil = 0;
                    // slot s % 2 held batch s - 2: free once the trainer released it
                    while (consumed < s - 1 && !closed) spinUntil = waitABit(spinUntil);
                    if (closed) return;
                    gather(s, s % slots);
                    produced = s + 1;
                    LockSupport.unpark(owner);
                }
            }
        } catch (Throwable t) {
            failure = t;
            LockSupport.unpark(owner);
        }
    }

    /** Spins for {@link #SPIN_NANOS}, then parks briefly; returns the spin deadline. */
    private static long waitABit(long spinUntil) {
        long now = System.nanoTime();
        if (spinUntil == 0) return now + SPIN_NANOS;
        if (now < spinUntil) {
            Thread.onSpinWait();
        } else {
            LockSupport.parkNanos(200_000);
        }
        return spinUntil;
    }

    @Override
    public void close() {
        closed = true;
        if (worker != null) {
            LockSupport.unpark(worker);
            try {
                worker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
