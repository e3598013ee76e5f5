package org.softmax4j.spark;

import java.util.List;

/**
 * The same objective as {@link DistributedObjective} over blocks held by
 * this process, without Spark: the single-machine full-batch pass that the
 * distributed one is checked and measured against.
 */
final class LocalObjective implements Objective {
    private final List<Block> blocks;
    private final ScaledProblem problem;
    private final double totalWeight;

    LocalObjective(List<Block> blocks, ScaledProblem problem, double totalWeight) {
        this.blocks = blocks;
        this.problem = problem;
        this.totalWeight = totalWeight;
    }

    @Override
    public double evaluate(double[] x, double[] gradient) {
        return problem.objective(sums(blocks, problem.coefficients(x)), totalWeight, x, gradient);
    }

    static LossSum sums(List<Block> blocks, Coefficients c) {
        LossSum s = new LossSum();
        for (Block b : blocks) LossSum.add(s, b, c);
        return s;
    }

    /** The feature statistics of the blocks, as the distributed first pass computes them. */
    static BlockStats stats(List<Block> blocks, int features) {
        BlockStats s = new BlockStats(features);
        for (Block b : blocks) BlockStats.add(s, b);
        return s;
    }
}
