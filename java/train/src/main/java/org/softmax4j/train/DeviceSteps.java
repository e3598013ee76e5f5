package org.softmax4j.train;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.softmax4j.CeOutputs;
import org.softmax4j.CrossEntropy;
import org.softmax4j.DType;
import org.softmax4j.cuda.CudaException;
import org.softmax4j.cuda.CudaGraph;
import org.softmax4j.cuda.CudaKernels;
import org.softmax4j.cuda.CudaStream;
import org.softmax4j.cuda.DeviceBuffer;
import org.softmax4j.data.Dataset;
import org.softmax4j.data.Features;
import org.softmax4j.data.Scaler;

/**
 * Training steps with everything on the GPU: the stored features (uint8 or
 * float), their scaling and the labels are uploaded once, each epoch's order once, and a step is a sequence of
 * kernel launches on device buffers (gather, GEMM, bias, fused
 * cross-entropy, running loss and accuracy, GEMM, column sums, SGD) with
 * no copy and no wait. The host reads the epoch's loss and accuracy once
 * at its end, and the parameters when the trainer asks for them.
 *
 * <p>An epoch's steps are queued at its end, on a stream of their own. When
 * an epoch repeats the previous one's steps (same batches, learning rate,
 * momentum and weight decay: a constant learning rate), they are recorded
 * once as a CUDA graph and each later epoch is one graph launch instead of
 * ~2,000 kernel launches: the step is launch-bound. A schedule that changes
 * the learning rate every step runs eagerly, as does everything if
 * recording fails.
 */
final class DeviceSteps implements TrainingSteps {
    private static final CrossEntropy CE = CrossEntropy.defaults();

    private final CudaKernels k;
    private final TrainingState state;
    private final int features, classes, batchRows;
    private final List<DeviceBuffer> owned = new ArrayList<>();
    /** Each feature matrix and per-column scaling array on the GPU, uploaded once (splits share them). */
    private final Map<Object, DeviceBuffer> uploaded = new IdentityHashMap<>();

    private final Map<Dataset, DeviceBuffer[]> evalSets = new IdentityHashMap<>();
    private final Dataset train;
    private final DeviceBuffer order, orderLabels, x, z, argmax, loss, sums;
    private final DeviceBuffer w, b, gw, gb, vw, vb;
    private final int[] hostLabels;
    private final CudaStream stream;

    /** One step's arguments: an epoch is a list of them. */
    private record Step(int from, int rows, float lr, float momentum, float weightDecay) {}

    private final List<Step> epoch = new ArrayList<>();
    private List<Step> lastEager = List.of(), graphSteps = List.of();
    private CudaGraph graph;
    private boolean graphsFailed;
    /** Epochs that ran as one graph launch, over all instances: what the tests check. */
    static final AtomicLong GRAPH_EPOCHS = new AtomicLong();

    DeviceSteps(CudaKernels kernels, TrainingState state, Dataset train, int batch) {
        this.stream = kernels.newStream();
        this.k = kernels.onStream(stream);
        this.state = state;
        this.train = train;
        features = state.model.features();
        classes = state.model.classes();
        batchRows = Math.max(batch, Evaluator.DEFAULT_BATCH);
        int n = train.size();
        order = buffer(4L * n);
        orderLabels = buffer(4L * n);
        hostLabels = new int[n];
        x = buffer(4L * batchRows * features);
        z = buffer(4L * batchRows * classes);
        argmax = buffer(4L * batchRows);
        loss = buffer(4);
        sums = buffer(32); // [loss sum (double), right guesses (int64)] for training, then for evaluation
        w = buffer(4L * features * classes).copyFrom(state.model.weights());
        b = buffer(4L * classes).copyFrom(state.model.bias());
        gw = buffer(4L * features * classes);
        gb = buffer(4L * classes);
        vw = state.velocityW == null ? null : buffer(4L * features * classes).copyFrom(state.velocityW);
        vb = state.velocityB == null ? null : buffer(4L * classes).copyFrom(state.velocityB);
        featuresOf(train);
    }

    private DeviceBuffer buffer(long bytes) {
        DeviceBuffer d = k.allocate(bytes);
        owned.add(d);
        return d;
    }

    /** The data set's stored features on the GPU. */
    private DeviceBuffer featuresOf(Dataset data) {
        Features f = data.matrix();
        return uploaded.computeIfAbsent(f, k -> {
            MemorySegment bytes =
                    f.data().asSlice(0, f.rows() * f.columns() * f.type().byteSize());
            return buffer(bytes.byteSize()).copyFrom(bytes);
        });
    }

    /** A per-column array of a scaler on the GPU, or null. */
    private MemorySegment deviceArray(float[] a) {
        return a == null
                ? null
                : uploaded.computeIfAbsent(a, k -> buffer(4L * a.length).copyFrom(a))
                        .segment();
    }

    @Override
    public void startEpoch(int[] rows, int n) {
        for (int i = 0; i < n; i++) hostLabels[i] = train.labelOfSourceRow(rows[i]);
        order.copyFrom(MemorySegment.ofArray(rows).asSlice(0, 4L * n));
        orderLabels.copyFrom(MemorySegment.ofArray(hostLabels).asSlice(0, 4L * n));
        sums.zero(0, 16);
    }

    @Override
    public void step(int from, int rows, float lr, float momentum, float weightDecay) {
        epoch.add(new Step(from, rows, lr, momentum, weightDecay));
    }

    /** Queues one step's kernels. */
    private void run(Step s) {
        int from = s.from(), rows = s.rows();
        MemorySegment index = order.segment().asSlice(4L * from, 4L * rows);
        MemorySegment targets = orderLabels.segment().asSlice(4L * from, 4L * rows);
        forward(train, rows, index, targets, 0);
        int f = features, c = classes;
        k.sgemm(true, false, f, c, rows, 1f, x.segment(), f, z.segment(), c, 0f, gw.segment(), c);
        k.columnSums(rows, c, 1f, z.segment(), 0f, gb.segment());
        k.sgdStep(
                (long) f * c,
                s.lr(),
                s.momentum(),
                s.weightDecay(),
                w.segment(),
                gw.segment(),
                vw == null ? null : vw.segment());
        k.sgdStep(c, s.lr(), s.momentum(), 0f, b.segment(), gb.segment(), vb == null ? null : vb.segment());
    }

    /**
     * Logits of rows {@code index} of {@code data}, their mean loss (and, in
     * place, its gradient) and argmax, added to the running sums at {@code sumsAt}.
     */
    private void forward(Dataset data, int rows, MemorySegment index, MemorySegment targets, long sumsAt) {
        int f = features, c = classes;
        Scaler sc = data.scaler();
        k.gatherRows(
                rows,
                f,
                data.matrix().type(),
                featuresOf(data).segment(),
                data.sourceRows(),
                index,
                sc.scale(),
                deviceArray(sc.shift()),
                deviceArray(sc.colScale()),
                x.segment());
        k.sgemm(false, false, rows, c, f, 1f, x.segment(), f, w.segment(), c, 0f, z.segment(), c);
        k.addBias(rows, c, b.segment(), z.segment());
        k.crossEntropyOnDevice(
                CE,
                rows,
                c,
                DType.F32,
                z.segment(),
                targets,
                CeOutputs.gradient(z.segment()).withRowArgmax(argmax.segment()),
                loss.segment());
        k.stepStats(
                rows,
                loss.segment(),
                rows,
                argmax.segment(),
                targets,
                sums.segment().asSlice(sumsAt, 8),
                sums.segment().asSlice(sumsAt + 8, 8));
    }

    @Override
    public double[] finishEpoch() {
        if (graph != null && epoch.equals(graphSteps)) {
            graph.launch();
            GRAPH_EPOCHS.incrementAndGet();
        } else if (!graphsFailed && epoch.equals(lastEager)) {
            record();
        } else {
            for (Step s : epoch) run(s);
            lastEager = List.copyOf(epoch);
        }
        epoch.clear();
        return readSums(0);
    }

    /** Records the epoch's steps as a graph and launches it; runs them eagerly if recording fails. */
    private void record() {
        dropGraph();
        try {
            stream.beginCapture();
            try {
                for (Step s : epoch) run(s);
            } catch (RuntimeException e) {
                try {
                    stream.endCapture().close();
                } catch (CudaException again) {
                    e.addSuppressed(again);
                }
                throw e;
            }
            graph = stream.endCapture();
            graphSteps = List.copyOf(epoch);
            graph.launch();
            GRAPH_EPOCHS.incrementAndGet();
        } catch (CudaException e) { // a driver without graphs, say: launches still work
            graphsFailed = true;
            System.getLogger(DeviceSteps.class.getName())
                    .log(
                            System.Logger.Level.WARNING,
                            "softmax4j: no CUDA graph (" + e.getMessage() + "): each epoch is launched step by step");
            dropGraph();
            for (Step s : epoch) run(s); // nothing recorded has run
        }
    }

    private void dropGraph() {
        if (graph != null) graph.close();
        graph = null;
        graphSteps = List.of();
    }

    private double[] readSums(long at) {
        double[] sum = new double[1];
        long[] correct = new long[1];
        sums.copyTo(at, MemorySegment.ofArray(sum));
        sums.copyTo(at + 8, MemorySegment.ofArray(correct));
        return new double[] {sum[0], correct[0]};
    }

    @Override
    public void syncModel() {
        w.copyTo(state.model.weights());
        b.copyTo(state.model.bias());
        if (vw != null) vw.copyTo(state.velocityW);
        if (vb != null) vb.copyTo(state.velocityB);
    }

    @Override
    public Evaluation evaluate(Dataset data) {
        int n = data.size();
        if (n == 0) return new Evaluation(Double.NaN, 0, 0);
        DeviceBuffer[] set = evalSets.computeIfAbsent(data, d -> {
            int[] rows = d.sourceRowsCopy(), labels = new int[rows.length];
            for (int i = 0; i < rows.length; i++) labels[i] = d.labelOfSourceRow(rows[i]);
            return new DeviceBuffer[] {
                buffer(4L * rows.length).copyFrom(rows),
                buffer(4L * rows.length).copyFrom(labels)
            };
        });
        sums.zero(16, 16);
        for (int from = 0; from < n; from += batchRows) {
            int rows = Math.min(batchRows, n - from);
            forward(
                    data,
                    rows,
                    set[0].segment().asSlice(4L * from, 4L * rows),
                    set[1].segment().asSlice(4L * from, 4L * rows),
                    16);
        }
        double[] s = readSums(16);
        return new Evaluation(s[0] / n, (long) s[1], n);
    }

    @Override
    public void close() {
        try {
            k.synchronize(); // reports an error of the last steps; the frees below happen anyway
        } finally {
            dropGraph();
            stream.close();
            for (DeviceBuffer d : owned) d.close();
        }
    }
}
