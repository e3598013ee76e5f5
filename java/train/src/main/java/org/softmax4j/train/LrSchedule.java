package org.softmax4j.train;

import java.util.Locale;

/**
 * How the learning rate changes during training. A schedule is a pure
 * function of the position in training (epoch and global step), so a run
 * resumed from a checkpoint continues with exactly the rates of an
 * uninterrupted one.
 */
public sealed interface LrSchedule {

    /**
     * The learning rate of a step.
     *
     * @param baseLr     the configured learning rate
     * @param epoch      the 0-based epoch of the step
     * @param step       the 0-based global step (batches since the start)
     * @param totalSteps the steps of the whole run (epochs x batches per epoch)
     */
    float lr(float baseLr, int epoch, long step, long totalSteps);

    /** A short description, e.g. {@code "step: x0.5 every 3 epochs"}. */
    String describe();

    /** The same rate throughout (the book's setting). */
    static LrSchedule constant() {
        return Constant.INSTANCE;
    }

    /** Multiplies the rate by {@code gamma} every {@code everyEpochs} epochs. */
    static LrSchedule step(int everyEpochs, float gamma) {
        return new Step(everyEpochs, gamma);
    }

    /** Cosine decay per step from the base rate to {@code minFraction} of it at the end. */
    static LrSchedule cosine(float minFraction) {
        return new Cosine(minFraction);
    }

    /** The same rate throughout. */
    record Constant() implements LrSchedule {
        static final Constant INSTANCE = new Constant();

        @Override
        public float lr(float baseLr, int epoch, long step, long totalSteps) {
            return baseLr;
        }

        @Override
        public String describe() {
            return "constant";
        }
    }

    /**
     * {@code baseLr * gamma^floor(epoch / everyEpochs)}.
     *
     * @param everyEpochs epochs between decays, at least 1
     * @param gamma       factor per decay, in (0, 1]
     */
    record Step(int everyEpochs, float gamma) implements LrSchedule {
        public Step {
            if (everyEpochs < 1) throw new IllegalArgumentException("step size must be >= 1 epoch: " + everyEpochs);
            if (!(gamma > 0 && gamma <= 1)) throw new IllegalArgumentException("gamma must be in (0, 1]: " + gamma);
        }

        @Override
        public float lr(float baseLr, int epoch, long step, long totalSteps) {
            return (float) (baseLr * StrictMath.pow(gamma, epoch / everyEpochs));
        }

        @Override
        public String describe() {
            return String.format(Locale.ROOT, "step: x%s every %d epochs", gamma, everyEpochs);
        }
    }

    /**
     * {@code min + (base - min) (1 + cos(pi step / totalSteps)) / 2} with
     * {@code min = minFraction * base}: smooth decay per step (SGDR without restarts).
     *
     * @param minFraction the final rate as a fraction of the base, in [0, 1]
     */
    record Cosine(float minFraction) implements LrSchedule {
        public Cosine {
            if (!(minFraction >= 0 && minFraction <= 1)) {
                throw new IllegalArgumentException("cosine minimum fraction must be in [0, 1]: " + minFraction);
            }
        }

        @Override
        public float lr(float baseLr, int epoch, long step, long totalSteps) {
            double t = totalSteps <= 0 ? 0 : Math.min(1.0, (double) step / totalSteps);
            double min = (double) minFraction * baseLr;
            return (float) (min + (baseLr - min) * 0.5 * (1 + StrictMath.cos(StrictMath.PI * t)));
        }

        @Override
        public String describe() {
            return minFraction == 0 ? "cosine" : "cosine to " + minFraction + " of the rate";
        }
    }
}
