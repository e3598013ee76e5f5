package org.softmax4j.train;

import org.softmax4j.Kernels;
import org.softmax4j.data.Dataset;

/** Training steps on host memory: {@link BatchSource}, an {@link SgdStep}, {@link Evaluator}. */
final class HostSteps implements TrainingSteps {
    private final TrainingState state;
    private final BatchSource source;
    private final SgdStep step;
    private final Evaluator evaluator;
    private int[] order;
    private double lossSum;
    private long correct, rows;

    HostSteps(Kernels kernels, TrainingState state, Dataset train, int batch) {
        this.state = state;
        int features = state.model.features(), classes = state.model.classes();
        source = new BatchSource(kernels, train, batch);
        step = SgdStep.of(kernels, batch, features, classes);
        step.bind(state.model, state.velocityW, state.velocityB);
        evaluator = new Evaluator(kernels, features, classes);
    }

    @Override
    public void startEpoch(int[] order, int n) {
        this.order = order;
        lossSum = 0;
        correct = 0;
        this.rows = 0;
    }

    @Override
    public void step(int from, int rows, float lr, float momentum, float weightDecay) {
        source.gather(order, from, rows);
        float loss = step.forwardBackward(rows, source.x(), source.targets(), source.targetsSegment());
        lossSum += (double) loss * rows;
        this.rows += rows;
        correct += step.correct();
        step.update(lr, momentum, weightDecay);
    }

    @Override
    public double[] finishEpoch() {
        return new double[] {lossSum, correct};
    }

    @Override
    public double runningLoss() {
        return rows == 0 ? Double.NaN : lossSum / rows;
    }

    @Override
    public void syncModel() {
        step.syncModel();
    }

    @Override
    public boolean countsCorrect() {
        return step.countsCorrect();
    }

    @Override
    public Evaluation evaluate(Dataset data) {
        return evaluator.evaluate(state.model, data);
    }

    @Override
    public void close() {}
}
