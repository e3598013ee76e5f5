package org.softmax4j.spark;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.softmax4j.DType;
import org.softmax4j.Kernels;

/**
 * Synchronous minibatch SGD with momentum over the cached blocks. An epoch
 * has {@code S = ceil(rows / batchSize)} steps; in step s every partition
 * takes its rows {@code [s n_p / S, (s + 1) n_p / S)} of that epoch's
 * shuffle of its own rows (a {@link Permutation} seeded by seed, partition
 * and epoch), gathers them into one batch (gatherRows for dense blocks) and
 * sums its loss and gradient with the kernels; the driver combines the sums
 * with treeReduce and steps, PyTorch's way:
 * {@code v = momentum v + g; x -= stepSize v}, g being the mean gradient of
 * the step's rows plus the L2 penalty's. Every row is used once per epoch,
 * and a step is one Spark job: a batch should be large enough that its
 * work outweighs a job's scheduling (see the README).
 */
final class MinibatchSgd {
    private MinibatchSgd() {}

    record Settings(int epochs, int batchSize, double stepSize, double momentum, long seed, int blockRows, int depth)
            implements java.io.Serializable {}

    static Lbfgs.Result run(
            JavaRDD<Block> blocks,
            ScaledProblem problem,
            double[] x0,
            long rows,
            Settings set,
            List<Softmax4jTrainingSummary.Pass> passes,
            Lbfgs.Listener listener) {
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(blocks.context());
        long steps = Math.max(1, (rows + set.batchSize() - 1) / set.batchSize());
        int n = x0.length;
        double[] x = x0.clone(), v = new double[n], g = new double[n];
        double[] history = new double[set.epochs()];
        for (int epoch = 0; epoch < set.epochs(); epoch++) {
            double objectiveSum = 0, weightSum = 0;
            for (long step = 0; step < steps; step++) {
                long t0 = System.nanoTime();
                Broadcast<Coefficients> bc = jsc.broadcast(problem.coefficients(x));
                LossSum s;
                try {
                    int e = epoch;
                    long st = step;
                    s = blocks.mapPartitionsWithIndex((p, it) -> stepSums(p, it, set, e, st, steps, bc.value()), true)
                            .treeReduce(LossSum::merge, set.depth());
                } finally {
                    bc.destroy();
                }
                passes.add(Softmax4jTrainingSummary.Pass.of(System.nanoTime() - t0, s));
                if (!(s.weight > 0)) continue; // every row of the step weighs 0
                double f = problem.objective(s, s.weight, x, g);
                for (int i = 0; i < n; i++) {
                    v[i] = set.momentum() * v[i] + g[i];
                    x[i] -= set.stepSize() * v[i];
                }
                objectiveSum += f * s.weight;
                weightSum += s.weight;
            }
            history[epoch] = objectiveSum / weightSum;
            listener.iteration(epoch + 1, history[epoch]);
        }
        return new Lbfgs.Result(x, history, set.epochs(), "maxIter reached");
    }

    /** One partition's share of a step: its slice of the epoch's shuffle, summed at c. */
    static Iterator<LossSum> stepSums(
            int partition, Iterator<Block> it, Settings set, int epoch, long step, long steps, Coefficients c) {
        List<Block> blocks = new ArrayList<>();
        long rows = 0;
        while (it.hasNext()) {
            Block b = it.next();
            blocks.add(b);
            rows += b.rows;
        }
        LossSum s = new LossSum();
        long from = step * rows / steps, to = (step + 1) * rows / steps;
        if (to > from) {
            long key = set.seed() * 0x9E3779B97F4A7C15L + partition * 0xC2B2AE3D27D4EB4FL + epoch;
            Block batch = gather(blocks, set.blockRows(), new Permutation(rows, key), from, (int) (to - from));
            LossSum.add(s, batch, c);
        }
        return List.of(s).iterator();
    }

    /**
     * Rows {@code perm(from .. from + m)} of the partition's blocks (row r is row
     * {@code r % blockRows} of block {@code r / blockRows}), in one batch of the
     * partition's format, grouped by block (the order of a batch's rows does not
     * change its sums).
     */
    static Block gather(List<Block> blocks, int blockRows, Permutation perm, long from, int m) {
        int nb = blocks.size(), d = blocks.get(0).features;
        int[] start = new int[nb + 1], local = new int[m], blockOf = new int[m];
        for (int i = 0; i < m; i++) {
            long r = perm.apply(from + i);
            blockOf[i] = (int) (r / blockRows);
            local[i] = (int) (r % blockRows);
            start[blockOf[i] + 1]++;
        }
        for (int b = 0; b < nb; b++) start[b + 1] += start[b];
        int[] fill = Arrays.copyOf(start, nb), index = new int[m];
        for (int i = 0; i < m; i++) index[fill[blockOf[i]]++] = local[i];

        int[] labels = new int[m];
        boolean weighted = blocks.get(0).weights != null;
        float[] weights = weighted ? new float[m] : null;
        for (int b = 0; b < nb; b++) {
            Block src = blocks.get(b);
            for (int p = start[b]; p < start[b + 1]; p++) {
                labels[p] = src.labels[index[p]];
                if (weighted) weights[p] = src.weights[index[p]];
            }
        }
        if (blocks.get(0).isDense()) {
            float[] x = new float[m * d];
            Kernels k = Kernels.cpu();
            MemorySegment idx = MemorySegment.ofArray(index), out = MemorySegment.ofArray(x);
            for (int b = 0; b < nb; b++) {
                int count = start[b + 1] - start[b];
                if (count == 0) continue;
                Block src = blocks.get(b);
                k.gatherRows(
                        count,
                        d,
                        DType.F32,
                        MemorySegment.ofArray(src.x),
                        src.rows,
                        idx.asSlice(
                                ValueLayout.JAVA_INT.byteSize() * start[b], ValueLayout.JAVA_INT.byteSize() * count),
                        1f,
                        null,
                        null,
                        out.asSlice(
                                ValueLayout.JAVA_FLOAT.byteSize() * start[b] * d,
                                ValueLayout.JAVA_FLOAT.byteSize() * count * d));
            }
            return Block.dense(m, d, x, labels, weights);
        }
        long nnz = 0;
        for (int b = 0; b < nb; b++) {
            Block src = blocks.get(b);
            for (int p = start[b]; p < start[b + 1]; p++) nnz += src.rowPtr[index[p] + 1] - src.rowPtr[index[p]];
        }
        long[] rowPtr = new long[m + 1];
        int[] col = new int[(int) nnz];
        float[] val = new float[(int) nnz];
        int at = 0;
        for (int b = 0; b < nb; b++) {
            Block src = blocks.get(b);
            for (int p = start[b]; p < start[b + 1]; p++) {
                int p0 = (int) src.rowPtr[index[p]], len = (int) (src.rowPtr[index[p] + 1] - p0);
                System.arraycopy(src.col, p0, col, at, len);
                System.arraycopy(src.val, p0, val, at, len);
                at += len;
                rowPtr[p + 1] = at;
            }
        }
        Block batch = Block.sparse(m, d, rowPtr, col, val, labels, weights);
        int[] marker = new int[d];
        Arrays.fill(marker, -1);
        Packer.transpose(batch, marker);
        return batch;
    }
}
