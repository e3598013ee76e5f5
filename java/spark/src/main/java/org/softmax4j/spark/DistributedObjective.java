package org.softmax4j.spark;

import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * The full-batch objective over the cached blocks of an RDD: each
 * evaluation broadcasts the original-space coefficients, lets every
 * executor sum its blocks' loss and gradient with the kernels
 * ({@link LossSum}), and combines the sums with Spark's treeAggregate.
 */
final class DistributedObjective implements Objective {
    private final JavaRDD<Block> blocks;
    private final ScaledProblem problem;
    private final double totalWeight;
    private final int depth;
    private final List<Softmax4jTrainingSummary.Pass> passes;

    /**
     * @param totalWeight the summed (instance times class) weight of all rows
     * @param passes      receives the timing of each evaluation
     */
    DistributedObjective(
            JavaRDD<Block> blocks,
            ScaledProblem problem,
            double totalWeight,
            int depth,
            List<Softmax4jTrainingSummary.Pass> passes) {
        this.blocks = blocks;
        this.problem = problem;
        this.totalWeight = totalWeight;
        this.depth = depth;
        this.passes = passes;
    }

    @Override
    public double evaluate(double[] x, double[] gradient) {
        long t0 = System.nanoTime();
        LossSum s = sums(blocks, problem.coefficients(x), depth);
        passes.add(Softmax4jTrainingSummary.Pass.of(System.nanoTime() - t0, s));
        return problem.objective(s, totalWeight, x, gradient);
    }

    /** The loss and gradient sums of all blocks at c, one Spark job. */
    static LossSum sums(JavaRDD<Block> blocks, Coefficients c, int depth) {
        Broadcast<Coefficients> bc =
                JavaSparkContext.fromSparkContext(blocks.context()).broadcast(c);
        try {
            return blocks.treeAggregate(
                    new LossSum(), (acc, b) -> LossSum.add(acc, b, bc.value()), LossSum::merge, depth);
        } finally {
            bc.destroy();
        }
    }
}
